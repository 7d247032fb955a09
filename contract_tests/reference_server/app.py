"""The app factory: the server composed from the spec and its parts, and the order of the gates.

`create_app` reads the spec (`lava_spec.load_spec`) and builds a Starlette app that serves the
spec's operations under the spec's server path (`/v1`, from `https://api.lava.so/v1`). Nothing here
writes a path: one router, the spec's (`Spec.router`), routes each request once at the edge
(`middleware.RouteRequests`), and every layer (the dispatcher, the staging-like conditions, the
seeded faults, the transient failures) answers by that route. `HANDLERS` maps each operationId to
the operation that serves it. Every request goes through the same gates, in this order, and the
first gate that fails answers:

1. route: a path the spec does not declare is a 404, and a declared path with another method is a
   405 with `Allow` (the methods the spec declares for it). Routing uses the raw path, so a
   percent-encoded `/` in an id stays inside the id.
2. credentials: a missing, malformed or unknown bearer token is a 401.
3. rate limit: the request is counted for its token. With `enforce_rate_limit`, an exhausted
   window is a 429. Every answer from here on carries the `X-RateLimit-*` headers.
4. replay (the operations that declare `Idempotency-Key`): see `idempotency`, which holds the
   whole policy (the header's check, the replay key, what is stored, what a revoke forgets).
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

This module only composes: it holds no API behaviour of its own (that lives in `operations`,
`idempotency` and `validation`). It deliberately does not serve HEAD or OPTIONS (the spec declares
neither), documentation pages or a health check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final, TypeAlias

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from contract_tests.reference_server.auth import Authenticator, dev_token
from contract_tests.reference_server.clock import Clock, system_clock
from contract_tests.reference_server.errors import (
    ApiError,
    internal_error,
    method_not_allowed,
    not_found,
    rate_limited,
)
from contract_tests.reference_server.faults import Seams, fault_named
from contract_tests.reference_server.idempotency import IDEMPOTENCY_KEY_HEADER, IdempotentReplays
from contract_tests.reference_server.middleware import RouteRequests, raw_path, route_of
from contract_tests.reference_server.operations import Call, SpendKeyOperations
from contract_tests.reference_server.proxy import ChatCompletionsProxy
from contract_tests.reference_server.rate_limit import RateLimiter
from contract_tests.reference_server.staging import StagingConditions, staging_parts
from contract_tests.reference_server.store import Cycles
from contract_tests.reference_server.transient import TransientFailures
from contract_tests.reference_server.validation import request_rules
from lava_spec import MethodNotAllowed, NotFound, RouteResult, Spec, load_spec

DEFAULT_WALLET_ID: Final = "wallet_dev"
# Requests per minute per API key, as on Lava's introduction page.
DEFAULT_RATE_LIMIT: Final = 1000

# What serves one operation: a checked, authenticated call in, the answer out (or an ApiError).
Handler: TypeAlias = Callable[[Call], Response]


def create_app(  # noqa: PLR0913 - every option is keyword-only and off by default
    wallets: Mapping[str, str] | None = None,
    *,
    rate_limit: int = DEFAULT_RATE_LIMIT,
    enforce_rate_limit: bool = False,
    spec_path: Path | None = None,
    fault: str | None = None,
    staging: StagingConditions | None = None,
    transient: TransientFailures | None = None,
    clock: Clock = system_clock,
) -> Starlette:
    """Return a reference server for Lava's spend-key management API.

    Its store starts empty, unless `staging` asks for preexisting keys.

    Besides the spec's operations it serves, as a test-double capability that is not part of
    `openapi/lava.yaml`, a simulated proxy at `POST /v1/chat/completions` (under the spec's server
    path): authenticated by a raw spend key, it records one request costing "0.0125" against that
    key (see `proxy`).

    Args:
        wallets: bearer token -> wallet id. Defaults to `{dev_token(spec): "wallet_dev"}`: the
            development token `DEFAULT_DEV_TOKEN`, with the spec's test prefix where the spec states
            its credential's prefixes (see `auth.dev_token`). Where it does, every token must have
            one. The first entry is "the first wallet" that the auth faults let strangers act for.
        rate_limit: requests per token per 60-second window, reported in `X-RateLimit-Limit`.
        enforce_rate_limit: answer 429 once a window is used up. Off by default, because the
            contract suite sends far more than 1000 requests a minute.
        spec_path: the OpenAPI document to serve: its paths, operations, parameters and schemas
            (read with `lava_spec.load_spec`). Defaults to the spec of the API version that
            `LAVA_API_VERSION` names (`openapi/lava.yaml`, v0, when it is not set).
        fault: the name of one seeded fault (`faults.FAULTS`) to build in, or None (the
            default) for the conforming server.
        staging: staging-like conditions to build in (`staging.StagingConditions`, e.g. the
            preset `STAGING_LIKE`), or None (the default) for none. They keep to the contract,
            and combine with `fault`.
        transient: transient failures (`transient.TransientFailures`: 429s, 503s, dropped
            connections, stalls) that the first attempts of each request meet, in front of
            everything else, or None (the default) for none. For testing a client's retries.
        clock: what tells the server the time (an aware datetime in UTC; see `clock`): for
            `created_at`, `last_used_at`, expiry in the proxy and the end of a limit's cycle.
            Defaults to the real time; a test passes a `ManualClock` to move time.

    Raises:
        ValueError: `fault` names no fault (the message lists them all) or one that does not
            apply to the spec (the message says why: `Fault.applies_to`), `wallets` or
            `rate_limit` is unusable (a token without the spec's credential prefixes, say),
            `staging` does not fit the spec (see `staging.staging_parts`), or the spec has an
            operation that no handler serves (the message names it; see `HANDLERS`).
        SpecError: the spec cannot be read, or lacks an operation the server needs.
        UnknownApiVersionError: no `spec_path` is given and `LAVA_API_VERSION` names no version.
    """
    spec = load_spec(spec_path)
    seams = Seams() if fault is None else fault_named(fault, spec).seams
    wallets = {dev_token(spec): DEFAULT_WALLET_ID} if wallets is None else wallets
    authenticator = seams.authenticator(wallets, spec.key_prefixes.values())
    limiter = RateLimiter(rate_limit)
    # With every condition off (the default), the parts are empty and the server is unchanged.
    staged = staging_parts(
        StagingConditions() if staging is None else staging,
        spec=spec,
        authenticator=authenticator,
        rate_limit=rate_limit,
    )
    store = seams.store(clock, Cycles.of(spec))
    operations = seams.operations(store, request_rules(spec, transform=seams.request_components))
    staged.add_preexisting_keys(operations.add_key, wallets.values())
    dispatcher = _Dispatcher(
        spec,
        handlers=_handlers(spec, operations),
        authenticator=authenticator,
        limiter=limiter,
        enforce_rate_limit=enforce_rate_limit,
        proxy=ChatCompletionsProxy(store, base_path=spec.base_path, clock=clock),
    )
    app = Starlette(
        exception_handlers={Exception: _internal_error},
        middleware=(
            # Outermost: every layer behind it asks the route it recorded (`middleware.route_of`).
            Middleware(RouteRequests, router=spec.router()),
            *([] if transient is None else [transient.middleware()]),
            *staged.in_front,
            *seams.middleware,
            *staged.behind,
        ),
    )
    # No Starlette routes: the dispatcher takes every request and answers the route lava_spec found.
    # (A catch-all `Route("/{path:path}")` would miss paths with a newline, since its `.` skips `\n`.)
    app.router.default = dispatcher
    app.router.redirect_slashes = False
    return app


# operationId -> the method of `SpendKeyOperations` (or of a fault's subclass) that serves it. This
# table is the one place to edit when the spec gains an operation that needs semantics of its own;
# `create_app` refuses a spec with an operation that is not here.
HANDLERS: Final[Mapping[str, Callable[[SpendKeyOperations], Handler]]] = {
    "create_spend_key": lambda operations: operations.create,
    "list_spend_keys": lambda operations: operations.list_spend_keys,
    "get_spend_key": lambda operations: operations.get,
    "update_spend_key": lambda operations: operations.update,
    "revoke_spend_key": lambda operations: operations.revoke,
    "rotate_spend_key": lambda operations: operations.rotate,
}


def _handlers(spec: Spec, operations: SpendKeyOperations) -> Mapping[str, Handler]:
    for operation in spec.operations.values():
        if operation.operation_id not in HANDLERS:
            raise ValueError(
                f"the spec ({spec.path}) has an operation that the reference server cannot serve: "
                f"{operation.operation_id} ({operation.label}); add its handler to HANDLERS in "
                f"contract_tests/reference_server/app.py"
            )
    return {operation_id: HANDLERS[operation_id](operations) for operation_id in spec.operations}


async def _internal_error(_request: Request, _exc: Exception) -> Response:
    return internal_error().to_response()


class _Dispatcher:
    """The ASGI app behind every middleware: answers a request by its route, through the gates."""

    def __init__(  # noqa: PLR0913 - the parts it is composed of, each keyword-only
        self,
        spec: Spec,
        *,
        handlers: Mapping[str, Handler],
        authenticator: Authenticator,
        limiter: RateLimiter,
        enforce_rate_limit: bool,
        proxy: ChatCompletionsProxy,
    ) -> None:
        self._handlers = handlers
        self._authenticator = authenticator
        self._limiter = limiter
        self._enforce_rate_limit = enforce_rate_limit
        self._proxy = proxy
        self._replays = IdempotentReplays()
        paths = sorted({spec.base_path + operation.path for operation in spec.operations.values()})
        self._no_such_path = f"No such path: this API serves {', '.join(paths)}."

    def __repr__(self) -> str:
        return f"_Dispatcher({', '.join(self._handlers)})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # Only HTTP is served; Starlette's router handles lifespan events before this point.
            await send({"type": "websocket.close", "code": 1008})
            return
        request = Request(scope, receive)
        route = route_of(scope)
        if isinstance(route, NotFound) and raw_path(scope) == self._proxy.path.encode():
            response = await self._proxy.respond(request)
        else:
            response = await self._respond(request, route)
        await response(scope, receive, send)

    async def _respond(self, request: Request, route: RouteResult) -> Response:
        try:
            if isinstance(route, MethodNotAllowed):
                raise method_not_allowed(", ".join(route.allow))
            if isinstance(route, NotFound):
                raise not_found(self._no_such_path)
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
                # The spend-key paths have one parameter, the key's id, whatever the spec calls it.
                spend_key_id=next(iter(route.path_parameters.values()), None),
                query=query,
                content_type=request.headers.get("content-type"),
                body=await request.body(),
            )
            response = self._replays.respond(
                route,
                call,
                request.headers.getlist(IDEMPOTENCY_KEY_HEADER),
                self._handlers[route.operation.operation_id],
            )
        except ApiError as error:
            response = error.to_response()
        response.headers.update(quota.headers())
        return response
