"""Validation faults seeded into the spec itself: a loosened copy of the request schemas.

The reference server checks bodies against `openapi/lava.yaml`'s own schemas
(`validation.request_rules`). A validation fault passes a transform that removes one
constraint from a fresh copy of the spec's `components` (`Spec.components_copy`) before they are
compiled, so the server accepts what the spec forbids, exactly as a server that forgot that one
check would. The spec file is never changed, and the conforming server's compiled schemas are not
touched (each transform is compiled on its own).

This module holds only the transforms; the faults that need code rather than a looser schema
(`accepts_limit_over_100`, `accepts_malformed_json`) are in `operations`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from contract_tests.reference_server.validation import Components


def without(keyword: str, *locations: tuple[str | int, ...]) -> Callable[[Components], Components]:
    """Return a transform that deletes `keyword` from the schema at each location under `schemas`.

    A location is a path of keys and indexes, e.g. `("RateLimit", "properties", "rpm")`. A
    location that does not hold the keyword is an error: the spec has moved on, and the fault
    would silently stop being one.
    """

    def transform(components: Components) -> Components:
        for location in locations:
            schema: Any = components["schemas"]
            for step in location:
                schema = schema[step]
            if keyword not in schema:
                raise LookupError(f"no `{keyword}` at schemas/{'/'.join(map(str, location))} in the spec")
            del schema[keyword]
        return components

    return transform


# `accepts_long_name` and `accepts_empty_name`: create and update share `SpendKeyName`.
NAME_WITHOUT_MAX_LENGTH: Final = without("maxLength", ("SpendKeyName",))
NAME_WITHOUT_MIN_LENGTH: Final = without("minLength", ("SpendKeyName",))
# `accepts_rpm_zero`: every integer that must be at least 1.
LIMITS_WITHOUT_MINIMUM: Final = without(
    "minimum",
    ("RateLimit", "properties", "rpm"),
    ("RateLimit", "properties", "burst", "anyOf", 0),
    ("RequestLimit", "properties", "count"),
)
# `accepts_unknown_status`: create and update share `SpendKeyStatus`.
STATUS_WITHOUT_ENUM: Final = without("enum", ("SpendKeyStatus",))
