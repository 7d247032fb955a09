"""When a key's current-cycle figure may have started again at zero: the one rule that compares one over time.

A spend key counts its usage twice: `current_spend` and `current_requests` count the current cycle of their
limit ("Current spend in this cycle", https://www.lava.so/docs/api-reference/spend-keys/get-spend-key) and
start again at zero when it ends; v2's totals (`total_spend`, `total_requests`) count every cycle and never
start again. The spec says which limit's cycle each figure counts in (`x-lava-cycle: spend_limit.cycle` on
the figure) and the period of each cycle value (`x-lava-cycle-periods` on the Cycle schema: `day`, `week`,
`month`, or `never` for the one whose figures never start again, `total`); both are read through
`bounds.Bounds` (`figure_cycles`, `cycle_periods`). A period is a calendar period in UTC: a day starts at
midnight, a week on Monday at midnight, a month on the 1st at midnight. The spec's note calls this an
inference: Lava does not document when its cycles end.

The rule, for a current figure between an earlier observation (or the key's creation) and a later one:

- it moved exactly as the usage in between says (`added`: one more request, no spend, some spend), and,
  where the spec shows totals, each total moved exactly so too; or
- it started again: it is now between zero and what the usage in between added (on a total's evidence where
  the spec shows one), which is allowed only if it *may have restarted*: one of the cycles its limit held
  since it began counting (at the key's creation, or at its last restart) has a period that ends, and a start
  of that period lies between the moment it began counting and the later observation, widened by `MARGIN`
  either side for clock skew (and by the largest gap seen between the suite's clock and a server's `Date`
  header). A limit that is absent, a cycle of period `never`, and a period that ends at no such moment keep
  the exact comparison. A cycle value whose period the spec does not state may end at any moment.

The totals never get this allowance: they are compared exactly, across a restart too. After an accepted
restart, the caller takes the observed figure as the model's, and only an end of a cycle later than the
earliest one that can have been behind the restart may restart it again (`Counting`).

Time is the suite's clock (`suite_clock`, the system's; a test of the suite replaces it to run the suite at
a chosen time, as tests/suite/cycle_crossing.py does). This module sends nothing and asserts nothing: it
returns problems for the tests to assert on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx

from contract_tests.bounds import Bounds

# Clock skew between the suite and the server, and a server's lag in starting a figure again.
MARGIN: Final = timedelta(minutes=5)
# The period of a cycle that never ends (`total`), in `x-lava-cycle-periods`' words.
NEVER: Final = "never"


def _midnight(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _next_month(instant: datetime) -> datetime:
    first = _midnight(instant).replace(day=1)
    return (first + timedelta(days=32)).replace(day=1)


# The first start of a period after an instant (its cycle's next end), for each period word of
# `x-lava-cycle-periods`.
NEXT_STARTS: Final[Mapping[str, Callable[[datetime], datetime]]] = {
    "day": lambda instant: _midnight(instant) + timedelta(days=1),
    "week": lambda instant: _midnight(instant) + timedelta(days=7 - instant.astimezone(UTC).weekday()),
    "month": _next_month,
}


# Lava's names of the current-cycle figures that count requests and spend.
REQUESTS_FIGURE: Final = "current_requests"
SPEND_FIGURE: Final = "current_spend"


def added_by(requests: int) -> dict[str, Decimal | None]:
    """What `requests` served requests add to the current figures: that many requests, and spend above 0.

    (None: more than zero, by an amount the suite does not know; nothing at all for no request.)
    """
    return {REQUESTS_FIGURE: Decimal(requests), SPEND_FIGURE: None if requests else Decimal(0)}


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


# The suite's clock. A test of the suite replaces it (unittest.mock.patch) to run the suite at a given time.
suite_clock: Callable[[], datetime] = system_clock


def now() -> datetime:
    """The time by the suite's clock."""
    return suite_clock()


def cycle_at(spend_key: Mapping[str, Any], path: Iterable[str]) -> object:
    """The value at `path` in a key or its settings (`("spend_limit", "cycle")`), None where there is none."""
    node: object = spend_key
    for name in path:
        node = node.get(name) if isinstance(node, Mapping) else None
    return node


def next_end(cycles: Iterable[object], after: datetime, *, periods: Mapping[str, str]) -> datetime | None:
    """The first instant after `after` at which one of `cycles` ends (a start of its period), None if never.

    None (no limit) and a cycle of period `never` never end; a cycle whose period `periods` does not state
    may end at any moment, `after` itself.
    """
    ends = []
    for cycle in cycles:
        period = periods.get(cycle) if isinstance(cycle, str) else None
        if cycle is None or period == NEVER:
            continue
        next_start = NEXT_STARTS.get(period) if period is not None else None
        ends.append(after if next_start is None else next_start(after))
    return min(ends, default=None)


def may_restart(
    cycles: Iterable[object],
    since: datetime,
    until: datetime,
    *,
    periods: Mapping[str, str],
    margin: timedelta = MARGIN,
) -> bool:
    """Whether a figure counting since `since` under `cycles` may have started again by `until`.

    True when one of `cycles` ends (`next_end`) after `since` - `margin` and by `until` + `margin`.
    """
    end = next_end(cycles, since - margin, periods=periods)
    return end is not None and end <= until + margin


