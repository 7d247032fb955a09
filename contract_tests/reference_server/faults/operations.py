"""Faults seeded into the operations: subclasses of `SpendKeyOperations` that get one thing wrong.

Each class overrides only the operations its fault is about, and lets the conforming operation
do the rest (checking the body, finding the key, rendering it), so that the one deviation is all
that differs. Where a fault needs the raw keys that the conforming server never keeps
(`rotate_returns_old_key`, `key_shown_again`), the subclass keeps them itself, in memory, and
never in a repr.

This module does not register faults (see `registry`) and does not touch HTTP framing: status
codes, media types and envelopes are `responses`' business.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Final, cast

from starlette.responses import Response

from contract_tests.reference_server.errors import ApiError, internal_error
from contract_tests.reference_server.faults.conditions import defaults_with_alternatives
from contract_tests.reference_server.operations import Call, SpendKeyOperations
from contract_tests.reference_server.responses import JSON_MEDIA_TYPE, JSONObject, json_response
from contract_tests.reference_server.store import SpendKey, SpendKeyStore
from contract_tests.reference_server.validation import LIMIT, RequestRules, SpendKeyCreateBody

# `accepts_limit_over_100` honours limits up to this.
LOOSE_LIST_LIMIT_MAX: Final = 1000
# `truncates_name` keeps this many characters.
TRUNCATED_NAME_LENGTH: Final = 64
# `accepts_malformed_json` creates a key with this name from a body it cannot read.
UNTITLED: Final = b'{"name":"untitled"}'

_DIGITS = re.compile(r"[0-9]{1,4}")


def _document(response: Response) -> JSONObject:
    document: JSONObject = json.loads(bytes(response.body))
    return document


class _RemembersRawKeys(SpendKeyOperations):
    """Keeps the raw key of every create and rotate answer, which the conforming server never does."""

    def __init__(self, store: SpendKeyStore, rules: RequestRules) -> None:
        super().__init__(store, rules)
        self._raw_keys: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<{len(self._raw_keys)} raw keys>)"

    def create(self, call: Call) -> Response:
        """Create as usual, and keep the raw key."""
        return self._remembered(super().create(call))

    def rotate(self, call: Call) -> Response:
        """Rotate as usual, and keep the new raw key."""
        return self._remembered(super().rotate(call))

    def _remembered(self, response: Response) -> Response:
        document = _document(response)
        self._raw_keys[str(document["spend_key_id"])] = str(document[self._rules.raw_key_field])
        return response


# --- validation ----------------------------------------------------------------------------------------


class AcceptsLimitOver100(SpendKeyOperations):
    """`accepts_limit_over_100`: a list `limit` over the spec's maximum, up to 1000, is honoured."""

    def list_spend_keys(self, call: Call) -> Response:
        """List with a limit over the spec's maximum, up to 1000, as asked; any other query as usual."""
        limits = call.query.get(LIMIT, ())
        if len(limits) == 1 and _DIGITS.fullmatch(limits[0]):
            limit = int(limits[0])
            highest = self._rules.list_query.highest or LOOSE_LIST_LIMIT_MAX
            if highest < limit <= LOOSE_LIST_LIMIT_MAX:
                parameters = self._rules.list_parameters({**call.query, LIMIT: [str(highest)]})
                return self._list_page(call, replace(parameters, limit=limit))
        return super().list_spend_keys(call)


class AcceptsMalformedJson(SpendKeyOperations):
    """`accepts_malformed_json`: a create body that is not JSON makes a key named "untitled"."""

    def create(self, call: Call) -> Response:
        """Create as usual, or create "untitled" where the usual answer is 400 `invalid_json`."""
        try:
            return super().create(call)
        except ApiError as error:
            if error.code != "invalid_json":
                raise
        return super().create(replace(call, content_type=JSON_MEDIA_TYPE, body=UNTITLED))


# --- status --------------------------------------------------------------------------------------------


class ServerErrorOnPaused(SpendKeyOperations):
    """`server_error_on_paused`: a valid create with status "paused" is a 500, and creates nothing."""

    def create(self, call: Call) -> Response:
        """Raise a 500 for a body that asks for status "paused"; create as usual otherwise."""
        if self._rules.check_create(call.content_type, call.body).get("status") == "paused":
            raise internal_error()
        return super().create(call)


# --- semantics -----------------------------------------------------------------------------------------


class _ChangesStoredName(SpendKeyOperations):
    """Stores a changed name after the conforming operation accepted the name sent, and says so."""

    def stored_name(self, name: str) -> str:
        """Return the name that is stored for the name sent."""
        raise NotImplementedError

    def create(self, call: Call) -> Response:
        """Create as usual, then store and show the changed name."""
        return self._renamed(call.caller.wallet_id, super().create(call))

    def update(self, call: Call) -> Response:
        """Update as usual, then store and show the changed name."""
        return self._renamed(call.caller.wallet_id, super().update(call))

    def _renamed(self, wallet_id: str, response: Response) -> Response:
        document = _document(response)
        spend_key = self._store.get(wallet_id, str(document["spend_key_id"]))
        if spend_key is None:
            return response
        spend_key.settings.name = document["name"] = self.stored_name(spend_key.settings.name)
        return json_response(response.status_code, document)


