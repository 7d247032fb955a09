"""The facts of the spec the suite draws requests from and checks answers against, all read from lava_spec.

A `Bounds` is built from a `Spec` (`Bounds.of(spec)`; `bounds()` for the repository's spec), so a change to
openapi/lava.yaml (a shorter name, another `limit` maximum, a new cycle, another secret field, a path
moved) reaches every strategy, test and check of the suite with no edit here: nothing below restates a
number, an enum or a path. It names only what the spec's vocabulary names (schemas, properties,
operationIds); where the spec states no bound the suite needs, building fails with `SpecError` naming it.

It sends nothing and decides nothing about an answer.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from lava_spec import Constraints, Operation, Spec, SpecError, load_spec

# The schemas and operations the suite draws for, by the spec's own names.
CREATE_SCHEMA = "SpendKeyCreate"
UPDATE_SCHEMA = "SpendKeyUpdate"
SPEND_KEY_SCHEMA = "SpendKey"
STATUS_SCHEMA = "SpendKeyStatus"
CYCLE_SCHEMA = "Cycle"
LIST_OPERATION = "list_spend_keys"
CREATE_OPERATION = "create_spend_key"
REVOKE_OPERATION = "revoke_spend_key"
# The request fields that hold a list of names (`null`: every one allowed).
NAME_LIST_FIELDS = ("allowed_models", "allowed_providers")
# The status of a key that works, in the API's own word; `Bounds.of` checks that the spec's enum has it.
ACTIVE_STATUS = "active"
# The masked raw key a spend key shows, which rotate changes: neither a setting nor usage.
PREVIEW_FIELD = "key_preview"


@dataclass(frozen=True)
class NameListBounds:
    """What a list of names in a request allows (`allowed_models`): null or not, how many, and each name."""

    nullable: bool
    min_items: int
    max_items: int | None
    item: Constraints

    @classmethod
    def of(cls, spec: Spec, schema: str, property_name: str) -> NameListBounds:
        """The bounds of `schema`'s array property `property_name` and of its items."""
        node = spec.properties(schema)[property_name]
        constraints = spec.constraints(node)
        return cls(
            nullable=constraints.nullable,
            min_items=constraints.min_items or 0,
            max_items=constraints.max_items,
            item=spec.constraints(_items(spec, node, f"{schema}.{property_name}")),
        )


