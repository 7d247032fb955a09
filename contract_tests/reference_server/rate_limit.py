"""Per-token rate limiting, as Lava's introduction page describes it (1000 requests a minute per API key).

Each token gets fixed 60-second windows. A window starts with the token's first request after
the previous window ended. Every authenticated request counts, errors and replays included.
`Quota.headers` gives the `X-RateLimit-*` headers of the answer: the limit, what is left (never
negative) and the Unix time in seconds when the window ends.

The limiter only counts and reports. The app decides whether an exhausted window becomes a 429:
enforcement is off by default, because the contract suite sends far more than 1000 requests a
minute. Nothing here spreads load or smooths bursts, and the limiter is not shared across
processes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

WINDOW_SECONDS: Final = 60


@dataclass(frozen=True, slots=True)
class Quota:
    """One request's place in its token's window."""

    limit: int
    used: int
    reset_at: int
    retry_after: int

    @property
    def exceeded(self) -> bool:
        """Whether this request went over the limit."""
        return self.used > self.limit

    def headers(self) -> dict[str, str]:
        """Return the `X-RateLimit-*` headers for the answer to this request."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.used)),
            "X-RateLimit-Reset": str(self.reset_at),
        }


class RateLimiter:
    """Counts requests per token in fixed windows."""

    def __init__(self, limit: int, *, clock: Callable[[], float] = time.time) -> None:
        """Allow `limit` requests per window. `clock` gives Unix time in seconds (tests pass their own)."""
        if limit < 1:
            raise ValueError("rate_limit must be at least 1 request per minute")
        self._limit = limit
        self._clock = clock
        # token digest -> [window end (Unix seconds), requests in the window]
        self._windows: dict[bytes, list[int]] = {}
        # The app may be served by more than one event loop (a test client and a thread).
        self._lock = threading.Lock()

    def hit(self, token_digest: bytes) -> Quota:
        """Count one request for the token and return where it stands."""
        now = self._clock()
        with self._lock:
            window = self._windows.get(token_digest)
            if window is None or now >= window[0]:
                window = [math.floor(now) + WINDOW_SECONDS, 0]
                self._windows[token_digest] = window
            window[1] += 1
            reset_at, used = window
        return Quota(
            limit=self._limit,
            used=used,
            reset_at=reset_at,
            retry_after=max(1, math.ceil(reset_at - now)),
        )
