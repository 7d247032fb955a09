"""Hypothesis strategies for spend-key requests, in one place for every test to import.

They draw *valid* settings as the spec defines them (names that start with the run's prefix and stay
within the spec's length, every enum of a setting (status; v2's request_shape) and the cycles, limits at
or above their minimums, model and provider lists within their lengths and their items' constraints,
time-zone-aware expiry dates) and the one invalid
input the docs name explicitly: a name over the spec's maxLength.
Every bound comes from a `Bounds` (contract_tests/bounds.py): `for_bounds(Bounds.of(spec))` draws for
any spec, a changed copy included; the module's own names draw for the repository's spec. Schemathesis
draws everything else, valid and invalid, from the spec itself; these strategies exist for the semantic
properties that schema checks cannot see.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from contract_tests.bounds import Bounds, NameListBounds, bounds
from contract_tests.run import name_prefix, named

# Any Unicode text except surrogates (not encodable as UTF-8, so not sendable as JSON text).
_name_characters = st.characters(exclude_categories=["Cs"])
# A model or provider name where the spec states no pattern: ASCII letters, digits and dashes.
_model_characters = st.characters(codec="ascii", categories=("L", "N", "Pd"))
# Where the spec leaves them open: the longest model name and the most names in a list the suite draws.
_LONGEST_MODEL_NAME = 40
_MOST_MODEL_NAMES = 5
# The largest integer the suite sends for a limit with no maximum: a 32-bit signed integer's.
_LARGEST_COUNT = 2**31 - 1


@dataclass(frozen=True)
class SpendKeyStrategies:
    """The strategies for one spec's bounds (see `for_bounds`)."""

    valid_names: st.SearchStrategy[str]
    over_long_names: st.SearchStrategy[str]
    statuses: st.SearchStrategy[str]
    cycles: st.SearchStrategy[str]
    spend_limits: st.SearchStrategy[dict[str, Any]]
    request_limits: st.SearchStrategy[dict[str, Any]]
    rate_limits: st.SearchStrategy[dict[str, Any]]
    settings: dict[str, st.SearchStrategy[Any]]

    def create_bodies(self, names: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[dict[str, Any]]:
        """JSON bodies for create: a name and any subset of the optional settings."""
        return st.fixed_dictionaries({"name": names or self.valid_names}, optional=self.settings)

    def update_bodies(self) -> st.SearchStrategy[dict[str, Any]]:
        """JSON bodies for update: any subset of the settings, limits possibly `null` (removed)."""
        nullable_limits = {
            "spend_limit": st.none() | self.spend_limits,
            "request_limit": st.none() | self.request_limits,
            "rate_limit": st.none() | self.rate_limits,
        }
        return st.fixed_dictionaries(
            {}, optional={**self.settings, **nullable_limits, "name": self.valid_names}
        )


def for_bounds(spec_bounds: Bounds) -> SpendKeyStrategies:
    """The strategies that draw within `spec_bounds`.

    Every name carries the run's prefix (contract_tests/run.py), so a run can find its keys on a shared
    target; the drawn part fills the rest, up to the spec's maxLength in all, or past it for over-long
    names (from maxLength + 1 to four times maxLength).
    """
    longest = spec_bounds.name_max_length
    room = longest - len(name_prefix())
    valid_names = st.text(_name_characters, min_size=max(1, spec_bounds.name_min_length), max_size=room).map(
        named
    )
    over_long_names = st.text(_name_characters, min_size=room + 1, max_size=longest * 4).map(named)
    statuses = st.sampled_from(spec_bounds.statuses)
    cycles = st.sampled_from(spec_bounds.cycles)
    spend_limits = st.fixed_dictionaries({"amount": decimal_strings, "cycle": cycles})
    request_limits = st.fixed_dictionaries(
        {"count": st.integers(min_value=spec_bounds.count_lowest, max_value=_LARGEST_COUNT), "cycle": cycles}
    )
    bursts = st.integers(min_value=spec_bounds.burst_lowest, max_value=_LARGEST_COUNT)
    rate_limits = st.fixed_dictionaries(
        {"rpm": st.integers(min_value=spec_bounds.rpm_lowest, max_value=_LARGEST_COUNT)},
        optional={"burst": st.none() | bursts},
    )
    return SpendKeyStrategies(
        valid_names=valid_names,
        over_long_names=over_long_names,
        statuses=statuses,
        cycles=cycles,
        spend_limits=spend_limits,
        request_limits=request_limits,
        rate_limits=rate_limits,
        settings={
            # `status`, and every other setting the spec holds to an enum (v2's `request_shape`).
            **{field: st.sampled_from(options) for field, options in spec_bounds.setting_enums.items()},
            **{field: name_lists(list_bounds) for field, list_bounds in spec_bounds.name_lists.items()},
            "spend_limit": spend_limits,
            "request_limit": request_limits,
            "rate_limit": rate_limits,
            "expires_at": expiry_dates,
        },
    )


def name_lists(list_bounds: NameListBounds) -> st.SearchStrategy[list[str] | None]:
    """Lists of model or provider names within the spec's bounds (null too, where the spec allows it).

    How many names, and each name's length, pattern or enum, are the spec's; what it leaves open is ours.
    """
    item = list_bounds.item
    names: st.SearchStrategy[str]
    if item.enum is not None:
        names = st.sampled_from([str(option) for option in item.enum])
    else:
        shortest = max(1, item.min_length or 0)
        longest = item.max_length if item.max_length is not None else max(shortest, _LONGEST_MODEL_NAME)
        if item.pattern is not None:
            # ASCII only: `\d` or `\w` mean more in Python than in the spec's (ECMA) regular expressions.
            names = st.from_regex(item.pattern, fullmatch=True, alphabet=st.characters(codec="ascii")).filter(
                lambda name: shortest <= len(name) <= longest
            )
        else:
            names = st.text(_model_characters, min_size=shortest, max_size=longest)
    most = (
        list_bounds.max_items
        if list_bounds.max_items is not None
        else max(list_bounds.min_items, _MOST_MODEL_NAMES)
    )
    lists = st.lists(names, min_size=list_bounds.min_items, max_size=most)
    return st.none() | lists if list_bounds.nullable else lists


# What the spec leaves open (a decimal string's size, an expiry): drawn the same for any spec.
decimal_strings = st.builds(
    lambda units, cents: f"{units}.{cents:02d}" if cents else str(units),
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=99),
)
expiry_dates = st.none() | st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds and adds the zone
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
).map(lambda moment: moment.replace(microsecond=0).isoformat().replace("+00:00", "Z"))


@functools.cache
def current() -> SpendKeyStrategies:
    """The strategies for the repository's spec (built once, when a test module first asks)."""
    return for_bounds(bounds())


def create_bodies(names: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Create bodies for the repository's spec (see `SpendKeyStrategies.create_bodies`)."""
    return current().create_bodies(names)


def update_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """Update bodies for the repository's spec (see `SpendKeyStrategies.update_bodies`)."""
    return current().update_bodies()


def valid_names() -> st.SearchStrategy[str]:
    """Names the repository's spec allows, with the run's prefix."""
    return current().valid_names


def over_long_names() -> st.SearchStrategy[str]:
    """Names over the repository's spec's maxLength, with the run's prefix."""
    return current().over_long_names
