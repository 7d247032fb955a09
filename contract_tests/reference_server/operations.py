"""The six spend-key operations, as the spec and its `x-lava-inferred` notes describe them.

Each operation takes a `Call` (an authenticated request, with its body already read) and returns
the response, or raises an `ApiError`. Every body is valid against the spec's schema for that
operation and status:

- `create` (201) and `rotate` (200) return `SpendKeyWithSecret`, the only answers with the raw
  `key`. `get`, `update` (200) and each item of `list_spend_keys` return `SpendKey`.
- A limit that is not set is left out, since the spec types limits in responses as objects,
  never null. `allowed_*`, `expires_at` and `last_used_at` are null when unset.
- `connection_id` is kept but never shown, since no response schema has the field. Every other
  field is shown only if the spec declares it for a spend key (`RequestRules.spend_key_fields`):
  the totals (`total_spend`, `total_requests`) are modelled for every key, and shown where the
  spec's `SpendKey` has them.
- Properties that the request schemas do not name are ignored, and never stored or echoed.
- A property that the create schema gives a `default` and that a create leaves out takes that
  default (`RequestRules.with_defaults`), as if it had been sent.
- A property that a request schema names and that the spec also declares for a spend key, but
  that this module does not model (a field a later spec adds, or `request_shape`), is stored as
  sent (or defaulted) and shown as stored, after the modelled fields; on update, as sent replaces it.
- A spend key that is unknown, revoked or in another wallet is a 404 for every operation.
- `revoke` is a soft delete that answers `{"success": true}`.

The routing, authentication and rate limit around these calls live in `app`, the replays of
`Idempotency-Key` in `idempotency`, and what a request must be in `validation` (asked of the spec). This
module does not meter usage. Usage (`current_spend`, `current_requests`, the totals and
`last_used_at`) starts at "0", 0 and null; only the simulated proxy (`proxy`) adds to it, the end of
a cycle brings the current figures back to zero (`SpendKeyStore.settle`, which every answer asks
first), and every operation here shows it as the store holds it. `rotate` keeps it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, cast

from starlette.responses import Response

from contract_tests.reference_server.auth import Caller
from contract_tests.reference_server.errors import spend_key_not_found, wallet_not_found
from contract_tests.reference_server.responses import JSONObject, json_response
from contract_tests.reference_server.store import SpendKey, SpendKeySettings, SpendKeyStore
from contract_tests.reference_server.validation import (
    ListParameters,
    RateLimitBody,
    RequestLimitBody,
    RequestRules,
    SpendKeyCreateBody,
    SpendLimitBody,
)

# Every field this module models: what `spend_key_json` writes, and what a create body sets besides.
# A field a request schema and the spend key both declare, and that is not here, is kept as sent. The raw
# key is not here: its name is the spec's one `x-lava-secret` field (`RequestRules.raw_key_field`).
MODELLED_FIELDS: Final = frozenset(
    {
        "spend_key_id",
        "key_preview",
        "name",
        "status",
        "wallet_id",
        "current_spend",
        "current_requests",
        "total_spend",
        "total_requests",
        "created_at",
        "allowed_models",
        "allowed_providers",
        "spend_limit",
        "request_limit",
        "rate_limit",
        "expires_at",
        "last_used_at",
        "connection_id",
    }
)


@dataclass(frozen=True, slots=True)
class Call:
    """An authenticated request to one operation."""

    caller: Caller
    # The `{id}` of the path, percent-decoded; None on the collection path.
    spend_key_id: str | None
    query: Mapping[str, Sequence[str]]
    content_type: str | None
    body: bytes


class SpendKeyOperations:
    """The spend-key operations of the spec (either version), over one store."""

    def __init__(self, store: SpendKeyStore, rules: RequestRules) -> None:
        """Serve the keys in `store`, and check requests with `rules`."""
        self._store = store
        self._rules = rules
        self._kept_on_create = (rules.create_fields & rules.spend_key_fields) - MODELLED_FIELDS
        self._kept_on_update = (rules.update_fields & rules.spend_key_fields) - MODELLED_FIELDS

    def create(self, call: Call) -> Response:
        """`create_spend_key`: 201 and the new key with its raw `key`."""
        body = self._declared(self._rules.check_create(call.content_type, call.body))
        if "wallet_id" in body and body["wallet_id"] != call.caller.wallet_id:
            raise wallet_not_found()
        spend_key, raw_key = self.add_key(call.caller.wallet_id, body)
        return json_response(201, self._revealing(spend_key, raw_key))

    def add_key(self, wallet_id: str, body: SpendKeyCreateBody) -> tuple[SpendKey, str]:
        """Store a key made from a create body the spec admits in the wallet; return it and its raw key.

        A property the body leaves out takes the create schema's default, where it states one.
        `create` calls this for a checked body; `create_app`, for the keys a server starts with.
        """
        body = self._rules.with_defaults(self._declared(body))
        settings = SpendKeySettings(
            name=body["name"],
            status=body.get("status", "active"),
            allowed_models=_copy(body.get("allowed_models")),
            allowed_providers=_copy(body.get("allowed_providers")),
            expires_at=body.get("expires_at"),
            spend_limit=_spend_limit(body.get("spend_limit")),
            request_limit=_request_limit(body.get("request_limit")),
            rate_limit=_rate_limit(body.get("rate_limit")),
            kept=_kept(cast("Mapping[str, object]", body), self._kept_on_create),
        )
        return self._store.create(wallet_id, settings, connection_id=body.get("connection_id"))

    def _declared(self, body: SpendKeyCreateBody) -> SpendKeyCreateBody:
        """The body less what the create schema does not declare, which a server ignores.

        v2's create declares no `wallet_id` or `connection_id`: one sent anyway means nothing, so it can
        neither send the key to another wallet nor be answered with a 404.
        """
        declared = self._rules.create_fields
        return cast("SpendKeyCreateBody", {name: value for name, value in body.items() if name in declared})

    def list_spend_keys(self, call: Call) -> Response:
        """`list_spend_keys`: 200 and a page of the caller's keys, oldest first."""
        return self._list_page(call, self._rules.list_parameters(call.query))

    def _list_page(self, call: Call, parameters: ListParameters) -> Response:
        # Apart from `list_spend_keys`, so that a seeded fault (`faults`) can list with parameters
        # of its own choosing.
        if parameters.wallet_id is not None and parameters.wallet_id != call.caller.wallet_id:
            # Another wallet's keys are not visible, so the filter leaves nothing.
            return json_response(200, {"data": [], "has_more": False, "next_cursor": None})
        page = self._store.page(call.caller.wallet_id, after=parameters.cursor, limit=parameters.limit)
        next_cursor = page.spend_keys[-1].spend_key_id if page.has_more else None
        return json_response(
            200,
            {
                "data": [self._json(spend_key) for spend_key in page.spend_keys],
                "has_more": page.has_more,
                "next_cursor": next_cursor,
            },
        )

    def get(self, call: Call) -> Response:
        """`get_spend_key`: 200 and the key, without its raw `key`."""
        return json_response(200, self._json(self._visible(call)))

    def update(self, call: Call) -> Response:
        """`update_spend_key`: change only the fields sent; a limit sent as null is removed."""
        body = self._rules.check_update(call.content_type, call.body)
        spend_key = self._visible(call)
        settings = spend_key.settings
        if "name" in body:
            settings.name = body["name"]
        if "status" in body:
            settings.status = body["status"]
        if "allowed_models" in body:
            settings.allowed_models = _copy(body["allowed_models"])
        if "allowed_providers" in body:
            settings.allowed_providers = _copy(body["allowed_providers"])
        if "expires_at" in body:
            settings.expires_at = body["expires_at"]
        if "spend_limit" in body:
            settings.spend_limit = _spend_limit(body["spend_limit"])
        if "request_limit" in body:
            settings.request_limit = _request_limit(body["request_limit"])
        if "rate_limit" in body:
            settings.rate_limit = _rate_limit(body["rate_limit"])
        settings.kept.update(_kept(cast("Mapping[str, object]", body), self._kept_on_update))
        return json_response(200, self._json(spend_key))

    def revoke(self, call: Call) -> Response:
        """`revoke_spend_key`: soft-delete the key; 200 and `{"success": true}`."""
        self._store.revoke(self._visible(call))
        return json_response(200, {"success": True})

    def rotate(self, call: Call) -> Response:
        """`rotate_spend_key`: 200 and the key with a new raw `key`; a body is ignored."""
        spend_key = self._visible(call)
        raw_key = self._store.rotate(spend_key)
        return json_response(200, self._revealing(spend_key, raw_key))

    def _revealing(self, spend_key: SpendKey, raw_key: str) -> JSONObject:
        """The key as create and rotate show it: with its raw key, under the spec's secret field's name."""
        return self._json(spend_key, revealed={self._rules.raw_key_field: raw_key})

    def _json(self, spend_key: SpendKey, *, revealed: Mapping[str, str] | None = None) -> JSONObject:
        """The key as the spec's `SpendKey` shows it, its usage brought up to now (`spend_key_json`)."""
        self._store.settle(spend_key)
        return spend_key_json(
            spend_key,
            fields=self._rules.spend_key_fields,
            revealed=revealed,
            nullable=self._rules.nullable_spend_key_fields,
        )

    def _visible(self, call: Call) -> SpendKey:
        spend_key_id = call.spend_key_id
        spend_key = None if spend_key_id is None else self._store.get(call.caller.wallet_id, spend_key_id)
        if spend_key is None:
            raise spend_key_not_found()
        return spend_key


