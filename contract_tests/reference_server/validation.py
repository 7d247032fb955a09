r"""Request checks: the spec's own schemas for bodies, and the spec's parameter rules.

Everything checked here is asked of the spec (`lava_spec`), never restated: `request_rules(spec)`
compiles the request schema of each operation with a body (`create_spend_key`, `update_spend_key`)
with jsonschema-rs (JSON Schema 2020-12, formats on), compiles the schema of every query parameter the
list declares (read as its type says: integer, number, boolean or string; a server that cannot read one
refuses to start), and reads `limit`'s bounds and default and the `Idempotency-Key` header's maximum
length. So the server cannot drift from the document it is the reference for, and a changed spec is served as
changed. A body passes through three gates, and each has its own status (an empty body is a 400
whatever its Content-Type, since there is nothing to declare); the first two are `json_body`'s:

- 415 `unsupported_media_type`: not declared as `application/json` (parameters are allowed; a
  charset, if given, must be UTF-8, since RFC 8259 allows nothing else).
- 400 `invalid_json`: empty, not UTF-8, not JSON, a NaN/Infinity constant, a number too large
  for a double, nesting too deep to parse, or a `\u` escape of a lone surrogate (I-JSON, RFC 7493,
  forbids them; Python could not encode them back).
- 422 `validation_error`: well-formed JSON that breaks the schema. The message names each field
  and the constraint it breaks, and never the value sent.

A query or header parameter that breaks the spec (given twice, or breaking its schema) is a 400
`invalid_parameter`, whose message names the parameter and the constraint, never the value.

A create body that leaves out a property to which the create schema gives a `default` takes that
default (`RequestRules.with_defaults`, which the operations apply to every key they make).

This module does not read the YAML (lava_spec does) and does not act on a request: it returns a
checked value or raises an `ApiError`.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Required, TypeAlias, TypedDict, cast

import jsonschema_rs

from contract_tests.reference_server.errors import invalid_parameter, validation_error
from contract_tests.reference_server.json_body import read_json_body, strict_loads
from lava_spec import Constraints, Parameter, Spec

# The operations whose bodies and query are checked here, by their operationIds in the spec.
CREATE_OPERATION: Final = "create_spend_key"
UPDATE_OPERATION: Final = "update_spend_key"
LIST_OPERATION: Final = "list_spend_keys"
# The list query's parameters that the store acts on: a page's size, where it starts, whose keys.
LIMIT: Final = "limit"
CURSOR: Final = "cursor"
WALLET_ID: Final = "wallet_id"
# A 422 names this many problems at most; the rest would bury the first ones.
MAX_REPORTED_PROBLEMS: Final = 5

_INTEGER = re.compile(r"-?[0-9]+")
# What a problem at the top of a body is called.
_BODY: Final = "the body"

# The spec's `components` object as YAML loads it.
Components: TypeAlias = dict[str, Any]


class SpendLimitBody(TypedDict):
    """A `SpendLimit` as the spec admits it."""

    amount: str
    cycle: str


class RequestLimitBody(TypedDict):
    """A `RequestLimit` as the spec admits it. `count` may arrive as an integral float (`2.0`)."""

    count: int | float
    cycle: str


class RateLimitBody(TypedDict, total=False):
    """A `RateLimit` as the spec admits it. Integers may arrive as integral floats."""

    rpm: Required[int | float]
    burst: int | float | None


class SpendKeyCreateBody(TypedDict, total=False):
    """A body that `SpendKeyCreate` admits. Properties the spec does not name are ignored."""

    name: Required[str]
    status: str
    allowed_models: list[str] | None
    allowed_providers: list[str] | None
    expires_at: str | None
    wallet_id: str
    connection_id: str
    spend_limit: SpendLimitBody
    request_limit: RequestLimitBody
    rate_limit: RateLimitBody


class SpendKeyUpdateBody(TypedDict, total=False):
    """A body that `SpendKeyUpdate` admits. Properties the spec does not name are ignored."""

    name: str
    status: str
    allowed_models: list[str] | None
    allowed_providers: list[str] | None
    expires_at: str | None
    spend_limit: SpendLimitBody | None
    request_limit: RequestLimitBody | None
    rate_limit: RateLimitBody | None


@dataclass(frozen=True, slots=True)
class QueryParameter:
    """A query parameter as the spec declares it: its name, its constraints and its schema, compiled."""

    name: str
    constraints: Constraints
    validator: jsonschema_rs.Validator = field(repr=False)

    def value(self, raw: str, *, lowest: int | None = None) -> object:
        """`raw` read as the schema's type and checked against the whole schema, or a 400 that names it.

        `lowest`, when given, is a floor of the server's own for an integer the spec leaves unbounded below.
        """
        constraints = self.constraints
        value: object
        match _query_type(constraints):
            case "integer":
                value = _integer(self.name, raw, _floor(constraints.lowest, lowest), constraints.highest)
            case "number":
                value = _number(self.name, raw)
            case "boolean":
                if raw not in _BOOLEANS:
                    raise invalid_parameter(f"`{self.name}` must be true or false.")
                value = _BOOLEANS[raw]
            case _:
                value = raw
        problems = [
            problem
            for error in self.validator.iter_errors(value)
            for problem in _describe(error, f"`{self.name}`")
        ]
        if problems:
            raise invalid_parameter(f"{'; '.join(dict.fromkeys(problems))}.")
        return value


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The list operation's query parameters, as the spec states them."""

    # Every query parameter the spec declares for the list; each may be given at most once.
    parameters: tuple[QueryParameter, ...]
    limit: Constraints

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the declared query parameters."""
        return tuple(parameter.name for parameter in self.parameters)

    @property
    def lowest(self) -> int:
        """The smallest `limit` allowed (1 where the spec states no minimum)."""
        return 1 if self.limit.lowest is None else self.limit.lowest

    @property
    def highest(self) -> int | None:
        """The largest `limit` allowed, or None where the spec states no maximum."""
        return self.limit.highest

    @property
    def default(self) -> int:
        """The `limit` of a list that gives none: the spec's default, else the largest allowed."""
        if self.limit.has_default:
            return int(cast("int", self.limit.default))
        if self.highest is None:
            raise ValueError(f"the spec gives the list's `{LIMIT}` neither a default nor a maximum")
        return self.highest


