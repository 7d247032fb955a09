"""The replay cache behind the `Idempotency-Key` header on the two POST operations (create, rotate).

A POST retried with the same `Idempotency-Key` and the same body gets the first response again,
with the same status and the same bytes, and creates or rotates nothing new. A key is scoped by
(bearer token, method, path, header value, SHA-256 of the body bytes), as the spec's
`IdempotencyKey` note says ("per token, same body"). So the same header value with another body,
on another path or from another token is simply another request. It is never rejected: a fuzzer
that reuses a random header value must not see valid data refused.

Revoking a spend key forgets every stored response about it (`forget`). A replay would otherwise
hand out a dead secret and a key that every other operation denies, so a retry after the revoke
is a new request. The spec says nothing about this case.

Only 2xx responses are stored. An error is never replayed, so a client can fix its request and
retry with the same key. The cache is bounded by entry count and by a 24-hour time to live, and
the oldest entries go first.

**This cache is the only place a raw spend key is kept.** The stored bytes of a create or rotate
response include the `key` shown once. The store keeps only its SHA-256 digest. Entries live in
memory and are never logged or shown in a repr. (Two seeded faults keep raw keys too, on purpose;
see `faults.operations`. The conforming server does not.)

This module does not lock concurrent requests that use the same key against each other; the
operations run without awaiting anything, so on one event loop they cannot interleave.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, TypeAlias

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
