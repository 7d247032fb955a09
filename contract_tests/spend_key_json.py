"""Spend keys as JSON: where they sit in a body, which fields are settings and usage, and how to compare.

A body is a spend key itself (create, get, update, rotate) or a list page whose `data` holds them. The
settings are what a caller chooses; usage is what the server counts. `settings_of` writes settings in one
spelling (date-times as instants, a missing `burst` as null) so that equal settings compare equal however
a server or the client serialised them. `mask_problem` says whether a `key_preview` masks its raw key.
This module judges nothing by itself; tests and checks do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from dateutil.parser import isoparse

from contract_tests.bounds import ACTIVE_STATUS

SETTING_FIELDS = (
    "name",
    "status",
    "allowed_models",
    "allowed_providers",
    "spend_limit",
    "request_limit",
    "rate_limit",
    "expires_at",
)
USAGE_FIELDS = (
    "spend_key_id",
    "wallet_id",
    "current_spend",
    "current_requests",
    "created_at",
    "last_used_at",
)
# What a key holds for a setting the create request left out (`status` active is our inference; the spec
# says so on SpendKeyCreate). Limits and expiry left out are absent or null, which `settings_of` equates.
CREATE_DEFAULTS: dict[str, Any] = {"status": ACTIVE_STATUS, "allowed_models": None, "allowed_providers": None}


def spend_key_objects(payload: object) -> Iterator[dict[str, Any]]:
    """The spend-key objects in a decoded response body: the body itself, or a list page's items."""
    if not isinstance(payload, dict):
        return
    if "spend_key_id" in payload:
        yield payload
    data = payload.get("data")
    if isinstance(data, list):
        yield from (item for item in data if isinstance(item, dict))


def settings_of(spend_key: dict[str, Any]) -> dict[str, Any]:
    """The settings of a key or of a request body, normalised so that equal settings compare equal."""
    settings = {name: spend_key.get(name) for name in SETTING_FIELDS}
    if isinstance(settings["expires_at"], str):
        # The server may write `Z` where the client wrote `+00:00`: compare instants.
        settings["expires_at"] = isoparse(settings["expires_at"]).astimezone(dt.UTC)
    if isinstance(settings["rate_limit"], dict):
        # `burst` left out and `burst: null` both mean "no burst allowance".
        settings["rate_limit"] = {"burst": None, **settings["rate_limit"]}
    return settings


def usage_of(spend_key: dict[str, Any]) -> dict[str, Any]:
    """The fields a key's owner does not set: identity, counters, timestamps."""
    return {name: spend_key.get(name) for name in USAGE_FIELDS}


def mask_problem(raw_key: str, key_preview: str) -> str | None:
    """Why `key_preview` fails to mask `raw_key` (a masked prefix, never the whole key), or None."""
    shown = key_preview.rstrip("*")
    if not key_preview.endswith("*") or raw_key in key_preview:
        return "key_preview does not mask the raw key"
    if not raw_key.startswith(shown) or len(shown) >= len(raw_key):
        return "key_preview is not a masked prefix of the raw key"
    return None
