"""Spend keys in memory: records, ids, raw keys (kept only as digests) and cursor pagination.

A `spend_key_id` is `sk_`, a 12-digit sequence number and 6 random hex digits. Ids therefore
sort in creation order, and a list cursor is simply "the id after which to continue". Any string
is a valid cursor, because it only marks a place in that order. A page never skips or repeats a
key, even if keys are created or revoked between pages: new keys sort after every existing one,
and a revoked key simply drops out.

A raw key (`lava_sk_` + 48 hex digits) leaves the store once, as the return value of `create` or
`rotate`. The record keeps its SHA-256 digest and its `key_preview` (the first 16 characters and
`****`, as in the docs' example `lava_sk_a1b2c3d4****`).

Revoking is a soft delete. The record stays, marked revoked, and it is gone from `get` and `page`.

Usage grows only through `record_usage`, which the simulated proxy calls for a request made with
the key's current raw key. That key is found by its digest (`find_by_raw_key`): a rotated-away or
revoked key finds nothing. Every key has two pairs of figures, whichever of them a spec shows:

- the totals, `total_spend` and `total_requests`: everything the key ever used. They never
  decrease and never start again (a rotate keeps them, as it keeps everything but the secret).
- the current cycle's, `current_spend` and `current_requests`: what the key used since its
  cycle last began. Each follows the cycle its spec names for it (`x-lava-cycle`: `current_spend`
  follows `spend_limit.cycle`, `current_requests` `request_limit.cycle`) and starts again at zero
  when that cycle ends (`settle`).

Both grow by the same amounts and the current figures only ever go back to zero, so a total is
never below its current figure. Cycles are calendar periods in UTC (`PERIOD_STARTS`, for the period
the spec gives each cycle value, `x-lava-cycle-periods`): a day ends at midnight UTC, a week at
midnight UTC between Sunday and Monday (ISO weeks), a month at midnight UTC before the first of the
month. A key without the limit, a cycle whose period is "never" (`total`), or a cycle the spec gives
no period, never starts its figure again. A figure starts again
when the period of its cycle that holds "now" began after the figure last started counting (at the
key's creation, or at its last restart); so a limit whose cycle an update changes starts again if
the new cycle's current period began since then. The time is the store's `Clock` (`clock`), which
also dates `created_at` and `last_used_at`.

This module does not check requests and does not render JSON. It trusts its callers (the
operations and the proxy) to pass settings that the spec has already validated. It does not
enforce limits.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from contract_tests.reference_server.clock import Clock, rfc3339, system_clock
from contract_tests.reference_server.responses import JSONObject
from lava_spec import Spec

RAW_KEY_PREFIX: Final = "lava_sk_"
KEY_PREVIEW_LENGTH: Final = 16
KEY_PREVIEW_MASK: Final = "****"


def new_raw_key() -> str:
    """Return a fresh random raw spend key."""
    return RAW_KEY_PREFIX + secrets.token_hex(24)


def key_sha256(raw_key: str) -> bytes:
    """Return the SHA-256 digest of a raw key: all that the store keeps of it."""
    return hashlib.sha256(raw_key.encode()).digest()


def key_preview(raw_key: str) -> str:
    """Return the masked preview of a raw key: its first 16 characters, then `****`."""
    return raw_key[:KEY_PREVIEW_LENGTH] + KEY_PREVIEW_MASK


def _midnight(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


# What each period a spec gives its cycles (`Spec.cycle_periods`: `daily` -> "day") means here: the start
# of the period that holds an instant, a calendar period in UTC. A period not here ("never", or one a
# changed spec adds) never ends.
PERIOD_STARTS: Final[Mapping[str, Callable[[datetime], datetime]]] = {
    "day": _midnight,
    "week": lambda instant: _midnight(instant) - timedelta(days=instant.astimezone(UTC).weekday()),
    "month": lambda instant: _midnight(instant).replace(day=1),
}


@dataclass(frozen=True, slots=True)
class Cycles:
    """When a key's current-cycle figures start again, as its spec says (`Cycles.of`).

    `periods` maps a cycle value to its period (`x-lava-cycle-periods`), and `figures` each current
    figure to where the key holds its cycle (`x-lava-cycle`: `current_spend` -> `spend_limit.cycle`). The
    default, a spec that says neither, never starts a figure again.
    """

    periods: Mapping[str, str] = field(default_factory=dict)
    figures: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: Spec) -> Cycles:
        """The cycles `spec` states."""
        return cls(periods=spec.cycle_periods, figures=spec.figure_cycles)

    def start(self, cycle: object, instant: datetime) -> datetime | None:
        """The start of the period of `cycle` that holds `instant`, or None when the cycle never ends."""
        period = self.periods.get(cycle) if isinstance(cycle, str) else None
        starts = PERIOD_STARTS.get(period) if period is not None else None
        return None if starts is None else starts(instant)

    def cycle_of(self, figure: str, settings: SpendKeySettings) -> object:
        """The cycle `figure` counts in for a key with `settings`: the value at its path, or None."""
        path = self.figures.get(figure, ())
        value: object = getattr(settings, path[0], None) if path else None
        for name in path[1:]:
            value = value.get(name) if isinstance(value, Mapping) else None
        return value


@dataclass(slots=True)
class SpendKeySettings:
    """What a caller chooses for a key, on create and update. Limits are JSON objects, as in the spec."""

    name: str
    status: str = "active"
    allowed_models: list[str] | None = None
    allowed_providers: list[str] | None = None
    expires_at: str | None = None
    spend_limit: JSONObject | None = None
    request_limit: JSONObject | None = None
    rate_limit: JSONObject | None = None
    # Fields of a later spec that this server does not model, kept as sent (see `operations`).
    kept: JSONObject = field(default_factory=dict)


@dataclass(slots=True)
class SpendKey:
    """A stored spend key. It never holds the raw key: only its digest and its preview."""

    spend_key_id: str
    wallet_id: str
    settings: SpendKeySettings
    key_preview: str
    key_sha256: bytes = field(repr=False)
    created_at: str
    # When the current-cycle figures last started counting: the key's creation, or a cycle's end.
    spend_counted_from: datetime = field(repr=False)
    requests_counted_from: datetime = field(repr=False)
    connection_id: str | None = None
    current_spend: str = "0"
    current_requests: int = 0
    total_spend: str = "0"
    total_requests: int = 0
    last_used_at: str | None = None
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: the keys, and whether more follow."""

    spend_keys: list[SpendKey]
    has_more: bool


