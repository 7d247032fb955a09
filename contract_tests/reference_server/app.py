"""The app factory: routes, and the order in which a request is checked.

`create_app` builds a Starlette app that serves the spec's operations under `/v1` (the spec's
server is `https://api.lava.so/v1`). Every request goes through the same gates, in this order,
and the first gate that fails answers:

1. route: an unknown path is a 404 and a known path with another method is a 405 with `Allow`.
   Routing uses the raw path, so a percent-encoded `/` in an id stays inside the id.
2. credentials: a missing, malformed or unknown bearer token is a 401.
3. rate limit: the request is counted for its token. With `enforce_rate_limit`, an exhausted
   window is a 429. Every answer from here on carries the `X-RateLimit-*` headers.
4. replay (create and rotate only): the `Idempotency-Key` header is checked (400), and a
   request already answered with a 2xx gets the same answer again (see `idempotency`). Revoking
   a key forgets its replays.
5. the operation: its body (415, 400, 422) and then the spend key it names (404).

An unexpected exception becomes a 500 with the error envelope; it is a bug in this server.

Outside the spec, as a test double, `POST /v1/chat/completions` is a simulated model proxy
authenticated by a raw spend key (see `proxy`). It skips the gates above, since it answers to
spend keys rather than to the management API's tokens. It is what gives keys usage, and what
shows that a revoked or rotated-away key stops working.

`create_app(fault=NAME)` builds the server with one seeded fault (see `faults`). The fault is
composed in, never branched on: it names the parts the server is built from (`faults.Seams`),
and with no fault every part is the conforming one. `create_app(staging=StagingConditions(...))`
composes in staging-like conditions the same way (see `staging`): middleware in front of the
gates above (throttle, delay) and around the server's answers (undeclared fields), and keys
created at start-up. They are no fault, and they go with a fault as well as without one.

This module holds no API behaviour of its own; that lives in `operations`. It deliberately does
not serve HEAD or OPTIONS (the spec declares neither), documentation pages or a health check.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote, unquote_to_bytes

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from contract_tests.reference_server.auth import DEFAULT_DEV_TOKEN, Authenticator
from contract_tests.reference_server.errors import (
    ApiError,
    internal_error,
    method_not_allowed,
    not_found,
    rate_limited,
)
from contract_tests.reference_server.faults import Seams, fault_named
from contract_tests.reference_server.idempotency import ReplayCache, StoredResponse
from contract_tests.reference_server.operations import Call, SpendKeyOperations
from contract_tests.reference_server.proxy import PROXY_PATH, ChatCompletionsProxy
from contract_tests.reference_server.rate_limit import RateLimiter
from contract_tests.reference_server.responses import bytes_response
from contract_tests.reference_server.staging import StagingConditions, staging_parts
from contract_tests.reference_server.transient import TransientFailures
from contract_tests.reference_server.validation import (
    DEFAULT_SPEC_PATH,
    idempotency_key,
    load_request_schemas,
)

DEFAULT_WALLET_ID: Final = "wallet_dev"
# Requests per minute per API key, as on Lava's introduction page.
DEFAULT_RATE_LIMIT: Final = 1000

# The path up to the collection, as segments of the raw path ("" comes before the leading "/").
_COLLECTION: Final = ("", "v1", "manage", "spend_keys")
_ROTATE: Final = "rotate"
_PROXY_RAW_PATH: Final = PROXY_PATH.encode()


def create_app(  # noqa: PLR0913 - every option is keyword-only and off by default
    wallets: Mapping[str, str] | None = None,
    *,
    rate_limit: int = DEFAULT_RATE_LIMIT,
    enforce_rate_limit: bool = False,
    spec_path: Path | None = None,
    fault: str | None = None,
    staging: StagingConditions | None = None,
    transient: TransientFailures | None = None,
) -> Starlette:
    """Return a reference server for Lava's spend-key management API.

    Its store starts empty, unless `staging` asks for preexisting keys.

    Besides the spec's operations it serves, as a test-double capability that is not part of
    `openapi/lava.yaml`, a simulated proxy at `POST /v1/chat/completions`: authenticated by a raw
    spend key, it records one request costing "0.0125" against that key (see `proxy`).

    Args:
        wallets: bearer token -> wallet id. Defaults to `{DEFAULT_DEV_TOKEN: "wallet_dev"}`. The
            first entry is "the first wallet" that the auth faults let strangers act for.
        rate_limit: requests per token per 60-second window, reported in `X-RateLimit-Limit`.
        enforce_rate_limit: answer 429 once a window is used up. Off by default, because the
            contract suite sends far more than 1000 requests a minute.
        spec_path: the OpenAPI document whose request schemas bodies are checked against.
            Defaults to the repository's `openapi/lava.yaml`.
        fault: the name of one seeded fault (`faults.FAULTS`) to build in, or None (the
            default) for the conforming server.
        staging: staging-like conditions to build in (`staging.StagingConditions`, e.g. the
            preset `STAGING_LIKE`), or None (the default) for none. They keep to the contract,
            and combine with `fault`.
        transient: transient failures (`transient.TransientFailures`: 429s, 503s, dropped
            connections, stalls) that the first attempts of each request meet, in front of
            everything else, or None (the default) for none. For testing a client's retries.

    Raises:
        ValueError: `fault` names no fault (the message lists them all), `wallets` or
            `rate_limit` is unusable, or `staging` does not fit the spec (see
            `staging.staging_parts`).
    """
    seams = Seams() if fault is None else fault_named(fault).seams
    wallets = {DEFAULT_DEV_TOKEN: DEFAULT_WALLET_ID} if wallets is None else wallets
    authenticator = seams.authenticator(wallets)
    limiter = RateLimiter(rate_limit)
    spec_path = spec_path or DEFAULT_SPEC_PATH
    # With every condition off (the default), the parts are empty and the server is unchanged.
    staged = staging_parts(
        StagingConditions() if staging is None else staging,
        spec_path=spec_path,
        authenticator=authenticator,
        rate_limit=rate_limit,
    )
    store = seams.store()
    staged.add_preexisting_keys(store, wallets.values())
    schemas = load_request_schemas(spec_path, transform=seams.request_components)
    dispatcher = _Dispatcher(
        authenticator=authenticator,
        limiter=limiter,
        enforce_rate_limit=enforce_rate_limit,
        operations=seams.operations(store, schemas),
        proxy=ChatCompletionsProxy(store),
    )
    app = Starlette(
        exception_handlers={Exception: _internal_error},
        middleware=(
            *([] if transient is None else [transient.middleware()]),
            *staged.in_front,
            *seams.middleware,
            *staged.behind,
        ),
    )
    # No Starlette routes: the dispatcher takes every request and routes on the raw path itself.
    # (A catch-all `Route("/{path:path}")` would miss paths with a newline, since its `.` skips `\n`.)
    app.router.default = dispatcher
    app.router.redirect_slashes = False
    return app


async def _internal_error(_request: Request, _exc: Exception) -> Response:
    return internal_error().to_response()


@dataclass(frozen=True, slots=True)
class _Operation:
    handle: Callable[[Call], Response]
    # Whether `Idempotency-Key` applies: the spec declares it on the two POST operations.
    replayable: bool = False
    # Whether success makes the key's stored replays stale (revoke: see `_respond`).
    ends_spend_key: bool = False


@dataclass(frozen=True, slots=True)
class _Resource:
    operations: Mapping[str, _Operation]
    # The path with `{id}` in it, from which `_Target.path` is built.
    template: str

    @property
    def allow(self) -> str:
        return ", ".join(self.operations)


@dataclass(frozen=True, slots=True)
class _Target:
    """What a request path names: a resource, the `{id}` in it, and the path in one canonical spelling."""

    resource: _Resource
    spend_key_id: str | None

    @property
    def path(self) -> str:
        return self.resource.template.format(id=quote(self.spend_key_id or "", safe=""))


class _Dispatcher:
    """The ASGI app behind the catch-all route: routes a request and runs it through the gates."""

    def __init__(
        self,
        *,
        authenticator: Authenticator,
        limiter: RateLimiter,
        enforce_rate_limit: bool,
        operations: SpendKeyOperations,
        proxy: ChatCompletionsProxy,
    ) -> None:
        self._authenticator = authenticator
        self._proxy = proxy
        self._limiter = limiter
        self._enforce_rate_limit = enforce_rate_limit
        self._replays = ReplayCache()
        self._collection = _Resource(
            {
                "GET": _Operation(operations.list_spend_keys),
                "POST": _Operation(operations.create, replayable=True),
            },
            template="/v1/manage/spend_keys",
        )
        self._item = _Resource(
            {
                "GET": _Operation(operations.get),
                "PUT": _Operation(operations.update),
                "DELETE": _Operation(operations.revoke, ends_spend_key=True),
            },
            template="/v1/manage/spend_keys/{id}",
        )
        self._rotate = _Resource(
            {"POST": _Operation(operations.rotate, replayable=True)},
            template="/v1/manage/spend_keys/{id}/rotate",
        )

    def __repr__(self) -> str:
        return "_Dispatcher(/v1/manage/spend_keys)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # Only HTTP is served; Starlette's router handles lifespan events before this point.
            await send({"type": "websocket.close", "code": 1008})
            return
        request = Request(scope, receive)
        respond = self._proxy.respond if _raw_path(scope) == _PROXY_RAW_PATH else self._respond
        response = await respond(request)
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        try:
            target = self._route(request.scope)
            operation = target.resource.operations.get(request.method)
            if operation is None:
                raise method_not_allowed(target.resource.allow)
            caller = self._authenticator.authenticate(request.headers.getlist("authorization"))
        except ApiError as error:
            return error.to_response()
        quota = self._limiter.hit(caller.token_digest)
        try:
            if quota.exceeded and self._enforce_rate_limit:
                raise rate_limited(quota.retry_after)
            query: dict[str, list[str]] = {}
            for name, value in request.query_params.multi_items():
                query.setdefault(name, []).append(value)
            call = Call(
                caller=caller,
                spend_key_id=target.spend_key_id,
                query=query,
                content_type=request.headers.get("content-type"),
                body=await request.body(),
            )
            if operation.replayable:
                response = self._replayed_or_handled(operation, call, request, target)
            else:
                response = operation.handle(call)
            if operation.ends_spend_key and target.spend_key_id is not None and response.status_code == 200:
                # Replaying the create or rotate of a revoked key would hand out a dead secret and
                # a key that get, update and list deny. A retry after the revoke is a new request.
                self._replays.forget(target.spend_key_id)
        except ApiError as error:
            response = error.to_response()
        response.headers.update(quota.headers())
        return response

    def _route(self, scope: Scope) -> _Target:
        try:
            segments = [unquote_to_bytes(segment).decode() for segment in _raw_path(scope).split(b"/")]
        except UnicodeDecodeError:
            segments = []
        prefix, rest = tuple(segments[: len(_COLLECTION)]), segments[len(_COLLECTION) :]
        if prefix == _COLLECTION:
            if not rest:
                return _Target(self._collection, None)
            if len(rest) == 1:
                return _Target(self._item, rest[0])
            if len(rest) == 2 and rest[1] == _ROTATE:
                return _Target(self._rotate, rest[0])
        raise not_found("No such path: this API serves /v1/manage/spend_keys and the paths below it.")

    def _replayed_or_handled(
        self, operation: _Operation, call: Call, request: Request, target: _Target
    ) -> Response:
        key = idempotency_key(request.headers.getlist("idempotency-key"))
        if key is None:
            return operation.handle(call)
        replay_key = (
            call.caller.token_digest,
            request.method,
            target.path,
            key,
            hashlib.sha256(call.body).digest(),
        )
        stored = self._replays.get(replay_key)
        if stored is not None:
            return bytes_response(stored.status_code, stored.body, {"Idempotent-Replayed": "true"})
        response = operation.handle(call)
        if 200 <= response.status_code < 300:
            body = bytes(response.body)
            # Create and rotate both answer a `SpendKeyWithSecret`, which names the key it is about.
            spend_key_id = json.loads(body)["spend_key_id"]
            self._replays.put(replay_key, StoredResponse(response.status_code, body, spend_key_id))
        return response


def _raw_path(scope: Scope) -> bytes:
    raw_path: bytes | None = scope.get("raw_path")
    return quote(scope["path"]).encode() if raw_path is None else raw_path