class SuiteClock:
    """The suite's clock as one client sees it: the time, and how far a server's `Date` strays from it."""

    def __init__(self) -> None:
        self._skew = timedelta(0)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SuiteClock(<skew {self._skew}>)"

    def now(self) -> datetime:
        """The time by the suite's clock."""
        return now()

    def saw(self, response: httpx.Response) -> None:
        """Note how far the `Date` of `response` (if it has one that parses) is from the suite's clock."""
        header = response.headers.get("date")
        if not header:
            return
        try:
            dated = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return
        if dated.tzinfo is None:
            dated = dated.replace(tzinfo=UTC)
        gap = abs(now() - dated)
        with self._lock:
            self._skew = max(self._skew, gap)

    @property
    def margin(self) -> timedelta:
        """`MARGIN`, widened by the largest gap seen between a server's `Date` and the suite's clock."""
        with self._lock:
            return MARGIN + self._skew


@dataclass
class Counting:
    """Since when each current figure of one key has counted, and under which cycles of its limit."""

    bounds: Bounds
    since: dict[str, datetime] = field(default_factory=dict)
    cycles: dict[str, set[object]] = field(default_factory=dict)
    # After a restart: the earliest end of a cycle that can have been behind it. Only a later end may
    # restart the figure again.
    ended: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def started(cls, spec_bounds: Bounds, settings: Mapping[str, Any], at: datetime) -> Counting:
        """The figures of a key created with `settings`, counting since `at` (read before the create)."""
        counting = cls(spec_bounds)
        for figure in spec_bounds.figure_cycles:
            counting.since[figure] = at
            counting.cycles[figure] = set()
        counting.held(settings)
        return counting

    def held(self, settings: Mapping[str, Any]) -> None:
        """Note that the key holds `settings` (after an update): their cycles count from now on as well."""
        for figure, path in self.bounds.figure_cycles.items():
            self.cycles[figure].add(cycle_at(settings, path))

    def restartable(self, until: datetime, margin: timedelta = MARGIN) -> frozenset[str]:
        """The figures that may have started again by `until`: `may_restart`, after the last restart's end."""
        return frozenset(
            figure
            for figure in self.bounds.figure_cycles
            if (end := self._next_end(figure, margin)) is not None and end <= until + margin
        )

    def _next_end(self, figure: str, margin: timedelta) -> datetime | None:
        after = self.ended.get(figure, self.since[figure] - margin)
        return next_end(self.cycles[figure], after, periods=self.bounds.cycle_periods)

    def judge(
        self,
        before: Mapping[str, Decimal],
        after: Mapping[str, Decimal],
        added: Mapping[str, Decimal | None],
        *,
        settings: Mapping[str, Any],
        clock: SuiteClock,
    ) -> Judgement:
        """`judge_usage` for this key, holding `settings`, now (by `clock`, read after the later answer).

        A figure that started again counts on under the cycle `settings` give it; the end behind the restart
        is taken to be the earliest it can be, so that any later end may restart it again.
        """
        until, margin = clock.now(), clock.margin
        judgement = judge_usage(
            before, after, added, restartable=self.restartable(until, margin), totals=self.bounds.totals
        )
        for figure in judgement.restarted:
            ended = self._next_end(figure, margin)
            if ended is not None:
                self.ended[figure] = ended
            self.cycles[figure] = {cycle_at(settings, self.bounds.figure_cycles[figure])}
        return judgement


def figures_of(spend_key: Mapping[str, Any], spec_bounds: Bounds) -> dict[str, Decimal]:
    """Each current-cycle figure and each total of `spend_key`, as numbers (the spec requires them all)."""
    names = (*spec_bounds.figure_cycles, *spec_bounds.totals.values())
    return {name: Decimal(str(spend_key[name])) for name in names}


@dataclass(frozen=True)
class Judgement:
    """What a comparison of a key's figures found: the broken promises, and the figures that restarted."""

    problems: tuple[str, ...]
    restarted: frozenset[str]


def judge_usage(
    before: Mapping[str, Decimal],
    after: Mapping[str, Decimal],
    added: Mapping[str, Decimal | None],
    *,
    restartable: Collection[str],
    totals: Mapping[str, str],
) -> Judgement:
    """Compare a key's figures `after` with `before`, given the usage `added` in between, by the rule above.

    `added` holds, for each current figure to compare, what the usage in between adds to it: an exact amount
    (0 where nothing was used, 1 request), or None for "more than zero, amount unknown" (a request's cost).
    `restartable` names the figures that may have started again (`Counting.restartable`); `totals` maps each
    current figure to its total where the spec shows one (`bounds.Bounds.totals`), which must move exactly as
    `added` says, and then says exactly what the current figure added.
    """
    problems: list[str] = []
    restarted: set[str] = set()
    for current, expected in added.items():
        grown = expected
        total = totals.get(current)
        if total is not None:
            total_grown = after[total] - before[total]
            if not _moved_as(total_grown, expected):
                problems.append(
                    f"{total} grew by {total_grown} where the usage in between adds {_said(expected)}"
                )
            grown = total_grown
        if _moved_as(after[current] - before[current], grown):
            continue
        if (
            current in restartable
            and Decimal(0) <= after[current]
            and (grown is None or after[current] <= grown)
        ):
            restarted.add(current)
            continue
        why = "" if current in restartable else ", and no cycle of its limit ended in between"
        problems.append(
            f"{current} went from {before[current]} to {after[current]} where the usage in between adds "
            f"{_said(grown)}{why}"
        )
    return Judgement(tuple(problems), frozenset(restarted))


def _moved_as(moved: Decimal, expected: Decimal | None) -> bool:
    return moved > 0 if expected is None else moved == expected


def _said(expected: Decimal | None) -> str:
    return "more than 0" if expected is None else str(expected)
