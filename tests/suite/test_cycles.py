"""The rule for a current-cycle figure over time (contract_tests/cycles.py), at fixed times.

Either side of a day's, a week's and a month's end (UTC), and away from them: a figure may start again at
zero only where a cycle of its limit that ends has a start between the two observations (with the margin);
otherwise a drop is a broken contract, and the totals are compared exactly whatever happened. The periods
are asked of each version's spec (`x-lava-cycle-periods`), as the suite asks them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import httpx
import pytest

from contract_tests import cycles
from contract_tests.bounds import Bounds
from contract_tests.cycles import MARGIN, Counting, SuiteClock, added_by, judge_usage, may_restart
from lava_spec import API_VERSIONS, load_spec, spec_path

# A Wednesday, mid-month: no period of any cycle starts within hours of it.
MIDWEEK = datetime(2026, 1, 14, 10, 30, tzinfo=UTC)
# Tuesday to Wednesday, mid-month: only a day ends.
DAY_END = datetime(2026, 1, 14, tzinfo=UTC)
# Sunday to Monday, mid-month: a day and a week end.
WEEK_END = datetime(2026, 1, 19, tzinfo=UTC)
# Saturday 31 January to Sunday 1 February: a day and a month end, no week.
MONTH_END = datetime(2026, 2, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _bounds(version: str) -> Bounds:
    return Bounds.of(load_spec(spec_path(version)))


@pytest.fixture(params=API_VERSIONS)
def spec_bounds(request: pytest.FixtureRequest) -> Bounds:
    return _bounds(request.param)


def _periods() -> dict[str, str]:
    return dict(_bounds("v0").cycle_periods)


def _value(period: str) -> str:
    """The cycle value the spec gives `period` (`day` -> `daily`), so no enum value is written here."""
    return next(value for value, word in _periods().items() if word == period)


def _restarts(period: str, since: datetime, until: datetime) -> bool:
    return may_restart([_value(period)], since, until, periods=_periods())


@pytest.mark.parametrize("version", API_VERSIONS)
def test_each_versions_spec_states_a_period_for_every_cycle_and_which_limit_each_figure_counts_in(
    version: str,
) -> None:
    spec_bounds = _bounds(version)
    assert set(spec_bounds.cycle_periods) == set(spec_bounds.cycles)
    assert set(spec_bounds.cycle_periods.values()) == {*cycles.NEXT_STARTS, cycles.NEVER}
    assert dict(spec_bounds.figure_cycles) == {
        "current_spend": ("spend_limit", "cycle"),
        "current_requests": ("request_limit", "cycle"),
    }


@pytest.mark.parametrize(
    ("period", "boundary", "ends"),
    [
        ("day", DAY_END, True),
        ("week", DAY_END, False),
        ("month", DAY_END, False),
        ("day", WEEK_END, True),
        ("week", WEEK_END, True),
        ("month", WEEK_END, False),
        ("day", MONTH_END, True),
        ("week", MONTH_END, False),
        ("month", MONTH_END, True),
    ],
)
def test_a_figure_may_restart_across_its_periods_start_and_only_then(
    period: str, boundary: datetime, *, ends: bool
) -> None:
    # A second either side of the boundary.
    assert _restarts(period, boundary - SECOND, boundary + SECOND) is ends
    # Within the margin before or after it (clock skew), though the suite saw no boundary.
    assert _restarts(period, boundary + SECOND, boundary + 2 * SECOND) is ends
    assert _restarts(period, boundary - 2 * SECOND, boundary - SECOND) is ends
    # Well clear of it, on either side: never.
    clear = MARGIN + timedelta(minutes=1)
    assert not _restarts(period, boundary + clear, boundary + clear + timedelta(hours=1))
    assert not _restarts(period, boundary - clear - timedelta(hours=1), boundary - clear)


def test_total_and_no_limit_never_restart_and_a_cycle_without_a_stated_period_may_at_any_moment() -> None:
    never = next(value for value, word in _periods().items() if word == cycles.NEVER)
    a_year = (MONTH_END - timedelta(days=200), MONTH_END + timedelta(days=200))
    assert not may_restart([never], *a_year, periods=_periods())
    assert not may_restart([None], *a_year, periods=_periods())
    assert may_restart(["fortnightly"], MIDWEEK, MIDWEEK + SECOND, periods=_periods())
    assert not may_restart([], *a_year, periods=_periods())


def test_any_cycle_the_limit_held_counts() -> None:
    # A daily cycle, since changed to total: a day's end still lets the figure restart.
    assert may_restart([_value("day"), None], DAY_END - SECOND, DAY_END + SECOND, periods=_periods())


def _figures(requests: int, spend: str, total_requests: int, total_spend: str) -> dict[str, Decimal]:
    return {
        "current_requests": Decimal(requests),
        "current_spend": Decimal(spend),
        "total_requests": Decimal(total_requests),
        "total_spend": Decimal(total_spend),
    }


TOTALS = {"current_requests": "total_requests", "current_spend": "total_spend"}
EVERY = frozenset(TOTALS)


@pytest.mark.parametrize("totals", [TOTALS, {}], ids=["v2 totals", "v0 no totals"])
def test_an_exact_move_passes_and_a_drop_fails_unless_the_figure_may_have_restarted(
    totals: dict[str, str],
) -> None:
    before = _figures(3, "0.0375", 5, "0.0625")
    used = _figures(4, "0.05", 6, "0.075")
    # One request: exact, restartable or not.
    assert judge_usage(before, used, added_by(1), restartable=(), totals=totals).problems == ()
    # A drop to zero without use: broken away from a cycle's end, accepted (and named) across it.
    dropped = _figures(0, "0", 5, "0.0625")
    assert judge_usage(before, dropped, added_by(0), restartable=(), totals=totals).problems
    judged = judge_usage(before, dropped, added_by(0), restartable=EVERY, totals=totals)
    assert judged.problems == ()
    assert judged.restarted == EVERY
    # Across a restart with a request in between: what came after, at most what it added.
    after_restart = _figures(1, "0.0125", 6, "0.075")
    assert judge_usage(before, after_restart, added_by(1), restartable=EVERY, totals=totals).problems == ()
    # Not a restart: more than the request added, or a figure that did not move at all.
    too_much = _figures(2, "0.0125", 6, "0.075")
    assert judge_usage(before, too_much, added_by(1), restartable=EVERY, totals=totals).problems
    unmoved = _figures(3, "0.0375", 6, "0.075")
    assert judge_usage(before, unmoved, added_by(1), restartable=(), totals=totals).problems


def test_a_restart_never_excuses_the_totals() -> None:
    before = _figures(3, "0.0375", 5, "0.0625")
    # rotate_resets_usage: the totals start again too.
    reset = _figures(0, "0", 0, "0")
    judged = judge_usage(before, reset, added_by(0), restartable=EVERY, totals=TOTALS)
    assert any("total_requests" in problem for problem in judged.problems)
    assert any("total_spend" in problem for problem in judged.problems)
    # A request not counted in the totals, across a restart.
    uncounted = _figures(0, "0", 5, "0.0625")
    assert judge_usage(before, uncounted, added_by(1), restartable=EVERY, totals=TOTALS).problems
    # Across a restart, the figure may not exceed what the totals say the request added.
    judged = judge_usage(
        before, _figures(1, "0.02", 6, "0.075"), added_by(1), restartable=EVERY, totals=TOTALS
    )
    assert any("current_spend" in problem for problem in judged.problems)


@pytest.fixture
def suite_time() -> Iterator[list[datetime]]:
    """The suite's clock, showing the last instant of the list (append to move it)."""
    shown = [MIDWEEK]
    with mock.patch.object(cycles, "suite_clock", side_effect=lambda: shown[-1]):
        yield shown


