"""Spend keys as JSON: where they sit in a body, which fields are settings and usage, and how to compare.

A body is a spend key itself (create, get, update, rotate) or a list page whose `data` holds them. The
settings are what a caller chooses; usage is what the server counts; both are the spec's
(`bounds.Bounds.setting_fields`, `usage_fields`), so v2's `request_shape` is a setting and its totals are
usage. `settings_of` writes settings in one spelling (date-times as instants, a missing `burst` as null)
so that equal settings compare equal however a server or the client serialised them; `created_with` is
what a key created from a body should hold. `counter_problems` says what a key's figures break on their
own (a negative request count, a total below its current-cycle figure), and `mask_problem` whether a
`key_preview` masks its raw key. This module raises nothing; tests and checks judge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from dateutil.parser import isoparse

from contract_tests.bounds import ACTIVE_STATUS, bounds

# What a key holds for a setting the create request left out, where the spec states no `default`
# (`status` active and every model and provider allowed are our inference; the spec says so on
# SpendKeyCreate). Limits and expiry left out are absent or null, which `settings_of` equates.
INFERRED_CREATE_DEFAULTS: dict[str, Any] = {
    "status": ACTIVE_STATUS,
    "allowed_models": None,
    "allowed_providers": None,
}


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
    settings = {name: spend_key.get(name) for name in bounds().setting_fields}
    if isinstance(settings["expires_at"], str):
        # The server may write `Z` where the client wrote `+00:00`: compare instants.
        settings["expires_at"] = isoparse(settings["expires_at"]).astimezone(dt.UTC)
    if isinstance(settings["rate_limit"], dict):
        # `burst` left out and `burst: null` both mean "no burst allowance".
        settings["rate_limit"] = {"burst": None, **settings["rate_limit"]}
    return settings


def usage_of(spend_key: dict[str, Any]) -> dict[str, Any]:
    """The fields a key's owner does not set: identity, counters, timestamps."""
    return {name: spend_key.get(name) for name in bounds().usage_fields}


def created_with(body: dict[str, Any]) -> dict[str, Any]:
    """The settings a key created from `body` holds: the body's, and a default for each field it left out."""
    return settings_of({**INFERRED_CREATE_DEFAULTS, **bounds().create_defaults, **body})


def mask_problem(raw_key: str, key_preview: str) -> str | None:
    """Why `key_preview` fails to mask `raw_key` (a masked prefix, never the whole key), or None."""
    shown = key_preview.rstrip("*")
    if not key_preview.endswith("*") or raw_key in key_preview:
        return "key_preview does not mask the raw key"
    if not raw_key.startswith(shown) or len(shown) >= len(raw_key):
        return "key_preview is not a masked prefix of the raw key"
    return None


def figure(value: object) -> Decimal | None:
    """A usage figure (a count, or a decimal string of spend) as a number; None when it is neither."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def counter_problems(spend_key: dict[str, Any], totals: Mapping[str, str]) -> list[str]:
    """What one spend key's figures break: `current_requests` below 0, a total below its current figure.

    A total counts every cycle, the current one included, so it is never below the current cycle's figure
    (`totals`: each current figure's total, where the spec's SpendKey has them, `bounds.Bounds.totals`).
    """
    problems = []
    requests = spend_key.get("current_requests")
    if isinstance(requests, int) and requests < 0:
        problems.append(f"current_requests={requests}, below 0")
    for current, total in totals.items():
        now, overall = figure(spend_key.get(current)), figure(spend_key.get(total))
        if now is not None and overall is not None and overall < now:
            problems.append(f"{total}={spend_key[total]}, below {current}={spend_key[current]}")
    return problems