def _items(spec: Spec, node: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    """The `items` schema of an array, through `$ref`s and `allOf`/`anyOf`/`oneOf` (`ModelList` is an anyOf).

    Local because lava_spec's `Constraints` stops at the array (its `minItems`/`maxItems`): a
    `Spec.items(...)` there would serve every reader.
    """
    pending = [spec.resolve(node)]
    while pending:
        part = pending.pop(0)
        if "items" in part:
            items: Mapping[str, Any] = part["items"]
            return items
        for keyword in ("allOf", "anyOf", "oneOf"):
            pending.extend(spec.resolve(branch) for branch in part.get(keyword, ()))
    raise SpecError(f"the spec gives {what} no array items, which the contract suite draws names for")


@dataclass(frozen=True)
class Bounds:
    """What the spec allows of a spend-key request, and which answers may show a secret."""

    spec: Spec
    name_min_length: int
    name_max_length: int
    statuses: tuple[str, ...]
    cycles: tuple[str, ...]
    # The least value of each counted limit: `rate_limit.rpm`, `rate_limit.burst`, `request_limit.count`.
    rpm_lowest: int
    burst_lowest: int
    count_lowest: int
    # The least and greatest `limit` a list request may ask for.
    limit_lowest: int
    limit_highest: int
    # The spend-key fields shown only by the operations that reveal them (the raw `key`).
    secret_fields: frozenset[str]
    # The operationIds whose success answer reveals them (create and rotate).
    revealing_operations: frozenset[str]
    # The one secret field: the raw key, as create and rotate show it.
    raw_key_field: str
    # Each list of names a create or update may send (`allowed_models`, `allowed_providers`), by field.
    name_lists: Mapping[str, NameListBounds]
    # A key's settings: what an update may change (SpendKeyUpdate's properties), in the spec's order.
    setting_fields: tuple[str, ...]
    # What the server counts and stamps (ids, figures, times): the rest of a spend key but its secret and
    # its preview.
    usage_fields: tuple[str, ...]
    # Each setting of a create that the spec holds to an enum (`status`; v2's `request_shape`), by field.
    setting_enums: Mapping[str, tuple[str, ...]]
    # What a key holds for a create field left out, where the spec states a `default` (v2's
    # `request_shape`: "openai").
    create_defaults: Mapping[str, object]
    # Each current-cycle figure whose total the spend key shows too (`current_spend` -> `total_spend`);
    # empty where the spec's SpendKey has no totals (v0).
    totals: Mapping[str, str]
    # Each current-cycle figure, with where in the key the cycle it counts in is (`x-lava-cycle`:
    # `current_spend` -> ("spend_limit", "cycle")), and the period of each cycle value
    # (`x-lava-cycle-periods`: `daily` -> `day`, `total` -> `never`); cycles.py judges with both.
    figure_cycles: Mapping[str, tuple[str, ...]]
    cycle_periods: Mapping[str, str]

    @classmethod
    def of(cls, spec: Spec) -> Bounds:
        """Read the bounds from `spec`; SpecError names the one it does not state."""
        name = spec.constraints(CREATE_SCHEMA, "name")
        limit = spec.operation(LIST_OPERATION).parameter("limit", "query").constraints
        rate_limit = spec.properties(CREATE_SCHEMA)["rate_limit"]
        request_limit = spec.properties(CREATE_SCHEMA)["request_limit"]
        statuses = tuple(str(option) for option in spec.enum(STATUS_SCHEMA))
        if ACTIVE_STATUS not in statuses:
            raise SpecError(f"{STATUS_SCHEMA} has no {ACTIVE_STATUS!r}, the status of a key that works")
        if len(spec.secret_fields) != 1:
            raise SpecError(
                "the spend key needs one x-lava-secret field, the raw key; it has "
                f"{sorted(spec.secret_fields)}"
            )
        return cls(
            spec=spec,
            name_min_length=name.min_length or 0,
            name_max_length=_stated(name.max_length, "SpendKeyCreate.name maxLength"),
            statuses=statuses,
            cycles=tuple(str(option) for option in spec.enum(CYCLE_SCHEMA)),
            rpm_lowest=_stated(spec.constraints(rate_limit, "rpm").lowest, "RateLimit.rpm minimum"),
            burst_lowest=_stated(spec.constraints(rate_limit, "burst").lowest, "RateLimit.burst minimum"),
            count_lowest=_stated(
                spec.constraints(request_limit, "count").lowest, "RequestLimit.count minimum"
            ),
            limit_lowest=_stated(limit.lowest, "list_spend_keys limit minimum"),
            limit_highest=_stated(limit.highest, "list_spend_keys limit maximum"),
            secret_fields=spec.secret_fields,
            revealing_operations=spec.revealing_operations,
            raw_key_field=next(iter(spec.secret_fields)),
            name_lists=MappingProxyType(
                {field: NameListBounds.of(spec, CREATE_SCHEMA, field) for field in NAME_LIST_FIELDS}
            ),
            figure_cycles=spec.figure_cycles,
            cycle_periods=spec.cycle_periods,
            **_fields(spec),
        )

    def labelled(self, label: str) -> Operation | None:
        """The operation schemathesis labels `label` ("PUT /manage/spend_keys/{id}"), if the spec has it."""
        return next((op for op in self.spec.operations.values() if op.label == label), None)

    def operation(self, operation_id: str) -> Operation:
        """The operation `operationId`, from the spec these bounds were read from."""
        return self.spec.operation(operation_id)

    @property
    def revealing_labels(self) -> frozenset[str]:
        """The revealing operations as schemathesis labels them ("POST /manage/spend_keys")."""
        return frozenset(self.operation(operation_id).label for operation_id in self.revealing_operations)

    @property
    def collection_path(self) -> str:
        """The path of the list and create operations, relative to the base URL."""
        return self.operation(LIST_OPERATION).path

    def path_of(self, operation_id: str, *values: str) -> str:
        """The path of `operation_id` with `values` filled in, in order, relative to the base URL."""
        operation = self.operation(operation_id)
        return operation.path_for(**path_arguments(operation, *values))


def _fields(spec: Spec) -> dict[str, Any]:
    """The settings, usage, enums, defaults and totals of a spend key, as `spec` declares them."""
    settings = tuple(spec.properties(UPDATE_SCHEMA))
    spend_key = tuple(spec.properties(SPEND_KEY_SCHEMA))
    created = spec.properties(CREATE_SCHEMA)
    hidden = {*settings, *spec.secret_fields, PREVIEW_FIELD}
    enums = {
        field: tuple(str(option) for option in constraints.enum)
        for field in created
        if field in settings and (constraints := spec.constraints(CREATE_SCHEMA, field)).enum is not None
    }
    defaults = {
        field: constraints.default
        for field in created
        if (constraints := spec.constraints(CREATE_SCHEMA, field)).has_default
    }
    totals = dict(spec.usage_totals)
    return {
        "setting_fields": settings,
        "usage_fields": tuple(field for field in spend_key if field not in hidden),
        "setting_enums": MappingProxyType(enums),
        "create_defaults": MappingProxyType(defaults),
        "totals": MappingProxyType(totals),
    }


def path_arguments(operation: Operation, *values: str) -> dict[str, str]:
    """`operation`'s path parameters, by the names the spec gives them, filled with `values` in order.

    So no caller writes a parameter's name (`id`), and a spec that renames one needs no edit; a count of
    values that differs from the path's parameters is a ValueError. (lava_spec's `Operation.path_for`
    takes the values by name only; this positional form belongs beside it there.)
    """
    return dict(zip(operation.path_parameters, values, strict=True))


def _stated(value: int | None, what: str) -> int:
    if value is None:
        raise SpecError(f"the spec states no {what}, which the contract suite draws requests from")
    return value


@functools.cache
def bounds() -> Bounds:
    """The bounds of the run's spec: its API version's (`settings.current().spec_path`), read once."""
    from contract_tests.settings import current  # noqa: PLC0415 - settings imports the target, which imports the server

    return Bounds.of(load_spec(current().spec_path))
