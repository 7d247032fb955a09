"""The server's clock: what "now" is, so that a test can move time instead of waiting for it.

A `Clock` is any callable that returns the current instant as an aware datetime in UTC. `create_app`
takes one (`clock=...`, default `system_clock`), and everything of the server that asks the time asks
it: `created_at` and `last_used_at`, the simulated proxy's expiry check, and the end of a limit's cycle,
at which a key's current-cycle usage starts again at zero (see `store`). `ManualClock` is a clock that
stands still until it is moved, for tests that cross a day, a week or a month in a moment.

This module does not decide when a cycle ends (the store does) and keeps no time zone but UTC.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final, TypeAlias

# Returns the current instant, an aware datetime in UTC.
Clock: TypeAlias = Callable[[], datetime]

# RFC 3339 in UTC to the second, with a `Z`, as the docs' examples write `created_at`.
RFC3339_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


def rfc3339(instant: datetime) -> str:
    """`instant` in RFC 3339, in UTC, to the second, with a `Z`."""
    return instant.astimezone(UTC).strftime(RFC3339_FORMAT)


class ManualClock:
    """A clock that shows the instant it was set to, until it is set or advanced again.

    Safe to move from one thread while the server reads it in another.
    """

    def __init__(self, start: datetime | None = None) -> None:
        """Start at `start` (an aware datetime), or at the real time when it is not given."""
        self._lock = threading.Lock()
        self._now = _aware_utc(system_clock() if start is None else start)

    def __repr__(self) -> str:
        return f"ManualClock({rfc3339(self())})"

    def __call__(self) -> datetime:
        """The instant the clock shows."""
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        """Show `instant` (an aware datetime) from now on; time may go backwards only by being set."""
        with self._lock:
            self._now = _aware_utc(instant)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock on by `delta` (not negative) and return the instant it shows now."""
        if delta < timedelta(0):
            raise ValueError("a clock advances by a duration of zero or more; use set() to go back")
        with self._lock:
            self._now += delta
            return self._now


def _aware_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a clock shows an aware datetime (e.g. datetime(..., tzinfo=UTC)), not a naive one")
    return instant.astimezone(UTC)
