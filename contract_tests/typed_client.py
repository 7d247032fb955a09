"""The generated client of the run's API version: the one module of the suite that chooses which to import.

`lava_client` holds a typed client per version of Lava's API, each with the same module layout and the
same model names. The suite drives the one of the version `LAVA_API_VERSION` names (`settings.current()`),
so every other module imports the client's operations and models from here, never from `lava_client`
directly; the error tree, which the versions share, is imported from `lava_client` itself. For mypy the
names are v0's: the versions differ only in fields, which the suite sends as JSON (`from_dict`) and reads
back as JSON (`to_dict`), never as attributes.

It sends nothing and decides nothing; spend_key_api.py drives the client.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

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
    """The package of the run's version's client."""
    # Until the client is split per version (lava_client.v0, lava_client.v2), lava_client is v0's.
    return "lava_client"


def _module(location: str) -> ModuleType:
    return importlib.import_module(f"{package()}.{location}")


def _member(location: str, name: str) -> Any:  # noqa: ANN401 - a class or a constant of the client
    return getattr(_module(location), name)


if TYPE_CHECKING:
    from lava_client.api.spend_keys import (
        create_spend_key,
        get_spend_key,
        list_spend_keys,
        revoke_spend_key,
        rotate_spend_key,
        update_spend_key,
    )
    from lava_client.client import AuthenticatedClient
    from lava_client.models import (
        Error,
        RevokeResult,
        SpendKey,
        SpendKeyCreate,
        SpendKeyList,
        SpendKeyUpdate,
        SpendKeyWithSecret,
    )
    from lava_client.types import UNSET, Response
else:
    create_spend_key = _module("api.spend_keys.create_spend_key")
    get_spend_key = _module("api.spend_keys.get_spend_key")
    list_spend_keys = _module("api.spend_keys.list_spend_keys")
    revoke_spend_key = _module("api.spend_keys.revoke_spend_key")
    rotate_spend_key = _module("api.spend_keys.rotate_spend_key")
    update_spend_key = _module("api.spend_keys.update_spend_key")
    AuthenticatedClient = _member("client", "AuthenticatedClient")
    Error = _member("models", "Error")
    RevokeResult = _member("models", "RevokeResult")
    SpendKey = _member("models", "SpendKey")
    SpendKeyCreate = _member("models", "SpendKeyCreate")
    SpendKeyList = _member("models", "SpendKeyList")
    SpendKeyUpdate = _member("models", "SpendKeyUpdate")
    SpendKeyWithSecret = _member("models", "SpendKeyWithSecret")
    UNSET = _member("types", "UNSET")
    Response = _member("types", "Response")