@dataclass(frozen=True, slots=True)
class RequestRules:
    """What the spec requires of a request: the compiled body schemas, and the list query's parameters."""

    create: jsonschema_rs.Validator
    update: jsonschema_rs.Validator
    list_query: ListQuery
    # The properties each body schema declares, and those a spend key shows in every answer (no secret).
    create_fields: frozenset[str]
    update_fields: frozenset[str]
    spend_key_fields: frozenset[str]
    # Those of them whose schema allows `null`: an answer shows them as `null` when the key has no value
    # (v2's limits, as Lava's Node SDK reads them), where the others are left out.
    nullable_spend_key_fields: frozenset[str]
    # Each current-cycle figure whose total a spend key shows too (`Spec.usage_totals`; empty for v0).
    usage_totals: Mapping[str, str]
    # The spec's one secret field: where create and rotate show the raw key.
    raw_key_field: str
    # What the create schema states of each property it declares, and the `default` of those that have
    # one: what a key made from a create body that leaves the property out gets (`with_defaults`).
    create_constraints: Mapping[str, Constraints] = field(default_factory=dict)
    create_defaults: Mapping[str, object] = field(default_factory=dict)

    def check_create(self, content_type: str | None, body: bytes) -> SpendKeyCreateBody:
        """Return the create body, checked, or raise a 400, 415 or 422."""
        document = read_json_body(content_type, body)
        check_schema(self.create, document)
        # The schema admitted it, so it has the shape that the TypedDict describes.
        return cast("SpendKeyCreateBody", document)

    def with_defaults(self, body: SpendKeyCreateBody) -> SpendKeyCreateBody:
        """`body` with the create schema's `default` of each property it leaves out (fresh copies)."""
        defaults = {name: copy.deepcopy(value) for name, value in self.create_defaults.items()}
        return cast("SpendKeyCreateBody", {**defaults, **body})

    def check_update(self, content_type: str | None, body: bytes) -> SpendKeyUpdateBody:
        """Return the update body, checked, or raise a 400, 415 or 422."""
        document = read_json_body(content_type, body)
        check_schema(self.update, document)
        return cast("SpendKeyUpdateBody", document)

    def list_parameters(self, query: Mapping[str, Sequence[str]]) -> ListParameters:
        """Check the list query (parameter name -> every value given), or raise a 400.

        Every parameter the spec declares is checked against its schema; those the spec does not declare
        are ignored.
        """
        for name in self.list_query.names:
            if len(query.get(name, ())) > 1:
                raise invalid_parameter(f"`{name}` is given more than once; give it at most once.")
        values = {
            parameter.name: parameter.value(
                query[parameter.name][0], lowest=self.list_query.lowest if parameter.name == LIMIT else None
            )
            for parameter in self.list_query.parameters
            if parameter.name in query
        }
        limit = values.get(LIMIT, self.list_query.default)
        cursor, wallet_id = values.get(CURSOR), values.get(WALLET_ID)
        return ListParameters(
            limit=cast("int", limit),
            cursor=None if cursor is None else str(cursor),
            wallet_id=None if wallet_id is None else str(wallet_id),
        )


