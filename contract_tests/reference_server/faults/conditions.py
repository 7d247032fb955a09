"""Where a seeded fault applies: questions to the spec a server serves, each with what it asks in words.

Most faults are about behaviour that every version of the API shares, and apply wherever they are
served (`ALWAYS`). Some are about what only some specs declare: the usage totals, a request field with
a default, a bound the fault's code goes past. Their `Condition` asks the spec (through `lava_spec`, or
the request rules compiled from it), never the name of a version, so a changed spec that declares the
same facts gets the same faults. A fault that loosens a request schema (`schemas`) applies where the
spec has the constraint it removes; `registry.Fault.applies_to` asks that of the transform itself.

This module does not register faults (see `registry`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from contract_tests.reference_server.validation import CREATE_OPERATION, RequestRules, request_rules
from lava_spec import Spec

# The usage figures the totals faults are about: each total and the current figure it is never below.
# The field of the create body whose enum `server_error_on_paused` picks from, and the value.
STATUS: Final = "status"
PAUSED: Final = "paused"
NAME: Final = "name"


@dataclass(frozen=True, slots=True)
class Condition:
    """What a spec must declare for a fault to apply to it."""

    # Completes "the fault applies where ...", e.g. "the spec's SpendKey shows total_spend".
    where: str
    holds: Callable[[Spec], bool]


ALWAYS: Final = Condition("any spec", lambda _spec: True)


def _rules(spec: Spec) -> RequestRules:
    return request_rules(spec)


def shows_totals(spec: Spec) -> bool:
    """The spec's SpendKey shows each total beside its current-cycle figure."""
    return bool(spec.usage_totals)


def kept_defaulted_fields(spec: Spec) -> frozenset[str]:
    """Fields the create body defaults that the spec's SpendKey shows and an update may change."""
    rules = _rules(spec)
    return frozenset(rules.create_defaults) & rules.spend_key_fields & rules.update_fields


def defaults_with_alternatives(rules: RequestRules) -> dict[str, object]:
    """Each shown field the create body defaults, with a value of its enum other than the default."""
    alternatives: dict[str, object] = {}
    for name, default in rules.create_defaults.items():
        enum = rules.create_constraints[name].enum or ()
        other = next((value for value in enum if value != default), None)
        if name in rules.spend_key_fields and other is not None:
            alternatives[name] = other
    return alternatives


def list_limit_below(highest: int) -> Condition:
    """The list's `limit` has a maximum below `highest` (so that a fault can honour more)."""
    return Condition(
        f"the list's limit has a maximum below {highest}",
        lambda spec: (maximum := _rules(spec).list_query.highest) is not None and maximum < highest,
    )


def names_longer_than(length: int) -> Condition:
    """A key's name may be longer than `length` characters."""

    def holds(spec: Spec) -> bool:
        schema = spec.operation(CREATE_OPERATION).request_schema or {}
        maximum = spec.constraints(schema, NAME).max_length
        return maximum is None or maximum > length

    return Condition(f"a name may be longer than {length} characters", holds)


SHOWS_TOTALS: Final = Condition(
    "the spec's SpendKey shows total_spend and total_requests beside the current figures", shows_totals
)
KEEPS_A_DEFAULTED_FIELD: Final = Condition(
    "the create body defaults a field that the spec's SpendKey shows and an update may change",
    lambda spec: bool(kept_defaulted_fields(spec)),
)
DEFAULTS_A_FIELD_WITH_AN_ENUM: Final = Condition(
    "the create body defaults a field that the spec's SpendKey shows, whose enum allows another value",
    lambda spec: bool(defaults_with_alternatives(_rules(spec))),
)


def _allows_paused(spec: Spec) -> bool:
    status = _rules(spec).create_constraints.get(STATUS)
    return status is not None and PAUSED in (status.enum or ())


ALLOWS_PAUSED: Final = Condition(f"a create body may set {STATUS} {PAUSED!r}", _allows_paused)