def _limited(period: str) -> dict[str, object]:
    cycle = _value(period)
    return {"spend_limit": {"amount": "5", "cycle": cycle}, "request_limit": {"count": 9, "cycle": cycle}}


@pytest.mark.parametrize(("period", "boundary"), [("day", DAY_END), ("week", WEEK_END), ("month", MONTH_END)])
def test_a_key_that_crosses_its_cycles_end_may_restart_once_and_is_exact_again_afterwards(
    spec_bounds: Bounds, suite_time: list[datetime], period: str, boundary: datetime
) -> None:
    settings = _limited(period)
    clock = SuiteClock()
    suite_time.append(boundary - SECOND)
    counting = Counting.started(spec_bounds, settings, cycles.now())
    before = {name: Decimal(2) for name in (*spec_bounds.figure_cycles, *spec_bounds.totals.values())}
    zeroed = {**before, **dict.fromkeys(spec_bounds.figure_cycles, Decimal(0))}
    suite_time.append(boundary + SECOND)
    judged = counting.judge(before, zeroed, added_by(0), settings=settings, clock=clock)
    assert judged.problems == ()
    assert judged.restarted == frozenset(spec_bounds.figure_cycles)
    # A moment later, no period start since the one behind the restart: the same drop is broken.
    suite_time.append(boundary + 2 * SECOND)
    assert counting.judge(before, zeroed, added_by(0), settings=settings, clock=clock).problems


