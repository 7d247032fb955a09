"""Generic ASGI middleware the server is composed from: routing once, rewriting answers, dropping a header.

- `RouteRequests`, outermost, routes each HTTP request once with lava_spec's router and records the
  answer (`Found`, `MethodNotAllowed` or `NotFound`) in the scope. Every layer behind it, the
  dispatcher included, asks `route_of(scope)` instead of reading the path, so no two layers can
  disagree about which operation a request is.
- `RewriteAnswers` lets the app behind it answer, buffers the whole answer, and hands it to a
  rewrite that may change the status, the headers or the body. An `Answer` carries the routed
  `Operation`, so a rewrite asks which operation it answers (`answer.operation_id`), not what
  the path looks like. `each_spend_key` makes a rewrite of every spend key in a 2xx answer.
- `IgnoreRequestHeader` drops a request header before the app behind it sees it.

This module names no operation, path or schema of the spec, and decides nothing about what to
rewrite: the modules that compose these in do. It does not stream: every answer it rewrites is
small and JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeAlias
from urllib.parse import quote

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract_tests.reference_server.responses import JSON_MEDIA_TYPE, JSONObject, render_json
from lava_spec import Found, Operation, Router, RouteResult

# The scope key under which `RouteRequests` records a request's route.
ROUTE_SCOPE_KEY: Final = "lava_spec.route"
# The field that names a spend key: a body that has it is one spend key.
_SPEND_KEY_ID: Final = "spend_key_id"


def raw_path(scope: Scope) -> bytes:
    """The request's path as it came over the wire, percent-encoded: an encoded `/` stays one."""
    path: bytes | None = scope.get("raw_path")
    return quote(scope["path"]).encode() if path is None else path


class RouteRequests:
    """ASGI middleware that routes every HTTP request once, with `router`, for every layer behind it."""

    def __init__(self, app: ASGIApp, router: Router) -> None:
        self._app = app
        self._router = router

    def __repr__(self) -> str:
        return f"RouteRequests({self._router!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Record the route of an HTTP request in (a copy of) its scope, and pass it on."""
        if scope["type"] == "http":
            scope = {**scope, ROUTE_SCOPE_KEY: self._router.match(scope["method"], raw_path(scope))}
        await self._app(scope, receive, send)


def route_of(scope: Scope) -> RouteResult:
    """The route `RouteRequests` recorded for this HTTP request.

    Raises:
        RuntimeError: the app was composed without `RouteRequests` in front.
    """
    try:
        route: RouteResult = scope[ROUTE_SCOPE_KEY]
    except KeyError:
        raise RuntimeError("no route in the scope: compose RouteRequests in front of this layer") from None
    return route


def operation_of(scope: Scope) -> Operation | None:
    """The operation of the spec an HTTP request goes to, or None (an unknown path or method)."""
    route = route_of(scope)
    return route.operation if isinstance(route, Found) else None


@dataclass(slots=True)
class Answer:
    """A whole answer, as a rewrite sees and changes it, with the request it answers."""

    method: str
    # Percent-encoded, as it came over the wire.
    path: str
    # The operation of the spec the request went to; None for any other request (the simulated proxy).
    operation: Operation | None
    status: int
    headers: MutableHeaders
    body: bytes

    @property
    def operation_id(self) -> str | None:
        """The operationId the request went to, or None."""
        return None if self.operation is None else self.operation.operation_id

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON, as every answer of the conforming server is."""
        return self.headers.get("content-type", "").startswith(JSON_MEDIA_TYPE)

    @property
    def is_success(self) -> bool:
        """Whether the status is a 2xx."""
        return 200 <= self.status < 300


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
            answer = Answer(
                method=scope["method"],
                path=raw_path(scope).decode("latin-1"),
                operation=operation_of(scope),
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


def each_spend_key(
    change: Callable[[JSONObject], None], *, only: Callable[[Answer], bool] = lambda _answer: True
) -> Rewrite:
    """Return a rewrite that applies `change` to every spend key in a 2xx answer of an operation of the spec.

    A spend key is the body itself (a body with a `spend_key_id`) or an item of `data` (a page).
    """

    def rewrite(answer: Answer) -> None:
        if answer.operation is None or not (answer.is_success and answer.is_json and only(answer)):
            return
        document = json.loads(answer.body)
        if not isinstance(document, dict):
            return
        items = document.get("data")
        spend_keys = items if isinstance(items, list) else [document] if _SPEND_KEY_ID in document else []
        for spend_key in spend_keys:
            if isinstance(spend_key, dict):
                change(spend_key)
        answer.body = render_json(document)

    return rewrite
