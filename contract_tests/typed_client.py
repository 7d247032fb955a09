"""The generated client of the run's API version: the one module of the suite that chooses which to import.

`lava_client` holds a typed client per version of Lava's API (`lava_client.v0`, `lava_client.v2`), each
with the same module layout and the same model names, over one shared runtime (`AuthenticatedClient`,
`types`, the error tree). The suite drives the version `LAVA_API_VERSION` names (`settings.current()`),
so every other module imports the client's operations and models from here, never from a version's
package; the shared runtime's errors it imports from `lava_client` itself. For mypy the names are v0's:
the versions differ only in fields, which the suite sends as JSON (`from_dict`) and reads back as JSON
(`to_dict`), never as attributes.

It sends nothing and decides nothing; spend_key_api.py drives the client.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lava_client.client import AuthenticatedClient
from lava_client.types import UNSET, Response

from contract_tests.settings import current

__all__ = [
    "UNSET",
    "AuthenticatedClient",
    "Error",
    "Response",
    "RevokeResult",
    "SpendKey",
    "SpendKeyCreate",
    "SpendKeyList",
    "SpendKeyUpdate",
    "SpendKeyWithSecret",
    "create_spend_key",
    "get_spend_key",
    "list_spend_keys",
    "package",
    "revoke_spend_key",
    "rotate_spend_key",
    "update_spend_key",
]


def package() -> str:
    """The package of the run's version's client: `lava_client.v0` or `lava_client.v2`."""
    return f"lava_client.{current().api_version}"


def _module(location: str) -> ModuleType:
    return importlib.import_module(f"{package()}.{location}")


def _model(name: str) -> Any:  # noqa: ANN401 - a model class of the version's client
    return getattr(_module("models"), name)


if TYPE_CHECKING:
    from lava_client.v0.api.spend_keys import (
        create_spend_key,
        get_spend_key,
        list_spend_keys,
        revoke_spend_key,
        rotate_spend_key,
        update_spend_key,
    )
    from lava_client.v0.models import (
        Error,
        RevokeResult,
        SpendKey,
        SpendKeyCreate,
        SpendKeyList,
        SpendKeyUpdate,
        SpendKeyWithSecret,
    )
else:
    create_spend_key = _module("api.spend_keys.create_spend_key")
    get_spend_key = _module("api.spend_keys.get_spend_key")
    list_spend_keys = _module("api.spend_keys.list_spend_keys")
    revoke_spend_key = _module("api.spend_keys.revoke_spend_key")
    rotate_spend_key = _module("api.spend_keys.rotate_spend_key")
    update_spend_key = _module("api.spend_keys.update_spend_key")
    Error = _model("Error")
    RevokeResult = _model("RevokeResult")
    SpendKey = _model("SpendKey")
    SpendKeyCreate = _model("SpendKeyCreate")
    SpendKeyList = _model("SpendKeyList")
    SpendKeyUpdate = _model("SpendKeyUpdate")
    SpendKeyWithSecret = _model("SpendKeyWithSecret")