# The query types read here; a query parameter of another type (an array, an object) has no one reading.
_QUERY_TYPES: Final = ("integer", "number", "boolean", "string")
_BOOLEANS: Final = {"true": True, "false": False}
# An integer the spec leaves unbounded on a side is refused past this many digits rather than parsed: what a
# 64-bit server reads, and what the schema validator can take.
_MAX_UNBOUNDED_DIGITS: Final = 18


def _query_type(constraints: Constraints) -> str:
    """The type a query parameter's text is read as (a string when the schema states none)."""
    return next((kind for kind in _QUERY_TYPES if kind in constraints.types), "string")


def _floor(stated: int | None, floor: int | None) -> int | None:
    if floor is None:
        return stated
    return floor if stated is None else max(stated, floor)


def _integer(name: str, raw: str, lowest: int | None, highest: int | None) -> int:
    """`raw` as an integer from `lowest` to `highest` (each None: unbounded), or a 400 naming the range."""
    if lowest is not None and highest is not None:
        allowed = f"from {lowest} to {highest}"
    elif lowest is not None:
        allowed = f"at least {lowest}"
    else:
        allowed = f"at most {highest}" if highest is not None else ""
    # Only plain decimal digits: Python's int() would also take "1_0", " 10" and other scripts' digits.
    if _INTEGER.fullmatch(raw) is None:
        raise invalid_parameter(f"`{name}` must be an integer{f' {allowed}' if allowed else ''}.")
    # More digits than both bounds have is out of range anyway, and Python's digit limit never applies.
    digits = [len(str(abs(bound))) for bound in (lowest, highest) if bound is not None]
    if lowest is None or highest is None:
        digits.append(_MAX_UNBOUNDED_DIGITS)
    if len(raw.lstrip("-").lstrip("0")) > max(digits):
        raise invalid_parameter(
            f"`{name}` must be {allowed}."
            if lowest is not None and highest is not None
            else f"`{name}` must be an integer of at most {max(digits)} digits."
        )
    value = int(raw)
    if (lowest is not None and value < lowest) or (highest is not None and value > highest):
        raise invalid_parameter(f"`{name}` must be {allowed}.")
    return value


def _number(name: str, raw: str) -> float:
    """`raw` as a finite JSON number, or a 400."""
    try:
        value = strict_loads(raw)
    except (ValueError, RecursionError):
        value = None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_parameter(f"`{name}` must be a number.")
    return float(value)


def request_rules(spec: Spec, *, transform: Callable[[Components], Components] | None = None) -> RequestRules:
    """Compile what the spec requires of a request; compiled once per spec and `transform`.

    `transform`, when given, rewrites a fresh copy of the spec's `components` before the body schemas
    are compiled against it. It is the seam through which a seeded validation fault (`faults`)
    loosens a constraint; the conforming server passes none.
    """
    return _compile(spec, transform)


@functools.lru_cache(maxsize=64)
def _compile(spec: Spec, transform: Callable[[Components], Components] | None) -> RequestRules:
    components = spec.components_copy()
    if transform is not None:
        components = transform(components)

    def body_schema(operation_id: str) -> tuple[jsonschema_rs.Validator, frozenset[str]]:
        schema = spec.operation(operation_id).request_schema
        if schema is None:
            raise ValueError(f"the spec's {operation_id} takes no JSON body; the reference server needs one")
        return spec.validator(schema, components=components), frozenset(spec.properties(schema))

    if len(spec.secret_fields) != 1:
        raise ValueError(
            "the reference server shows the raw key in the spend key's one x-lava-secret field, but the spec "
            f"marks {len(spec.secret_fields)}: {', '.join(sorted(spec.secret_fields)) or 'none'}"
        )
    create, create_fields = body_schema(CREATE_OPERATION)
    create_schema = spec.operation(CREATE_OPERATION).request_schema or {}
    create_constraints = {name: spec.constraints(create_schema, name) for name in sorted(create_fields)}
    update, update_fields = body_schema(UPDATE_OPERATION)
    listing = spec.operation(LIST_OPERATION)
    query = tuple(
        QueryParameter(
            name=parameter.name,
            constraints=parameter.constraints,
            validator=spec.validator(parameter.schema, components=components),
        )
        for parameter in listing.parameters
        if parameter.location == "query"
    )
    for parameter in query:
        unread = set(parameter.constraints.types) - set(_QUERY_TYPES)
        if unread:
            raise ValueError(
                f"the spec's {LIST_OPERATION} query parameter `{parameter.name}` is of type "
                f"{', '.join(sorted(unread))}; the reference server reads only {', '.join(_QUERY_TYPES)}"
            )
    return RequestRules(
        create=create,
        update=update,
        list_query=ListQuery(parameters=query, limit=listing.parameter(LIMIT, "query").constraints),
        create_fields=create_fields,
        update_fields=update_fields,
        spend_key_fields=spec.spend_key_fields - spec.secret_fields,
        nullable_spend_key_fields=spec.nullable_spend_key_fields - spec.secret_fields,
        usage_totals=spec.usage_totals,
        raw_key_field=next(iter(spec.secret_fields)),
        create_constraints=MappingProxyType(create_constraints),
        create_defaults=MappingProxyType(
            {name: found.default for name, found in create_constraints.items() if found.has_default}
        ),
    )


