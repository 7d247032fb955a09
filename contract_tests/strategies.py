"""Hypothesis strategies for spend-key requests, in one place for every test to import.

They draw *valid* settings as the spec defines them (names of up to 255 characters that start with the
run's prefix, the status and cycle
enums, limits at or above their minimum, time-zone-aware expiry dates) and the one invalid input the docs
name explicitly: a name over 255 characters. Schemathesis draws everything else, valid and invalid, from
the spec itself; these strategies exist for the semantic properties that schema checks cannot see.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from contract_tests.run import NAME_MAX_LENGTH, NAME_PREFIX, named

# Any Unicode text except surrogates (not encodable as UTF-8, so not sendable as JSON text).
_name_characters = st.characters(exclude_categories=["Cs"])

# Every name carries the run's prefix (contract_tests/run.py), so a run can find its keys on a shared
# target; the drawn part fills the rest, up to 255 characters in all, or past it for over-long names.
valid_names = st.text(_name_characters, min_size=1, max_size=NAME_MAX_LENGTH - len(NAME_PREFIX)).map(named)
over_long_names = st.text(
    _name_characters, min_size=NAME_MAX_LENGTH + 1 - len(NAME_PREFIX), max_size=NAME_MAX_LENGTH * 4
).map(named)

statuses = st.sampled_from(["active", "paused"])
cycles = st.sampled_from(["daily", "weekly", "monthly", "total"])
positive_integers = st.integers(min_value=1, max_value=2**31 - 1)
decimal_strings = st.builds(
    lambda units, cents: f"{units}.{cents:02d}" if cents else str(units),
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=99),
)
model_lists = st.none() | st.lists(
    st.text(st.characters(codec="ascii", categories=("L", "N", "Pd")), min_size=1, max_size=40), max_size=5
)
expiry_dates = st.none() | st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds and adds the zone
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
).map(lambda moment: moment.replace(microsecond=0).isoformat().replace("+00:00", "Z"))

spend_limits = st.fixed_dictionaries({"amount": decimal_strings, "cycle": cycles})
request_limits = st.fixed_dictionaries({"count": positive_integers, "cycle": cycles})
rate_limits = st.fixed_dictionaries(
    {"rpm": positive_integers}, optional={"burst": st.none() | positive_integers}
)

_settings: dict[str, st.SearchStrategy[Any]] = {
    "status": statuses,
    "allowed_models": model_lists,
    "allowed_providers": model_lists,
    "spend_limit": spend_limits,
    "request_limit": request_limits,
    "rate_limit": rate_limits,
    "expires_at": expiry_dates,
}


def create_bodies(names: st.SearchStrategy[str] = valid_names) -> st.SearchStrategy[dict[str, Any]]:
    """JSON bodies for create: a name and any subset of the optional settings."""
    return st.fixed_dictionaries({"name": names}, optional=_settings)


def update_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """JSON bodies for update: any subset of the settings, limits possibly `null` (removed)."""
    nullable_limits = {
        "spend_limit": st.none() | spend_limits,
        "request_limit": st.none() | request_limits,
        "rate_limit": st.none() | rate_limits,
    }
    return st.fixed_dictionaries({}, optional={**_settings, **nullable_limits, "name": valid_names})