class TruncatesName(_ChangesStoredName):
    """`truncates_name`."""

    def stored_name(self, name: str) -> str:
        """Cut the name to 64 characters."""
        return name[:TRUNCATED_NAME_LENGTH]


class StripsName(_ChangesStoredName):
    """`strips_name`."""

    def stored_name(self, name: str) -> str:
        """Strip leading and trailing whitespace."""
        return name.strip()


class UpdateNotKept(SpendKeyOperations):
    """`update_not_kept`: the answer shows the change, and then the old settings are put back."""

    def update(self, call: Call) -> Response:
        """Answer as usual, then put the settings back as they were."""
        # Looked up without `_visible`, so that a bad body is still a 4xx before an unknown id is a 404.
        spend_key = (
            None if call.spend_key_id is None else self._store.get(call.caller.wallet_id, call.spend_key_id)
        )
        before = None if spend_key is None else copy.deepcopy(spend_key.settings)
        response = super().update(call)
        if spend_key is not None and before is not None:
            spend_key.settings = before
        return response


class RotateReturnsOldKey(_RemembersRawKeys):
    """`rotate_returns_old_key`: rotate answers 200 with the raw key that create returned, unchanged."""

    def rotate(self, call: Call) -> Response:
        """Answer with the key unchanged and the raw key that create returned."""
        spend_key = self._visible(call)
        raw_key = self._raw_keys.get(spend_key.spend_key_id)
        if raw_key is None:
            return super().rotate(call)
        return json_response(200, self._revealing(spend_key, raw_key))


class RotateDropsSettings(SpendKeyOperations):
    """`rotate_drops_settings`: rotate forgets the limits and the model allow-list."""

    def rotate(self, call: Call) -> Response:
        """Clear the limits and `allowed_models`, then rotate as usual."""
        settings = self._visible(call).settings
        settings.spend_limit = settings.request_limit = settings.rate_limit = None
        settings.allowed_models = None
        return super().rotate(call)


class RotateResetsUsage(SpendKeyOperations):
    """`rotate_resets_usage`: rotate starts the usage history again."""

    def rotate(self, call: Call) -> Response:
        """Reset the usage, then rotate as usual."""
        spend_key = self._visible(call)
        spend_key.current_spend = spend_key.total_spend = "0"
        spend_key.current_requests = spend_key.total_requests = 0
        spend_key.last_used_at = None
        return super().rotate(call)


class RevokeNotDone(SpendKeyOperations):
    """`revoke_not_done`: revoke answers success and leaves the key as it was."""

    def revoke(self, call: Call) -> Response:
        """Answer success for a visible key, and leave it alone."""
        self._visible(call)
        return json_response(200, {"success": True})


class KeyShownAgain(_RemembersRawKeys):
    """`key_shown_again`: get and every list item carry the raw `key` again."""

    def get(self, call: Call) -> Response:
        """Get as usual, with the raw `key` added."""
        document = _document(super().get(call))
        self._show_key(document)
        return json_response(200, document)

    def list_spend_keys(self, call: Call) -> Response:
        """List as usual, with the raw `key` added to each item."""
        document = _document(super().list_spend_keys(call))
        for spend_key in cast("list[JSONObject]", document["data"]):
            self._show_key(spend_key)
        return json_response(200, document)

    def _show_key(self, spend_key: JSONObject) -> None:
        raw_key = self._raw_keys.get(str(spend_key["spend_key_id"]))
        if raw_key is not None:
            spend_key[self._rules.raw_key_field] = raw_key


class PaginationRepeats(SpendKeyOperations):
    """`pagination_repeats`: a page after a cursor starts again with the cursor's own key.

    The page then holds `limit - 1` new keys, or one new key when `limit` is 1, so that a client
    that follows `next_cursor` still reaches the end instead of looping forever.
    """

    def list_spend_keys(self, call: Call) -> Response:
        """List as usual, then put the cursor's own key first."""
        parameters = self._rules.list_parameters(call.query)
        response = self._list_page(call, parameters)
        wallet_id = call.caller.wallet_id
        if parameters.cursor is None or parameters.wallet_id not in {None, wallet_id}:
            return response
        repeated = self._store.get(wallet_id, parameters.cursor)
        if repeated is None:
            return response
        document = _document(response)
        fresh = cast("list[JSONObject]", document["data"])
        kept = fresh[: max(parameters.limit - 1, 1)]
        has_more = bool(document["has_more"]) or len(fresh) > len(kept)
        data = [self._json(repeated), *kept]
        next_cursor = data[-1]["spend_key_id"] if has_more else None
        return json_response(200, {"data": data, "has_more": has_more, "next_cursor": next_cursor})


