"""Faults seeded at the HTTP edge: ASGI middleware that rewrites answers, or strips a request header.

`RewriteAnswers` lets the conforming server answer, buffers the whole answer, and hands it to a
rewrite that may change the status, the headers or the body. Every shape fault, every status
fault but `server_error_on_paused` (which must create nothing), and `created_at_changes` is one
such rewrite. Rewrites of spend-key bodies apply only to answers
from `/v1/manage/spend_keys` and below, so the simulated proxy's answer is left alone unless a
fault says otherwise. `IgnoreRequestHeader` drops a header before the server sees it.

Because the middleware sits outside the dispatcher, an `Idempotency-Key` replay is rewritten the
same way as the first answer, as it would be on a server that has the bug.

This module does not decide which fault is on (see `registry`) and does not stream: every
answer it rewrites is small and JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final, TypeAlias

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract_tests.reference_server.responses import JSON_MEDIA_TYPE, JSONObject, render_json

MANAGEMENT_PATH: Final = "/v1/manage/spend_keys"
# Day/month/year and minutes, as a person might write a time; RFC 3339 admits nothing like it.
MALFORMED_TIME_FORMAT: Final = "%d/%m/%Y %H:%M"
STORED_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(slots=True)
class Answer:
    """A whole answer, as a rewrite sees and changes it, with the request it answers."""

    method: str
    # Percent-encoded, as it came over the wire.
    path: str
    status: int
    headers: MutableHeaders
    body: bytes

    @property
    def is_management(self) -> bool:
        """Whether the request went to the management API (not to the simulated proxy)."""
        return self.path == MANAGEMENT_PATH or self.path.startswith(MANAGEMENT_PATH + "/")

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON, as every answer of the conforming server is."""
        return self.headers.get("content-type", "").startswith(JSON_MEDIA_TYPE)

    @property
    def is_success(self) -> bool:
        """Whether the status is a 2xx."""
        return 200 <= self.status < 300

    @property
    def is_list(self) -> bool:
        """Whether this answers `GET /manage/spend_keys`."""
        return self.method == "GET" and self.path == MANAGEMENT_PATH

    @property
    def is_get(self) -> bool:
        """Whether this answers `GET /manage/spend_keys/{id}`."""
        return self.method == "GET" and self.path.count("/") == MANAGEMENT_PATH.count("/") + 1


Rewrite: TypeAlias = Callable[[Answer], None]


class RewriteAnswers:
    """ASGI middleware that passes every HTTP answer of `app` through `rewrite` before sending it."""

    def __init__(self, app: ASGIApp, rewrite: Rewrite) -> None:
        self._app = app
        self._rewrite = rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run `app`, holding back its answer until `rewrite` has seen all of it."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started: list[Message] = []
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            start = started[0]
            raw_path: bytes | None = scope.get("raw_path")
            answer = Answer(
                method=scope["method"],
                # The raw path, as the dispatcher routes on it: an encoded `/` stays inside an id.
                path=scope["path"] if raw_path is None else raw_path.decode("latin-1"),
                status=start["status"],
                headers=MutableHeaders(raw=list(start.get("headers", []))),
                body=b"".join(chunks),
            )
            self._rewrite(answer)
            if answer.body or "content-length" in answer.headers:
                answer.headers["content-length"] = str(len(answer.body))
            await send({**start, "status": answer.status, "headers": answer.headers.raw})
            await send({"type": "http.response.body", "body": answer.body})

        await self._app(scope, receive, buffered)


class IgnoreRequestHeader:
    """ASGI middleware that removes one request header, so the app never sees it."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self._app = app
        self._name = name.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run `app` on a copy of the request without the header."""
        if scope["type"] == "http":
            headers = [(name, value) for name, value in scope["headers"] if name.lower() != self._name]
            scope = {**scope, "headers": headers}
        await self._app(scope, receive, send)


# --- rewrites of spend-key bodies ----------------------------------------------------------------------


def each_spend_key(
    change: Callable[[JSONObject], None], *, only: Callable[[Answer], bool] = lambda _answer: True
) -> Rewrite:
    """Return a rewrite that applies `change` to every spend key in a 2xx management answer.

    A spend key is the body itself (create, get, update, rotate) or an item of `data` (list).
    """

    def rewrite(answer: Answer) -> None:
        if not (answer.is_management and answer.is_success and answer.is_json and only(answer)):
            return
        document = json.loads(answer.body)
        if not isinstance(document, dict):
            return
        items = document.get("data")
        spend_keys = items if isinstance(items, list) else [document] if "spend_key_id" in document else []
        for spend_key in spend_keys:
            if isinstance(spend_key, dict):
                change(spend_key)
        answer.body = render_json(document)

    return rewrite


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
    if answer.method == "POST" and answer.path == MANAGEMENT_PATH and answer.status == 201:
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
    if answer.method == "DELETE" and answer.is_management and answer.status == 200:
        answer.status = 204
        answer.body = b""
        del answer.headers["content-type"]
        del answer.headers["content-length"]