def check_schema(validator: jsonschema_rs.Validator, document: object) -> None:
    """Raise a 422 that names every broken constraint (up to a few) if `document` breaks the schema."""
    problems = [problem for error in validator.iter_errors(document) for problem in _describe(error)]
    if problems:
        unique = list(dict.fromkeys(problems))
        shown = "; ".join(unique[:MAX_REPORTED_PROBLEMS])
        more = len(unique) - MAX_REPORTED_PROBLEMS
        suffix = f"; and {more} more" if more > 0 else ""
        raise validation_error(f"The request body breaks the schema: {shown}{suffix}.")


def _location(path: Sequence[str | int], root: str = _BODY) -> str:
    if not path:
        return root
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return f"`{text}`"


def _describe(  # noqa: C901, PLR0911 - one case per keyword
    error: jsonschema_rs.ValidationError, root: str = _BODY
) -> list[str]:
    """Say which field breaks which constraint, without repeating the value that was sent.

    `root` names what was checked: the body, or a parameter (`limit`).
    """
    where = _location(error.instance_path, root)
    kind = error.kind
    match kind:
        case jsonschema_rs.ValidationErrorKind.Required(property=name):
            return [f"{_location([*error.instance_path, name], root)} is required"]
        case jsonschema_rs.ValidationErrorKind.Type(types=types):
            return [f"{where} must be of type {' or '.join(types)}"]
        case jsonschema_rs.ValidationErrorKind.MinLength(limit=limit):
            return [f"{where} must be at least {limit} character{'s' if limit != 1 else ''} long"]
        case jsonschema_rs.ValidationErrorKind.MaxLength(limit=limit):
            return [f"{where} must be at most {limit} characters long"]
        case jsonschema_rs.ValidationErrorKind.Minimum(limit=limit):
            return [f"{where} must be at least {limit}"]
        case jsonschema_rs.ValidationErrorKind.Maximum(limit=limit):
            return [f"{where} must be at most {limit}"]
        case jsonschema_rs.ValidationErrorKind.Enum(options=options):
            return [f"{where} must be one of {', '.join(json.dumps(option) for option in options)}"]
        case jsonschema_rs.ValidationErrorKind.Pattern(pattern=pattern):
            return [f"{where} must match the pattern {pattern}"]
        case jsonschema_rs.ValidationErrorKind.Format(format=name):
            return [f"{where} must be a valid {name}" + (" (RFC 3339)" if name == "date-time" else "")]
        case jsonschema_rs.ValidationErrorKind.AnyOf(context=branches):
            return _describe_any_of(error, branches, root)
        case _:
            return [f"{where} breaks the schema's `{kind.name}` constraint"]


def _describe_any_of(
    error: jsonschema_rs.ValidationError, branches: Iterable[list[jsonschema_rs.ValidationError]], root: str
) -> list[str]:
    """Describe the branch that came closest; or, if every branch has the wrong type, list the types."""
    types: list[str] = []
    closest: list[str] = []
    for errors in branches:
        wrong_types = [
            branch_error.kind
            for branch_error in errors
            if isinstance(branch_error.kind, jsonschema_rs.ValidationErrorKind.Type)
            and branch_error.instance_path == error.instance_path
        ]
        if len(wrong_types) == len(errors):
            types.extend(name for kind in wrong_types for name in kind.types)
        elif not closest:
            closest = [problem for branch_error in errors for problem in _describe(branch_error, root)]
    if closest:
        nullable = " (or null)" if "null" in types else ""
        return [problem + nullable for problem in closest]
    return [f"{_location(error.instance_path, root)} must be of type {' or '.join(dict.fromkeys(types))}"]


@dataclass(frozen=True, slots=True)
class ListParameters:
    """The query of a list request, checked."""

    limit: int
    cursor: str | None
    wallet_id: str | None


def idempotency_key(values: Sequence[str], parameter: Parameter) -> str | None:
    """Check the values of the header `parameter` (`Idempotency-Key`) and return the key, or None if none."""
    if not values:
        return None
    if len(values) > 1:
        raise invalid_parameter(f"`{parameter.name}` is given more than once; give it at most once.")
    max_length = parameter.constraints.max_length
    if max_length is not None and len(values[0]) > max_length:
        raise invalid_parameter(f"`{parameter.name}` must be at most {max_length} characters long.")
    return values[0]