class PaginationSkips(SpendKeyOperations):
    """`pagination_skips`: a page after a cursor leaves out the first key that should open it."""

    def list_spend_keys(self, call: Call) -> Response:
        """List from one key further on than the cursor says."""
        parameters = self._rules.list_parameters(call.query)
        if parameters.cursor is not None:
            skipped = self._store.page(call.caller.wallet_id, after=parameters.cursor, limit=1).spend_keys
            if skipped:
                parameters = replace(parameters, cursor=skipped[0].spend_key_id)
        return self._list_page(call, parameters)


class PaginationIgnoresLimit(SpendKeyOperations):
    """`pagination_ignores_limit`: every page holds as many keys as the largest `limit` allows."""

    def list_spend_keys(self, call: Call) -> Response:
        """List a page of up to the largest `limit`, whatever (valid) `limit` says."""
        highest = self._rules.list_query.highest
        largest = LOOSE_LIST_LIMIT_MAX if highest is None else highest
        return self._list_page(call, replace(self._rules.list_parameters(call.query), limit=largest))


class PaginationCycles(SpendKeyOperations):
    """`pagination_cycles`: the last page says `has_more` and points back to the first page.

    A client that follows `next_cursor` walks the same pages again and again and never reaches the end.
    """

    def list_spend_keys(self, call: Call) -> Response:
        """List as usual; on the last page of a walk that had a cursor, lead back to the start."""
        parameters = self._rules.list_parameters(call.query)
        response = self._list_page(call, parameters)
        document = _document(response)
        if parameters.cursor is None or document["has_more"]:
            return response
        first = self._store.page(call.caller.wallet_id, after=None, limit=1).spend_keys
        if not first:
            return response
        # The cursor "before the first key" is any id that sorts before every id: the empty string.
        document["has_more"], document["next_cursor"] = True, first[0].spend_key_id[:1]
        return json_response(200, document)


class PaginationEndless(SpendKeyOperations):
    """`pagination_endless`: `has_more` is always true; past the last key come empty pages, without end."""

    def list_spend_keys(self, call: Call) -> Response:
        """List as usual, but never say that the list has ended."""
        parameters = self._rules.list_parameters(call.query)
        document = _document(self._list_page(call, parameters))
        if not document["has_more"]:
            data = cast("list[JSONObject]", document["data"])
            # A fresh cursor each time, after every id the store can hold, so the walk never repeats one.
            last = str(data[-1]["spend_key_id"]) if data else (parameters.cursor or "sk_")
            document["has_more"], document["next_cursor"] = True, last + "~"
        return json_response(200, document)


# --- semantics of what only some specs declare (`conditions`): the totals, a defaulted field ----------


class TotalsDecrease(SpendKeyOperations):
    """`totals_decrease`: rotate takes the totals back to zero; the current-cycle figures stay."""

    def rotate(self, call: Call) -> Response:
        """Zero the totals, then rotate as usual."""
        spend_key = self._visible(call)
        spend_key.total_spend = "0"
        spend_key.total_requests = 0
        return super().rotate(call)


class TotalBelowCurrent(SpendKeyOperations):
    """`total_below_current`: the totals shown count the completed cycles only, not the current one."""

    def _json(self, spend_key: SpendKey, *, revealed: Mapping[str, str] | None = None) -> JSONObject:
        body = super()._json(spend_key, revealed=revealed)
        for current, total in self._rules.usage_totals.items():
            if total in body and current in body:
                left = Decimal(str(body[total])) - Decimal(str(body[current]))
                # Written as the conforming server writes each: a decimal string, or an integer.
                body[total] = format(left.normalize(), "f") if isinstance(body[total], str) else int(left)
        return body


class DefaultedFieldNotKept(SpendKeyOperations):
    """`request_shape_not_kept`: a value sent for a field the create body defaults is dropped.

    A new key always holds the default, whatever the create sent; an update leaves the stored value
    as it was.
    """

    def add_key(self, wallet_id: str, body: SpendKeyCreateBody) -> tuple[SpendKey, str]:
        """Make the key with the defaults in place of what was sent."""
        defaults = cast("SpendKeyCreateBody", dict(self._rules.create_defaults))
        return super().add_key(wallet_id, cast("SpendKeyCreateBody", {**body, **defaults}))

    def update(self, call: Call) -> Response:
        """Update as usual, then put back the defaulted fields as they were, and answer so."""
        # Looked up without `_visible`, so that a bad body is still a 4xx before an unknown id is a 404.
        spend_key = (
            None if call.spend_key_id is None else self._store.get(call.caller.wallet_id, call.spend_key_id)
        )
        kept = {} if spend_key is None else spend_key.settings.kept
        before = {name: kept[name] for name in self._rules.create_defaults if name in kept}
        response = super().update(call)
        if spend_key is None or all(kept.get(name) == value for name, value in before.items()):
            return response
        kept.update(before)
        return json_response(200, self._json(spend_key))


class DefaultNotApplied(SpendKeyOperations):
    """`default_not_applied`: a create that leaves a defaulted field out gets another value of its enum."""

    def __init__(self, store: SpendKeyStore, rules: RequestRules) -> None:
        wrong = {**rules.create_defaults, **defaults_with_alternatives(rules)}
        super().__init__(store, replace(rules, create_defaults=wrong))
