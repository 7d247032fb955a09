"""A reference server for Lava's spend-key management API: the contract suite's default target.

It behaves as Lava's spend-key management API is documented to behave (`openapi/lava.yaml`,
including its `x-lava-inferred` notes), in memory, in-process and fast. `create_app` builds the
ASGI app and `running_server` serves it on an ephemeral local port. To run it by hand, use
`python -m contract_tests.reference_server`.

It is a reference, not a simulator: it meters no usage, proxies no model requests and keeps
nothing across restarts.
"""

from contract_tests.reference_server.app import create_app
from contract_tests.reference_server.auth import DEFAULT_DEV_TOKEN
from contract_tests.reference_server.runner import running_server

__all__ = ["DEFAULT_DEV_TOKEN", "create_app", "running_server"]
