"""Faults seeded at the HTTP edge: rewrites of the server's answers, for the generic `RewriteAnswers`.

Every shape fault, every status fault but `server_error_on_paused` (which must create nothing),
and `created_at_changes` is one rewrite of an `Answer` (see `middleware`), composed in by
`registry` as `RewriteAnswers` around the conforming server. A rewrite of spend-key bodies is
made with `each_spend_key`, so it applies only to answers of the spec's operations and leaves the
simulated proxy's answer alone; a rewrite that is about one operation asks for it by its
operationId (`answer.operation_id`), never by the look of the path.

Because the middleware sits outside the dispatcher, an `Idempotency-Key` replay is rewritten the
same way as the first answer, as it would be on a server that has the bug.

This module does not decide which fault is on (see `registry`), and holds no middleware of its
own (`middleware` does: `RewriteAnswers`, and `IgnoreRequestHeader` for `idempotency_ignored`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from contract_tests.reference_server.middleware import Answer
from contract_tests.reference_server.responses import JSONObject, render_json

# Day/month/year and minutes, as a person might write a time; RFC 3339 admits nothing like it.
MALFORMED_TIME_FORMAT: Final = "%d/%m/%Y %H:%M"
STORED_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
# The operations some rewrites are about, by their operationIds in the spec.
CREATE: Final = "create_spend_key"
GET: Final = "get_spend_key"
LIST: Final = "list_spend_keys"
REVOKE: Final = "revoke_spend_key"


def answers(operation_id: str) -> Callable[[Answer], bool]:
    """Whether an answer is to the operation `operation_id`: for `each_spend_key(..., only=...)`."""
    return lambda answer: answer.operation_id == operation_id


# --- rewrites of spend-key bodies ----------------------------------------------------------------------


def drop_key_preview(spend_key: JSONObject) -> None:
    """`missing_key_preview`."""
    spend_key.pop("key_preview", None)


def current_requests_as_string(spend_key: JSONObject) -> None:
    """`current_requests_as_string`."""
    spend_key["current_requests"] = str(spend_key["current_requests"])


def null_name(spend_key: JSONObject) -> None:
    """`null_name`."""
    spend_key["name"] = None


def active_as_enabled(spend_key: JSONObject) -> None:
    """`status_outside_enum`: "active" is called "enabled", which the enum does not have."""
    if spend_key["status"] == "active":
        spend_key["status"] = "enabled"


def created_at_malformed(spend_key: JSONObject) -> None:
    """`created_at_malformed`: day/month/year and minutes, as a person might write it."""
    created = datetime.strptime(str(spend_key["created_at"]), STORED_TIME_FORMAT).replace(tzinfo=UTC)
    spend_key["created_at"] = created.strftime(MALFORMED_TIME_FORMAT)


def current_spend_as_number(spend_key: JSONObject) -> None:
    """`current_spend_as_number`: the decimal string becomes a JSON number."""
    amount = Decimal(str(spend_key["current_spend"]))
    spend_key["current_spend"] = int(amount) if amount == amount.to_integral_value() else float(amount)


def negative_current_requests(spend_key: JSONObject) -> None:
    """`negative_current_requests`."""
    spend_key["current_requests"] = -1


def created_at_now(spend_key: JSONObject) -> None:
    """`created_at_changes`: the time of the read, to the microsecond, so two reads never agree."""
    spend_key["created_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- rewrites of status codes, media types and error bodies -------------------------------------------


def create_answers_200(answer: Answer) -> None:
    """`create_answers_200`."""
    if answer.operation_id == CREATE and answer.status == 201:
        answer.status = 200


def text_plain_success(answer: Answer) -> None:
    """`text_plain_content_type`: the same bytes, declared as plain text."""
    if answer.is_success:
        answer.headers["content-type"] = "text/plain; charset=utf-8"


def bare_404_detail(answer: Answer) -> None:
    """`error_without_envelope`: a 404 says `{"detail": ...}` instead of the error envelope."""
    if answer.status == 404 and answer.is_json:
        envelope = json.loads(answer.body)
        answer.body = render_json({"detail": envelope["error"]["message"]})


def revoke_answers_204(answer: Answer) -> None:
    """`revoke_answers_204`: No Content, with no body and so no media type."""
    if answer.operation_id == REVOKE and answer.status == 200:
        answer.status = 204
        answer.body = b""
        del answer.headers["content-type"]
        del answer.headers["content-length"]
