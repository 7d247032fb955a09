"""Transient failures: the answers a healthy server still gives now and then, for testing a client's retries.

A real server behind a load balancer sometimes says 429 (with `Retry-After`) or 503, drops a
connection, or stalls; asked again a moment later, it answers. `TransientFailures` makes the
reference server do exactly that, on loopback, so that lava_client's retries can be shown to work:

- `sequence` says what the first attempts of each request meet, one entry per attempt; from the
  attempt after the last entry on, the request is served normally. Attempts are counted per
  request: by its `Idempotency-Key` when it has one (so a retried POST is the same request), else
  by method, path and query.
- The entries (`KINDS`):
  - "429": a 429 `rate_limited` envelope with `Retry-After` (`retry_after`: seconds, or
    "http-date" for an HTTP date that many seconds ahead, `retry_after_seconds`); nothing is done.
  - "503", "500", "408": that status with the error envelope; nothing is done.
  - "drop": the status line and headers of a 200 go out, then the connection is cut before the
    body; nothing is done.
  - "drop_after": the request is served (a key is created, say), then its answer is cut off the
    same way. This is the case that duplicates a key when a client retries a POST without an
    Idempotency-Key.
  - "stall": the request waits `stall_seconds` before it is served, so a client's read timeout
    fires first. It is served after the wait.
- Every answer made here carries an `X-Request-Id`.

Only the spec's own paths are affected (whatever the method: a path the spec's router owns, as the
route `middleware.RouteRequests` recorded says); the simulated proxy, and any other path, is not.

It is a test double, not a fault: a client that handles these is right, and the server stays
within its contract on every attempt it answers. It is composed in by `create_app` as ASGI
middleware in front of everything else (throttling, faults) but the routing it asks, and no
conforming module knows of it.

It does not simulate failures that persist (that is what `faults` are for), slow bodies, or
connections refused before they open (a closed port does that).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Final

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract_tests.reference_server.errors import ApiError, rate_limited
from contract_tests.reference_server.middleware import route_of
from lava_spec import NotFound

KINDS: Final = ("429", "408", "500", "503", "drop", "drop_after", "stall")
REQUEST_ID_HEADER: Final = "X-Request-Id"
# The length a cut-off answer promises, so that the client notices the missing body.
_PROMISED_LENGTH: Final = 64


@dataclass(frozen=True, slots=True)
class TransientFailures:
    """What the first attempts of each request meet; see the module docstring."""

    sequence: tuple[str, ...]
    retry_after: str = "seconds"
    retry_after_seconds: int = 1
    stall_seconds: float = 2.0

    def __post_init__(self) -> None:
        """Refuse what cannot be served.

        Raises:
            ValueError: an entry that is not one of `KINDS`, an unknown `retry_after` form, or a
                negative wait.
        """
        unknown = [kind for kind in self.sequence if kind not in KINDS]
        if unknown:
            raise ValueError(f"unknown transient failure {unknown[0]!r}: choose from {', '.join(KINDS)}")
        if self.retry_after not in {"seconds", "http-date"}:
            raise ValueError(f"retry_after is 'seconds' or 'http-date', not {self.retry_after!r}")
        if self.retry_after_seconds < 0 or self.stall_seconds < 0:
            raise ValueError("retry_after_seconds and stall_seconds cannot be negative")

    @classmethod
    def parse(cls, text: str) -> TransientFailures:
        """The failures a comma-separated list names (the `--transient` flag), e.g. "429,503,drop_after"."""
        return cls(tuple(kind.strip() for kind in text.split(",") if kind.strip()))

    def middleware(self) -> Middleware:
        """The ASGI middleware that serves these failures."""
        return Middleware(TransientFailureMiddleware, failures=self)


class _Dropped(Exception):  # noqa: N818 - a signal to uvicorn, not an error
    """Raised after an answer's headers went out: uvicorn then closes the connection, body unsent."""


class _QuietDrops(logging.Filter):
    """Keeps uvicorn from logging a traceback for every connection cut on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _Dropped))


_QUIET_DROPS: Final = _QuietDrops()


@dataclass(slots=True)
class TransientFailureMiddleware:
    """ASGI middleware: the first attempts of each request meet `failures.sequence`."""

    app: ASGIApp
    failures: TransientFailures
    _attempts: dict[tuple[str, ...], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _request_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        # On the logger, not a handler: whatever handlers the process has, a planned drop stays quiet.
        logging.getLogger("uvicorn.error").addFilter(_QUIET_DROPS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the failure this attempt meets, or pass the request on."""
        if scope["type"] != "http" or isinstance(route_of(scope), NotFound):
            await self.app(scope, receive, send)
            return
        kind = self._next_kind(scope)
        request_id = f"req_transient_{next(self._request_ids)}"
        if kind is None:
            await self.app(scope, receive, _with_request_id(send, request_id))
        elif kind == "stall":
            # The request is read before the wait, as a slow server would have it, and served after.
            replay = await _buffered(receive)
            await asyncio.sleep(self.failures.stall_seconds)
            await self.app(scope, replay, _with_request_id(send, request_id))
        elif kind == "drop":
            # Read first: a socket closed with unread bytes sends a reset, which would make the drop look
            # different from one time to the next.
            await _buffered(receive)
            await _cut_off(send, request_id)
        elif kind == "drop_after":
            await self.app(scope, receive, _swallow)
            await _cut_off(send, request_id)
        else:
            await self._error(kind, request_id).to_response()(scope, receive, send)

    def _next_kind(self, scope: Scope) -> str | None:
        headers = Headers(scope=scope)
        key = headers.get("idempotency-key")
        identity = (
            ("idempotency-key", key)
            if key
            else (scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"))
        )
        with self._lock:
            attempt = self._attempts.get(identity, 0)
            self._attempts[identity] = attempt + 1
        return self.failures.sequence[attempt] if attempt < len(self.failures.sequence) else None

    def _error(self, kind: str, request_id: str) -> ApiError:
        if kind == "429":
            error = rate_limited(self.failures.retry_after_seconds)
            if self.failures.retry_after == "http-date":
                when = time.time() + self.failures.retry_after_seconds
                error = ApiError(
                    error.status, error.code, error.message, {"Retry-After": formatdate(when, usegmt=True)}
                )
        else:
            error = ApiError(
                int(kind),
                {"408": "request_timeout", "500": "internal_error", "503": "service_unavailable"}[kind],
                "A transient failure: try again.",
            )
        return ApiError(
            error.status, error.code, error.message, {**error.headers, REQUEST_ID_HEADER: request_id}
        )


def _with_request_id(send: Send, request_id: str) -> Send:
    async def send_with_request_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {
                **message,
                "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())],
            }
        await send(message)

    return send_with_request_id


async def _buffered(receive: Receive) -> Receive:
    """Read the whole request body now; the `receive` returned hands it out again, then waits."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    pending = iter(messages)

    async def replay() -> Message:
        return next(pending, None) or await receive()

    return replay


async def _swallow(_message: Message) -> None:
    """Throws an answer away: the client is to get none."""


async def _cut_off(send: Send, request_id: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": _headers(
                (
                    ("content-type", "application/json"),
                    ("content-length", str(_PROMISED_LENGTH)),
                    ("x-request-id", request_id),
                )
            ),
        }
    )
    raise _Dropped


def _headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode()) for name, value in pairs]