class SpendKeyStore:
    """Every spend key of every wallet that this server knows."""

    def __init__(self, clock: Clock = system_clock, cycles: Cycles | None = None) -> None:
        """Start empty; `clock` tells the time (creation, last use), `cycles` when a cycle ends."""
        self.clock = clock
        self.cycles = Cycles() if cycles is None else cycles
        self._keys: dict[str, SpendKey] = {}
        # wallet id -> ids of its keys that are not revoked, in id order (so in creation order)
        self._live_ids: dict[str, list[str]] = {}
        self._sequence = itertools.count(1)
        # digest of a current raw key -> its key; rotated-away and revoked keys leave it
        self._by_digest: dict[bytes, SpendKey] = {}
        # The app may be served by more than one event loop (a test client and a thread).
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SpendKeyStore(<{len(self._keys)} spend keys>)"

    def create(
        self, wallet_id: str, settings: SpendKeySettings, *, connection_id: str | None = None
    ) -> tuple[SpendKey, str]:
        """Store a new key in the wallet and return it with its raw key, which is not kept."""
        raw_key = new_raw_key()
        now = self.clock()
        with self._lock:
            spend_key_id = f"sk_{next(self._sequence):012d}{secrets.token_hex(3)}"
            spend_key = SpendKey(
                spend_key_id=spend_key_id,
                wallet_id=wallet_id,
                settings=settings,
                key_preview=key_preview(raw_key),
                key_sha256=key_sha256(raw_key),
                created_at=rfc3339(now),
                spend_counted_from=now,
                requests_counted_from=now,
                connection_id=connection_id,
            )
            self._keys[spend_key_id] = spend_key
            self._by_digest[spend_key.key_sha256] = spend_key
            # Ids grow with the sequence, so appending keeps the list sorted.
            self._live_ids.setdefault(wallet_id, []).append(spend_key_id)
        return spend_key, raw_key

    def get(self, wallet_id: str, spend_key_id: str) -> SpendKey | None:
        """Return the wallet's key with this id, or None if it is unknown, revoked or in another wallet."""
        spend_key = self._keys.get(spend_key_id)
        if spend_key is None or spend_key.revoked or spend_key.wallet_id != wallet_id:
            return None
        return spend_key

    def find_by_raw_key(self, raw_key: str) -> SpendKey | None:
        """Return the live key whose current raw key is `raw_key`: None if unknown, rotated or revoked."""
        return self._by_digest.get(key_sha256(raw_key))

    def record_usage(self, spend_key: SpendKey, cost: Decimal) -> None:
        """Count one proxied request that cost `cost` against the key, and mark it used now.

        The current-cycle figures first start again if their cycle ended (`settle`); the request then
        counts in them and in the totals alike.
        """
        now = self.clock()
        with self._lock:
            self._settle(spend_key, now)
            spend_key.current_spend = _plus(spend_key.current_spend, cost)
            spend_key.total_spend = _plus(spend_key.total_spend, cost)
            spend_key.current_requests += 1
            spend_key.total_requests += 1
            spend_key.last_used_at = rfc3339(now)

    def settle(self, spend_key: SpendKey) -> None:
        """Bring the key's current-cycle figures up to now: zero each whose cycle ended since it began."""
        now = self.clock()
        with self._lock:
            self._settle(spend_key, now)

    def _settle(self, spend_key: SpendKey, now: datetime) -> None:
        settings = spend_key.settings
        spend_start = self.cycles.start(self.cycles.cycle_of("current_spend", settings), now)
        if spend_start is not None and spend_key.spend_counted_from < spend_start:
            spend_key.current_spend = "0"
            spend_key.spend_counted_from = spend_start
        requests_start = self.cycles.start(self.cycles.cycle_of("current_requests", settings), now)
        if requests_start is not None and spend_key.requests_counted_from < requests_start:
            spend_key.current_requests = 0
            spend_key.requests_counted_from = requests_start

    def page(self, wallet_id: str, *, after: str | None, limit: int) -> Page:
        """Return up to `limit` of the wallet's live keys with an id greater than `after`, in id order."""
        with self._lock:
            ids = self._live_ids.get(wallet_id, [])
            start = 0 if after is None else bisect.bisect_right(ids, after)
            selected = ids[start : start + limit + 1]
        return Page(
            spend_keys=[self._keys[spend_key_id] for spend_key_id in selected[:limit]],
            has_more=len(selected) > limit,
        )

    def rotate(self, spend_key: SpendKey) -> str:
        """Give the key a new secret and return it. Id, settings, usage and `created_at` stay."""
        raw_key = new_raw_key()
        with self._lock:
            del self._by_digest[spend_key.key_sha256]
            spend_key.key_preview = key_preview(raw_key)
            spend_key.key_sha256 = key_sha256(raw_key)
            self._by_digest[spend_key.key_sha256] = spend_key
        return raw_key

    def revoke(self, spend_key: SpendKey) -> None:
        """Mark the key revoked. The record stays, so cursors that name it keep their place."""
        with self._lock:
            spend_key.revoked = True
            del self._by_digest[spend_key.key_sha256]
            ids = self._live_ids[spend_key.wallet_id]
            del ids[bisect.bisect_left(ids, spend_key.spend_key_id)]


def _plus(amount: str, cost: Decimal) -> str:
    # normalize() drops trailing zeros ("0.0250" -> "0.025"); "f" never writes an exponent.
    return format((Decimal(amount) + cost).normalize(), "f")
