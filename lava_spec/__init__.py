"""The one reader of the OpenAPI spec: every question the code asks of `openapi/lava.yaml` is answered here.

The reference server, the contract suite, the scripts and the tests never parse the YAML, write a path by
hand or restate a constraint; they ask a `Spec`:

- which operation a method and a raw path are (`Spec.router`, one router for everyone), and the path of an
  operation (`Operation.path_for`);
- an operation's parameters, its request schema and its response schema per status;
- the spend-key fields, and which of them are secret (`x-lava-secret`);
- every constraint of a field or a parameter (`Constraints`: lengths, minimums, maximums, enums, pattern,
  default);
- compiled JSON Schema validators for any schema the spec states (`Spec.validator`).

`load_spec()` reads the repository's spec (`SPEC_PATH`) once per process, and again only if the file
changes; `load_spec(path)` reads another one, e.g. a changed copy. A `Spec` is read-only.

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

__all__ = [
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
    "load_spec",
]
