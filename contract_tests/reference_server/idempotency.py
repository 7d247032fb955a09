"""The `Idempotency-Key` replay policy, and the cache behind it.

`IdempotentReplays` is the whole policy; the dispatcher (`app`) hands it every routed call:

- Which operations replay: those for which the spec declares an `Idempotency-Key` header
  parameter (today create and rotate). The header's value is checked as the spec states it
  (`validation.idempotency_key`: at most once, at most its `maxLength`; else a 400).
- The replay key: (bearer token, method, path, header value, SHA-256 of the body bytes), as the
  spec's `IdempotencyKey` note says ("per token, same body"), with the path in one canonical
  spelling (`Operation.path_for`). So the same header value with another body, on another path or
  from another token is simply another request. It is never rejected: a fuzzer that reuses a
  random header value must not see valid data refused.
- What is stored: the first 2xx answer, status and bytes, replayed with `Idempotent-Replayed: true`.
  An error is never replayed, so a client can fix its request and retry with the same key.
- What is forgotten: when an operation with the DELETE method (revoke) succeeds, every stored
  answer about the spend key its path names. A replay would otherwise hand out a dead secret and
  a key that every other operation denies, so a retry after the revoke is a new request. The spec's
  note says so; its `x-lava-inferred` marks it as ours.

`ReplayCache` is bounded by entry count and by a 24-hour time to live, and the oldest entries go
first.

**This cache is the only place a raw spend key is kept.** The stored bytes of a create or rotate
response include the `key` shown once. The store keeps only its SHA-256 digest. Entries live in
memory and are never logged or shown in a repr. (Two seeded faults keep raw keys too, on purpose;
see `faults.operations`. The conforming server does not.)

This module does not route, authenticate or handle an operation, and does not lock concurrent
requests that use the same key against each other; the operations run without awaiting anything,
so on one event loop they cannot interleave.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from starlette.responses import Response

from contract_tests.reference_server.operations import Call
from contract_tests.reference_server.responses import bytes_response
from contract_tests.reference_server.validation import idempotency_key
from lava_spec import Found, Operation, Parameter

# The header parameter that makes an operation replayable, as the spec names it.
IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
# The method whose success ends the spend key its path names (revoke), and so its replays.
_ENDING_METHOD: Final = "DELETE"
# The field of a replayable answer that names the spend key it is about.
_SPEND_KEY_ID: Final = "spend_key_id"
DEFAULT_MAX_ENTRIES: Final = 10_000
DEFAULT_TTL_SECONDS: Final = 24 * 60 * 60

# (SHA-256 of the bearer token, method, path, Idempotency-Key value, SHA-256 of the body bytes)
ReplayKey: TypeAlias = tuple[bytes, str, str, str, bytes]


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """A first response, kept for replay: status, JSON bytes (which may hold a raw key), the key's id."""

    status_code: int
    body: bytes = field(repr=False)
    spend_key_id: str


class ReplayCache:
    """Bounded, expiring map from a `ReplayKey` to the first 2xx response sent for it."""

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep at most `max_entries` responses, each for at most `ttl_seconds`."""
        self._max_entries = max_entries
        self._ttl = ttl_seconds
        self._clock = clock
        # Insertion order is expiry order, because every entry lives for the same time.
        self._entries: OrderedDict[ReplayKey, tuple[float, StoredResponse]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ReplayCache(<{len(self._entries)} entries>)"

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: ReplayKey) -> StoredResponse | None:
        """Return the stored response for `key`, or None if there is none or it has expired."""
        with self._lock:
            self._drop_expired()
            entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def put(self, key: ReplayKey, response: StoredResponse) -> None:
        """Store the first response for `key`, dropping the oldest entries beyond the bound."""
        if not 200 <= response.status_code < 300:
            raise ValueError("only 2xx responses are replayed")
        with self._lock:
            self._drop_expired()
            self._entries.setdefault(key, (self._clock() + self._ttl, response))
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def forget(self, spend_key_id: str) -> None:
        """Drop every stored response about the spend key `spend_key_id`."""
        with self._lock:
            stale = [key for key, (_, stored) in self._entries.items() if stored.spend_key_id == spend_key_id]
            for key in stale:
                del self._entries[key]

    def _drop_expired(self) -> None:
        now = self._clock()
        while self._entries:
            expires_at, _ = next(iter(self._entries.values()))
            if expires_at > now:
                break
            self._entries.popitem(last=False)


def idempotency_parameter(operation: Operation) -> Parameter | None:
    """The `Idempotency-Key` header the spec declares for `operation`; None: it does not replay."""
    for parameter in operation.parameters:
        if parameter.location == "header" and parameter.name.lower() == IDEMPOTENCY_KEY_HEADER.lower():
            return parameter
    return None


class IdempotentReplays:
    """The replay policy (see the module docstring) over one `ReplayCache`."""

    def __init__(self, cache: ReplayCache | None = None) -> None:
        """Keep replays in `cache` (a fresh default one unless given)."""
        self._cache = ReplayCache() if cache is None else cache

    def __repr__(self) -> str:
        return f"IdempotentReplays({self._cache!r})"

    def respond(
        self,
        route: Found,
        call: Call,
        header_values: Sequence[str],
        handle: Callable[[Call], Response],
    ) -> Response:
        """Answer `call` to `route`'s operation with `handle`, or with the replay of its first answer.

        `header_values` are the request's values of the `Idempotency-Key` header.

        Raises:
            ApiError: a 400 for an `Idempotency-Key` the spec does not allow, or whatever `handle` raises.
        """
        operation = route.operation
        parameter = idempotency_parameter(operation)
        key = None if parameter is None else idempotency_key(header_values, parameter)
        response = handle(call) if key is None else self._replayed_or_handled(route, call, key, handle)
        if operation.method == _ENDING_METHOD and call.spend_key_id is not None and _is_success(response):
            self._cache.forget(call.spend_key_id)
        return response

    def _replayed_or_handled(
        self, route: Found, call: Call, key: str, handle: Callable[[Call], Response]
    ) -> Response:
        operation = route.operation
        replay_key = (
            call.caller.token_digest,
            operation.method,
            operation.path_for(**route.path_parameters),
            key,
            hashlib.sha256(call.body).digest(),
        )
        stored = self._cache.get(replay_key)
        if stored is not None:
            return bytes_response(stored.status_code, stored.body, {REPLAYED_HEADER: "true"})
        response = handle(call)
        if _is_success(response):
            body = bytes(response.body)
            spend_key_id = str(json.loads(body)[_SPEND_KEY_ID])
            self._cache.put(replay_key, StoredResponse(response.status_code, body, spend_key_id))
        return response


def _is_success(response: Response) -> bool:
    return 200 <= response.status_code < 300
