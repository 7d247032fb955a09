"""The one reader of the OpenAPI spec: every question the code asks of `openapi/lava.yaml` is answered here.

The reference server, the contract suite, the scripts and the tests never parse the YAML, write a path by
hand or restate a constraint; they ask a `Spec`:

- which operation a method and a raw path are (`Spec.router`, one router for everyone), and the path of an
  operation (`Operation.path_for`);
- an operation's parameters, its request schema and its response schema per status;
- the spend-key fields, and which of them are secret (`x-lava-secret`);
- which limit's cycle each current-cycle figure counts in (`x-lava-cycle`) and the period of each cycle value
  (`x-lava-cycle-periods`), which the contract suite's cycles.py interprets;
- every constraint of a field or a parameter (`Constraints`: lengths, minimums, maximums, enums, pattern,
  default);
- compiled JSON Schema validators for any schema the spec states (`Spec.validator`).

`load_spec()` reads the spec of the API version `LAVA_API_VERSION` names (`lava_spec.versions`: v0, the
seed, `SPEC_PATH`, when it is not set; v2, the API Lava serves today) once per process, and again only if
the file changes; `load_spec(path)` reads another one, e.g. a changed copy. A `Spec` is read-only.

It knows the vocabulary of the spend-key API (the schema names `SpendKey` and `SpendKeyWithSecret`, the
operationIds) and nothing else: no behaviour, no server, no client.
"""

from lava_spec.constraints import Constraints
from lava_spec.document import (
    SPEC_PATH,
    Operation,
    Parameter,
    Spec,
    SpecError,
    load_spec,
)
from lava_spec.router import Found, MethodNotAllowed, NotFound, Router, RouteResult
from lava_spec.versions import (
    API_VERSION_VARIABLE,
    API_VERSIONS,
    DEFAULT_API_VERSION,
    UnknownApiVersionError,
    selected_api_version,
    spec_path,
    version_of,
)

__all__ = [
    "API_VERSIONS",
    "API_VERSION_VARIABLE",
    "DEFAULT_API_VERSION",
    "SPEC_PATH",
    "Constraints",
    "Found",
    "MethodNotAllowed",
    "NotFound",
    "Operation",
    "Parameter",
    "RouteResult",
    "Router",
    "Spec",
    "SpecError",
    "UnknownApiVersionError",
    "load_spec",
    "selected_api_version",
    "spec_path",
    "version_of",
]