def test_a_key_whose_limits_never_end_keeps_the_exact_comparison_across_midnight(
    spec_bounds: Bounds, suite_time: list[datetime]
) -> None:
    never = next(value for value, word in spec_bounds.cycle_periods.items() if word == cycles.NEVER)
    settings = {"spend_limit": {"amount": "5", "cycle": never}, "request_limit": None}
    suite_time.append(MONTH_END - SECOND)
    counting = Counting.started(spec_bounds, settings, cycles.now())
    before = {name: Decimal(2) for name in (*spec_bounds.figure_cycles, *spec_bounds.totals.values())}
    zeroed = {**before, **dict.fromkeys(spec_bounds.figure_cycles, Decimal(0))}
    suite_time.append(MONTH_END + SECOND)
    judged = counting.judge(before, zeroed, added_by(0), settings=settings, clock=SuiteClock())
    assert len(judged.problems) == len(spec_bounds.figure_cycles)


@pytest.mark.usefixtures("suite_time")
def test_a_servers_date_far_from_the_suites_clock_widens_the_margin() -> None:
    clock = SuiteClock()
    assert clock.margin == MARGIN
    clock.saw(httpx.Response(200, headers={"date": "Wed, 14 Jan 2026 10:30:00 GMT"}))
    assert clock.margin == MARGIN
    clock.saw(httpx.Response(200, headers={"date": "Wed, 14 Jan 2026 13:30:00 GMT"}))
    assert clock.margin == MARGIN + timedelta(hours=3)
    clock.saw(httpx.Response(200, headers={"date": "not a date"}))
    assert clock.margin == MARGIN + timedelta(hours=3)
    # Skewed by three hours, the suite at 21:00 allows a restart at midnight.
    assert may_restart(
        [_value("day")],
        MIDWEEK.replace(hour=21),
        MIDWEEK.replace(hour=22),
        periods=_periods(),
        margin=clock.margin,
    )


def test_a_restart_seen_late_does_not_hide_the_next_end_of_the_cycle(
    spec_bounds: Bounds, suite_time: list[datetime]
) -> None:
    # A monthly key from October; November's start restarts it, seen only in the last second of November;
    # a moment later December's start restarts it again.
    settings = _limited("month")
    suite_time.append(datetime(2026, 10, 3, tzinfo=UTC))
    counting = Counting.started(spec_bounds, settings, cycles.now())
    used = {name: Decimal(2) for name in (*spec_bounds.figure_cycles, *spec_bounds.totals.values())}
    zeroed = {**used, **dict.fromkeys(spec_bounds.figure_cycles, Decimal(0))}
    suite_time.append(datetime(2026, 12, 1, tzinfo=UTC) - SECOND)
    assert counting.judge(used, zeroed, added_by(0), settings=settings, clock=SuiteClock()).problems == ()
    suite_time.append(datetime(2026, 12, 1, tzinfo=UTC) + SECOND)
    again = {**zeroed, **dict.fromkeys(spec_bounds.figure_cycles, Decimal(1))}
    assert counting.judge(again, zeroed, added_by(0), settings=settings, clock=SuiteClock()).problems == ()
    # ...and nothing more in December.
    suite_time.append(datetime(2026, 12, 15, tzinfo=UTC))
    assert counting.judge(again, zeroed, added_by(0), settings=settings, clock=SuiteClock()).problems