def spend_key_json(
    spend_key: SpendKey,
    *,
    fields: frozenset[str],
    revealed: Mapping[str, str] | None = None,
    nullable: frozenset[str] = frozenset(),
) -> JSONObject:
    """Return the key as a `SpendKey`, or as a `SpendKeyWithSecret` with the `revealed` secret fields.

    A limit the key does not have is `null` where the spec lets it be (`nullable`), and left out elsewhere.
    Only the `fields` (those the spec declares for a spend key) are shown, and the `revealed` ones:
    `revealed` maps the spec's secret field (the raw key's) to its value; create and rotate give it.
    The usage is shown as the store holds it (see `SpendKeyStore.settle`).

    The fields come in the order of the docs' example.
    """
    settings = spend_key.settings
    body: JSONObject = {
        "spend_key_id": spend_key.spend_key_id,
        "key_preview": spend_key.key_preview,
        "name": settings.name,
        "status": settings.status,
        "wallet_id": spend_key.wallet_id,
        "current_spend": spend_key.current_spend,
        "total_spend": spend_key.total_spend,
        "current_requests": spend_key.current_requests,
        "total_requests": spend_key.total_requests,
        "created_at": spend_key.created_at,
    }
    body.update(revealed or {})
    body["allowed_models"] = settings.allowed_models
    body["allowed_providers"] = settings.allowed_providers
    for name, limit in (
        ("spend_limit", settings.spend_limit),
        ("request_limit", settings.request_limit),
        ("rate_limit", settings.rate_limit),
    ):
        if limit is not None or name in nullable:
            body[name] = limit
    body["expires_at"] = settings.expires_at
    body["last_used_at"] = spend_key.last_used_at
    body.update(copy.deepcopy(settings.kept))
    shown = fields | set(revealed or {})
    return {name: value for name, value in body.items() if name in shown}


# The helpers below copy only the properties that the spec names, so extras are never stored.
# JSON Schema counts an integral float (2.0) as an integer, so integers are stored as int.


def _kept(body: Mapping[str, object], names: frozenset[str]) -> JSONObject:
    # A deep copy, so that nothing the caller holds is shared with the store.
    return {name: copy.deepcopy(body[name]) for name in sorted(names) if name in body}


def _copy(values: list[str] | None) -> list[str] | None:
    return None if values is None else list(values)


def _spend_limit(limit: SpendLimitBody | None) -> JSONObject | None:
    if limit is None:
        return None
    return {"amount": limit["amount"], "cycle": limit["cycle"]}


def _request_limit(limit: RequestLimitBody | None) -> JSONObject | None:
    if limit is None:
        return None
    return {"count": int(limit["count"]), "cycle": limit["cycle"]}


def _rate_limit(limit: RateLimitBody | None) -> JSONObject | None:
    if limit is None:
        return None
    stored: JSONObject = {"rpm": int(limit["rpm"])}
    if "burst" in limit:
        burst = limit["burst"]
        stored["burst"] = None if burst is None else int(burst)
    return stored
