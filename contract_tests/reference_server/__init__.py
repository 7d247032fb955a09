"""A reference server for Lava's spend-key management API: the contract suite's default target.

It behaves as Lava's spend-key management API is documented to behave (the spec of the version
`LAVA_API_VERSION` names: `openapi/lava.yaml` for v0, `openapi/lava-v2.yaml` for v2, including
their `x-lava-inferred` notes), in memory, in-process and fast. The spec drives it by
construction: its paths, operations, parameters, constraints, defaults, credential prefixes and
schemas are asked of `lava_spec` (`create_app(spec_path=...)` serves a changed copy as changed), and
no module here writes them. `create_app` builds the ASGI app and `running_server` serves it on an
ephemeral local port. To run it by hand, use `python -m contract_tests.reference_server`.
`dev_token(spec)` is the development token as a credential of that spec's API.

Capabilities that go beyond the spec, because a test double needs them:

- A simulated proxy, `POST /v1/chat/completions` (`proxy`), authenticated by a raw spend key.
  It gives keys usage, and shows that a revoked or rotated-away key stops working at once. It
  calls no model and enforces no limits.
- Seeded faults (`FAULTS`, `Fault`): `create_app(fault=NAME)` builds a server with one named,
  documented deviation from the contract, to measure what the contract suite catches.
- Staging-like conditions (`StagingConditions`, the preset `STAGING_LIKE`):
  `create_app(staging=...)` builds a server that still honours the contract but behaves like a
  shared staging server (other people's keys, throttling, a slow operation, fields of later API
  versions), to prove that the contract suite is safe to run against one.
- Transient failures (`TransientFailures`): `create_app(transient=...)` builds a server whose
  first attempts of each request meet 429s, 503s, dropped connections or stalls, then are
  served, to test a client's retries.
- A clock it can be given (`create_app(clock=...)`, e.g. a `ManualClock`), so that a test can
  move time past the end of a limit's cycle, where the current-cycle usage starts again at zero.

It is a reference, not a simulator of Lava: it keeps nothing across restarts and serves nothing
of Lava's API beyond spend-key management.
"""

from contract_tests.reference_server.app import create_app
from contract_tests.reference_server.auth import DEFAULT_DEV_TOKEN, dev_token
from contract_tests.reference_server.clock import Clock, ManualClock
from contract_tests.reference_server.faults import FAULTS, Fault
from contract_tests.reference_server.runner import running_server
from contract_tests.reference_server.staging import STAGING_LIKE, StagingConditions
from contract_tests.reference_server.transient import TransientFailures

# In plain code-point order, which the package's test pins; ruff's isort-style order would put every
# SCREAMING_CASE name before `Fault`.
__all__ = [  # noqa: RUF022
    "Clock",
    "DEFAULT_DEV_TOKEN",
    "FAULTS",
    "Fault",
    "ManualClock",
    "STAGING_LIKE",
    "StagingConditions",
    "TransientFailures",
    "create_app",
    "dev_token",
    "running_server",
]
