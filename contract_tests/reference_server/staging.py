"""Staging-like conditions: what a real, shared staging server does that a fresh reference server does not.

A contract suite that is safe against Lava's staging server must cope with other people's keys,
with throttling, with slow answers and with fields that a later API version adds. This module lets
the reference server show all four on loopback, so the suite can prove it copes before it ever
touches a shared server. `StagingConditions` says which are on; every one is off by default:

- `preexisting_keys`: at start-up every wallet already holds this many keys, `preexisting-1` to
  `preexisting-<n>`, each with a spend limit and an allow-list of models, as if other people had
  created them. Their raw keys are thrown away, as another person's would be out of reach.
- `throttle_every`: every Nth request per token to an operation of the spec is answered 429
  `rate_limited`, with `Retry-After: <retry_after_seconds>` and the `X-RateLimit-*` headers (with
  `X-RateLimit-Remaining: 0`), and is not handled: nothing is created or changed. The count
  follows the server's gates (see `app`): a request that routes nowhere or that fails
  authentication is neither counted nor refused, so a 404, 405 or 401 stays what it was. The
  simulated proxy is never throttled. A refused request never reaches the server's own rate
  limiter, so it does not count against `X-RateLimit-Remaining` either.
- `slow_seconds` and `slow_operation`: every request routed to that operation (an `operationId`
  of the spec) waits that long before it is handled, with `asyncio.sleep`, so other requests are
  served meanwhile.
- `undeclared_fields`: every spend key in a 2xx answer (create, get, update, rotate and each list
  item, replays included) carries these extra fields, as Lava's later API versions add
  `request_shape`, `total_spend` and `total_requests`
  (https://www.lava.so/docs/api-reference/spend-keys/get-spend-key).
  The spec's schemas allow additional properties, so every answer stays valid. A name that the
  spec declares for a spend key is refused, since overwriting it could break the contract.

`STAGING_LIKE` is the preset that `python -m contract_tests.reference_server --staging-like`
serves. None of these is a fault: a staging-like server still honours the contract, and a suite
that fails against one is wrong, not the server.

The conditions are composed in by `create_app`, as the seeded faults are: the throttle and the
delay are ASGI middleware in front of the server (and in front of any fault), which find a
request's operation in the route the spec's router recorded (`middleware.route_of`), as the
dispatcher does; the extra fields are a rewrite of the server's own answers (behind any fault,
with the generic `middleware.RewriteAnswers`); and the keys are created as a create body would be
(`SpendKeyOperations.add_key`), with settings the spec admits (their cycles are the spec's). What
the conditions need of the spec (its operationIds, the fields it declares for a spend key, the
cycles) is asked of `lava_spec`. No conforming module knows about any of it.

This module does not simulate other people's traffic after start-up (nobody else creates,
changes or uses keys later), does not throttle by time window (that is `rate_limit`'s job), and
does not vary the delay.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from contract_tests.reference_server.auth import Authenticator
from contract_tests.reference_server.errors import ApiError, rate_limited
from contract_tests.reference_server.middleware import RewriteAnswers, each_spend_key, operation_of
from contract_tests.reference_server.responses import JSONObject, render_json
from contract_tests.reference_server.validation import SpendKeyCreateBody
from lava_spec import Spec

PREEXISTING_NAME_PREFIX: Final = "preexisting-"
# Where the preexisting keys' cycles come from: the enum of a create body's `spend_limit.cycle`.
_CREATE: Final = "create_spend_key"
_SPEND_LIMIT: Final = "spend_limit"
_CYCLE: Final = "cycle"
# Models that other people might have allowed; they vary with n so that no two keys look alike.
_MODELS: Final = ("gpt-4o-mini", "claude-3-5-haiku-latest", "gemini-2.0-flash")


def _frozen_fields() -> Mapping[str, object]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class StagingConditions:
    """Which staging-like conditions the reference server shows; all are off by default.

    `undeclared_fields` may be given as any mapping of field name to JSON value. It is kept as a
    read-only copy (a `MappingProxyType` over a deep copy), so changing the mapping passed in later
    changes nothing, and it takes no part in the hash (its values need not be hashable).

    Raises:
        ValueError: a count or a time is negative (or not finite), `throttle_every` is 1 (every
            request would be refused), `slow_operation` is empty, or an undeclared field's name is
            not a non-empty string or its value is not JSON.
    """

    # Keys named `preexisting-<n>` that every wallet holds from start-up.
    preexisting_keys: int = 0
    # Every Nth request per token to an operation of the spec is a 429; 0 means never.
    throttle_every: int = 0
    # The `Retry-After` of those 429s, in whole seconds.
    retry_after_seconds: int = 1
    # How much longer `slow_operation` takes; 0 means no longer.
    slow_seconds: float = 0.0
    # An `operationId` of the spec.
    slow_operation: str = "list_spend_keys"
    # Extra fields on every spend key in a successful answer.
    undeclared_fields: Mapping[str, object] = field(default_factory=_frozen_fields, hash=False)

    def __post_init__(self) -> None:
        """Check every value, and freeze `undeclared_fields`."""
        if self.preexisting_keys < 0:
            raise ValueError("preexisting_keys must be 0 (none) or more")
        if self.throttle_every < 0 or self.throttle_every == 1:
            raise ValueError("throttle_every must be 0 (never) or at least 2: 1 would refuse every request")
        if self.retry_after_seconds < 0:
            raise ValueError("retry_after_seconds must be 0 or more (the spec's minimum for Retry-After)")
        if not (math.isfinite(self.slow_seconds) and self.slow_seconds >= 0):
            raise ValueError("slow_seconds must be a finite number of seconds, 0 (not slow) or more")
        if not self.slow_operation:
            raise ValueError("slow_operation must name an operationId of the spec")
        fields = copy.deepcopy(dict(self.undeclared_fields))
        for name, value in fields.items():
            if not isinstance(name, str) or not name:
                raise ValueError("every undeclared field needs a non-empty string as its name")
            try:
                render_json(value)
            except (TypeError, ValueError):
                raise ValueError(f"the undeclared field {name!r} must have a JSON value") from None
        # A frozen dataclass can only be given its frozen copy this way.
        object.__setattr__(self, "undeclared_fields", MappingProxyType(fields))

    def for_spec(self, spec: Spec) -> StagingConditions:
        """These conditions, less the undeclared fields that `spec` declares for a spend key.

        A preset's undeclared fields stand for what a staging server ahead of the spec shows (v2's fields
        on a v0 server); on a spec that declares one, it is no longer undeclared, so it is left out.
        """
        declared = spec.spend_key_fields
        kept = {name: value for name, value in self.undeclared_fields.items() if name not in declared}
        return dataclasses.replace(self, undeclared_fields=kept)

    def describe(self) -> str:
        """Return one line that says which conditions are on, for a person starting the server."""
        parts = []
        if self.preexisting_keys:
            parts.append(f"{self.preexisting_keys} preexisting keys per wallet")
        if self.throttle_every:
            parts.append(
                f"every {_ordinal(self.throttle_every)} request per token is a 429 "
                f"(Retry-After: {self.retry_after_seconds})"
            )
        if self.slow_seconds:
            parts.append(f"{self.slow_operation} takes {self.slow_seconds:g} s longer")
        if self.undeclared_fields:
            parts.append(f"spend keys carry undeclared {', '.join(self.undeclared_fields)}")
        return ", ".join(parts) or "none"


def _ordinal(n: int) -> str:
    suffix = "th" if n % 100 in {11, 12, 13} else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


STAGING_LIKE: Final = StagingConditions(
    preexisting_keys=5,
    throttle_every=25,
    retry_after_seconds=1,
    slow_seconds=0.5,
    slow_operation="list_spend_keys",
    # v2's fields (undeclared by v0's spec), and one that no version declares.
    undeclared_fields={"request_shape": "openai", "total_spend": "0", "total_requests": 0, "metadata": {}},
)


@dataclass(frozen=True, slots=True)
class StagingParts:
    """What `create_app` composes in for a set of conditions; nothing at all when every one is off."""

    # In front of the server and of any fault, outermost first: the throttle, then the delay.
    in_front: tuple[Middleware, ...] = ()
    # Behind any fault, around the server's own answers: the undeclared fields.
    behind: tuple[Middleware, ...] = ()
    preexisting_keys: int = 0
    # The cycles the spec allows, which the preexisting keys' spend limits take in turn.
    cycles: tuple[str, ...] = ()

    def add_preexisting_keys(
        self, add_key: Callable[[str, SpendKeyCreateBody], object], wallet_ids: Iterable[str]
    ) -> None:
        """Create the preexisting keys in every wallet with `add_key`, and throw their raw keys away.

        `add_key(wallet_id, body)` stores a key made from a create body (`SpendKeyOperations.add_key`,
        which gives it the spec's defaults too).
        """
        for wallet_id in dict.fromkeys(wallet_ids):
            for n in range(1, self.preexisting_keys + 1):
                add_key(wallet_id, self._preexisting_body(n))

    def _preexisting_body(self, n: int) -> SpendKeyCreateBody:
        return {
            "name": f"{PREEXISTING_NAME_PREFIX}{n}",
            "allowed_models": [_MODELS[n % len(_MODELS)]],
            "spend_limit": {"amount": f"{5 * n}.00", "cycle": self.cycles[n % len(self.cycles)]},
        }


def staging_parts(
    conditions: StagingConditions, *, spec: Spec, authenticator: Authenticator, rate_limit: int
) -> StagingParts:
    """Return the parts that put `conditions` into a server that serves `spec`.

    The spec is asked only what the conditions need: the slow operation must be one of its
    operationIds, an undeclared field must be none it declares for a spend key, and the
    preexisting keys take its cycles. The throttle authenticates with `authenticator`, the
    server's own, so it counts exactly the requests the server would, and reports `rate_limit` in
    `X-RateLimit-Limit`.

    Raises:
        ValueError: `slow_operation` is no operationId of the spec (checked when `slow_seconds` is
            not 0), or an undeclared field is one that the spec declares for a spend key.
    """
    in_front: list[Middleware] = []
    behind: list[Middleware] = []
    if conditions.throttle_every:
        in_front.append(
            Middleware(Throttle, conditions=conditions, rate_limit=rate_limit, authenticator=authenticator)
        )
    if conditions.slow_seconds:
        if conditions.slow_operation not in spec.operations:
            raise ValueError(
                f"slow_operation {conditions.slow_operation!r} is no operationId of the spec; "
                f"the operations are: {', '.join(sorted(spec.operations))}"
            )
        in_front.append(
            Middleware(SlowOperation, operation_id=conditions.slow_operation, seconds=conditions.slow_seconds)
        )
    if conditions.undeclared_fields:
        declared = spec.spend_key_fields & set(conditions.undeclared_fields)
        if declared:
            raise ValueError(
                f"undeclared_fields may not hold fields the spec declares for a spend key: "
                f"{', '.join(sorted(declared))}"
            )
        behind.append(
            Middleware(RewriteAnswers, rewrite=each_spend_key(_add_fields(conditions.undeclared_fields)))
        )
    return StagingParts(
        in_front=tuple(in_front),
        behind=tuple(behind),
        preexisting_keys=conditions.preexisting_keys,
        cycles=_cycles(spec) if conditions.preexisting_keys else (),
    )


def _cycles(spec: Spec) -> tuple[str, ...]:
    create_schema = spec.operation(_CREATE).request_schema or {}
    spend_limit = spec.properties(create_schema)[_SPEND_LIMIT]
    return tuple(str(cycle) for cycle in spec.enum(spend_limit, _CYCLE))


def _add_fields(fields: Mapping[str, object]) -> Callable[[JSONObject], None]:
    def add(spend_key: JSONObject) -> None:
        # A fresh copy for every key, so that no two keys share a mutable value.
        spend_key.update(copy.deepcopy(dict(fields)))

    return add


# --- middleware ---------------------------------------------------------------------------------------


class Throttle:
    """ASGI middleware that refuses every Nth request per token to an operation, with a 429.

    It counts what the server's own `authenticator` lets in, and reports `rate_limit` (the server's)
    in `X-RateLimit-Limit`.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        conditions: StagingConditions,
        rate_limit: int,
        authenticator: Authenticator,
    ) -> None:
        self._app = app
        self._every = conditions.throttle_every
        self._retry_after = conditions.retry_after_seconds
        self._rate_limit = rate_limit
        self._authenticator = authenticator
        # token digest -> requests counted so far
        self._counts: dict[bytes, int] = {}
        # The app may be served by more than one event loop (a test client and a thread).
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Throttle(every={self._every}, retry_after={self._retry_after})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a 429 without handling the request if it is its token's Nth; else pass it on."""
        if scope["type"] == "http" and self._refuses(scope):
            refusal = rate_limited(self._retry_after).to_response()
            refusal.headers.update(
                {
                    "X-RateLimit-Limit": str(self._rate_limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(math.ceil(time.time() + self._retry_after)),
                }
            )
            await refusal(scope, receive, send)
            return
        await self._app(scope, receive, send)

    def _refuses(self, scope: Scope) -> bool:
        if operation_of(scope) is None:
            return False
        try:
            caller = self._authenticator.authenticate(Headers(scope=scope).getlist("authorization"))
        except ApiError:
            return False
        with self._lock:
            count = self._counts.get(caller.token_digest, 0) + 1
            self._counts[caller.token_digest] = count
        return count % self._every == 0


class SlowOperation:
    """ASGI middleware that makes every request to one operation wait before it is handled."""

    def __init__(self, app: ASGIApp, *, operation_id: str, seconds: float) -> None:
        self._app = app
        self._operation_id = operation_id
        self._seconds = seconds

    def __repr__(self) -> str:
        return f"SlowOperation({self._operation_id!r}, seconds={self._seconds})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wait, without blocking the event loop, if the request goes to the operation; then pass it on."""
        operation = operation_of(scope) if scope["type"] == "http" else None
        if operation is not None and operation.operation_id == self._operation_id:
            await asyncio.sleep(self._seconds)
        await self._app(scope, receive, send)
