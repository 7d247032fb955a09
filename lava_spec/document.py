"""Reading the spec: operations, parameters, schemas, constraints and validators, from one YAML load.

Everything here is derived from the document; nothing restates it. The only names this module knows are
the spend-key vocabulary (`SPEND_KEY_SCHEMAS`) and the `x-lava-secret` extension that marks a field shown
once, both of which the spec itself declares.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeAlias
from urllib.parse import quote, urlsplit

import jsonschema_rs
import yaml

from lava_spec.constraints import Constraints, join, meet, own_constraints
from lava_spec.versions import DEFAULT_API_VERSION, SPEC_PATHS, selected_api_version, spec_path

if TYPE_CHECKING:
    from lava_spec.router import Router

# The seed's spec (v0). `load_spec()` reads the spec of the version `LAVA_API_VERSION` names instead.
SPEC_PATH: Final = SPEC_PATHS[DEFAULT_API_VERSION]
# The schemas of a spend key in an answer: as every operation shows it, and as create and rotate show it.
SPEND_KEY_SCHEMAS: Final = ("SpendKey", "SpendKeyWithSecret")
# A property marked with this extension is shown once (the raw key) and must never appear elsewhere.
SECRET_EXTENSION: Final = "x-lava-secret"  # noqa: S105 - the name of an extension, not a secret
# On a security scheme: the prefixes a credential of this API starts with, by kind ("live", "test").
KEY_PREFIXES_EXTENSION: Final = "x-lava-key-prefixes"
ENVIRONMENT_EXTENSION: Final = "x-lava-environment"
# On the schema of a limit's cycle: the period of each of its values (`daily: day`), `never` for the one
# whose figures never start again (`total`). Which period a word means is the reader's to know.
CYCLE_PERIODS_EXTENSION: Final = "x-lava-cycle-periods"
# On a spend key's current-cycle figure: where in the key the cycle it counts in is (`spend_limit.cycle`).
FIGURE_CYCLE_EXTENSION: Final = "x-lava-cycle"
# A current-cycle figure, and the total the spend key shows beside it (`Spec.usage_totals`).
_CURRENT: Final = "current_"
_TOTAL: Final = "total_"
_HTTP_METHODS: Final = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_REF_PREFIX: Final = "#/"
_COMBINATORS: Final = ("allOf", "anyOf", "oneOf")

# A JSON Schema (or any node of the document) as YAML loads it.
Schema: TypeAlias = Mapping[str, Any]


class SpecError(Exception):
    """The spec cannot be read or lacks what the code needs; the message names the file and the part."""


@dataclass(frozen=True, slots=True)
class Parameter:
    """A parameter of an operation: where it goes, whether it is required, and what it allows."""

    name: str
    location: str
    required: bool
    schema: Schema = field(repr=False)
    constraints: Constraints = field(repr=False)


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the spec, by its `operationId`."""

    operation_id: str
    method: str
    # The path template as the spec writes it, relative to the server URL: "/manage/spend_keys/{id}".
    path: str
    parameters: tuple[Parameter, ...] = field(repr=False)
    # The JSON request body's schema (as written, `$ref`s unresolved), or None when there is no body.
    request_schema: Schema | None = field(repr=False)
    # Every documented status -> the JSON schema of its body, or None when it documents no JSON body.
    responses: Mapping[int, Schema | None] = field(repr=False)

    @property
    def label(self) -> str:
        """`METHOD /path`, as schemathesis and the reports name an operation."""
        return f"{self.method} {self.path}"

    @property
    def success_status(self) -> int:
        """The 2xx status the spec documents for success."""
        return min(status for status in self.responses if 200 <= status < 300)

    @property
    def path_parameters(self) -> tuple[str, ...]:
        """The names of the path's parameters, in order."""
        return tuple(segment[1:-1] for segment in self.path.split("/") if segment.startswith("{"))

    def parameter(self, name: str, location: str | None = None) -> Parameter:
        """The parameter `name` (in `location`, if given); KeyError names the ones there are."""
        for parameter in self.parameters:
            # Header names are case-insensitive (RFC 9110, 5.1); query and path names are not.
            same = (
                parameter.name.lower() == name.lower()
                if parameter.location == "header"
                else parameter.name == name
            )
            if same and location in (None, parameter.location):
                return parameter
        names = ", ".join(parameter.name for parameter in self.parameters) or "none"
        raise KeyError(f"{self.operation_id} has no parameter {name!r}; it has: {names}")

    def path_for(self, **values: str) -> str:
        """The path with each parameter filled in and percent-encoded (a `/` stays inside its value)."""
        missing = set(self.path_parameters) - set(values)
        if missing:
            raise KeyError(f"{self.operation_id} needs {', '.join(sorted(missing))} to build its path")
        return "/".join(
            quote(values[segment[1:-1]], safe="") if segment.startswith("{") else segment
            for segment in self.path.split("/")
        )


class Spec:
    """The spec as the code asks about it. Build it with `load_spec`."""

    def __init__(self, document: Mapping[str, Any], path: Path) -> None:
        """Read `document` (the YAML of the file at `path`); SpecError if it lacks a part the code needs."""
        self.path = path
        self._document = document
        try:
            self.server_url: str = document["servers"][0]["url"]
            paths: Mapping[str, Any] = document["paths"]
            self._components: Mapping[str, Any] = document.get("components") or {}
        except (KeyError, IndexError, TypeError):
            raise SpecError(
                f"{path}: the spec needs `paths` and at least one entry in `servers` with a `url`"
            ) from None
        # The server URL's path ("/v1"): every path of the spec is under it.
        self.base_path = urlsplit(self.server_url).path.rstrip("/")
        operations: dict[str, Operation] = {}
        if not isinstance(paths, Mapping):
            raise SpecError(f"{path}: `paths` must map each path to its operations")
        for template, path_item in paths.items():
            if not isinstance(path_item, Mapping):
                raise SpecError(f"{path}: the path {template} must map methods to operations")
            for method in _HTTP_METHODS:
                if method in path_item:
                    try:
                        operation = self._operation(template, method, path_item)
                    except (KeyError, TypeError, AttributeError, ValueError) as error:
                        raise SpecError(
                            f"{path}: {method.upper()} {template} cannot be read ({type(error).__name__}: "
                            f"{error}); check it against the OpenAPI 3.1 schema (make validate-spec)"
                        ) from None
                    operations[operation.operation_id] = operation
        self.operations: Mapping[str, Operation] = MappingProxyType(operations)
        self._validators: dict[tuple[str, int], jsonschema_rs.Validator] = {}
        self._routers: dict[str, Router] = {}

    def __repr__(self) -> str:
        return f"Spec({self.path.name}, {len(self.operations)} operations)"

    @property
    def version(self) -> str:
        """The spec's `info.version`."""
        return str(self._document["info"]["version"])

    @property
    def key_prefixes(self) -> Mapping[str, str]:
        """The credential's prefixes by kind (`x-lava-key-prefixes` of the bearer scheme), e.g. `live`.

        Empty when the spec states none (v0, which accepts any bearer token it knows); otherwise a token
        without one of these prefixes is no credential of this API, and the `live` one is production's.
        """
        return self._word_maps("securitySchemes", KEY_PREFIXES_EXTENSION, "each kind to a non-empty prefix")

    def server_urls(self, environment: str) -> tuple[str, ...]:
        """The URLs of the spec's servers marked `x-lava-environment: <environment>` (e.g. `production`).

        Empty when no server carries that mark (v0 marks none).
        """
        servers = self._document.get("servers") or ()
        return tuple(
            str(server["url"])
            for server in servers
            if isinstance(server, Mapping) and server.get(ENVIRONMENT_EXTENSION) == environment
        )

    # Operations and routes ---------------------------------------------------------------------------

    def operation(self, operation_id: str) -> Operation:
        """The operation `operation_id`; KeyError names the ones there are."""
        try:
            return self.operations[operation_id]
        except KeyError:
            raise KeyError(
                f"the spec has no operation {operation_id!r}; it has: {', '.join(sorted(self.operations))}"
            ) from None

    def router(self, prefix: str | None = None) -> Router:
        """The router for paths under `prefix`: the server URL's path (`base_path`) unless given.

        The reference server routes full paths ("/v1/manage/spend_keys"); a client routes paths relative to
        its base URL (`prefix=""`).
        """
        from lava_spec.router import Router  # noqa: PLC0415 - the router imports this module

        prefix = self.base_path if prefix is None else prefix.rstrip("/")
        router = self._routers.get(prefix)
        if router is None:
            router = self._routers[prefix] = Router(self.operations.values(), prefix=prefix)
        return router

    # Schemas and constraints -------------------------------------------------------------------------

    def schema(self, name: str) -> Schema:
        """The component schema `name`, as written."""
        try:
            schema: Schema = self._components["schemas"][name]
        except KeyError:
            raise KeyError(f"the spec has no schema {name!r}") from None
        return schema

    def resolve(self, node: Schema) -> Schema:
        """`node` with its `$ref` followed (to the end of a chain of them)."""
        seen: set[str] = set()
        while isinstance(node.get("$ref"), str):
            reference: str = node["$ref"]
            if reference in seen or not reference.startswith(_REF_PREFIX):
                raise SpecError(f"{self.path}: cannot follow $ref {reference!r}")
            seen.add(reference)
            target: Any = self._document
            try:
                for part in reference.removeprefix(_REF_PREFIX).split("/"):
                    target = target[part.replace("~1", "/").replace("~0", "~")]
            except (KeyError, TypeError):
                raise SpecError(f"{self.path}: $ref {reference!r} points nowhere") from None
            node = target
        return node

    def properties(self, schema: Schema | str) -> Mapping[str, Schema]:
        """Every property a schema declares, through `$ref`s and `allOf`/`anyOf`/`oneOf`."""
        found: dict[str, Schema] = {}
        for part in self._parts(self.schema(schema) if isinstance(schema, str) else schema):
            for name, node in part.get("properties", {}).items():
                found.setdefault(name, node)
        return MappingProxyType(found)

    def required(self, schema: Schema | str) -> frozenset[str]:
        """The properties a schema requires (through `$ref` and `allOf`)."""
        names: set[str] = set()
        for part in self._parts(self.schema(schema) if isinstance(schema, str) else schema, all_of_only=True):
            names.update(part.get("required", ()))
        return frozenset(names)

    def constraints(self, schema: Schema | str, property_name: str | None = None) -> Constraints:
        """What a schema (or one of its properties) allows; see `Constraints`.

        Keywords beside a `$ref` count with its target's (OpenAPI 3.1), and `allOf` parts all apply, so
        the tightest bound wins; the non-null branches of `anyOf`/`oneOf` are alternatives, so the
        loosest wins there, and a `null` branch makes the value nullable.
        """
        node = self.schema(schema) if isinstance(schema, str) else schema
        if property_name is not None:
            try:
                node = self.properties(node)[property_name]
            except KeyError:
                raise KeyError(f"the schema declares no property {property_name!r}") from None
        gathered = self._gather(node, frozenset())
        enum = gathered.pop("enum", None)
        types = gathered.pop("types", ())
        nullable = bool(gathered.pop("nullable", False))
        gathered.pop("null_only", None)
        return Constraints(
            types=tuple(types), nullable=nullable, enum=None if enum is None else tuple(enum), **gathered
        )

    def _gather(self, node: Schema, seen: frozenset[str]) -> dict[str, Any]:
        """The constraints of one schema node as a dict of `Constraints` fields (see `constraints`)."""
        own = {keyword: value for keyword, value in node.items() if keyword != "$ref"}
        parts = [own_constraints(own)]
        reference = node.get("$ref")
        if isinstance(reference, str):
            if reference in seen:
                raise SpecError(f"{self.path}: $ref {reference!r} refers to itself")
            parts.append(self._gather(self.resolve({"$ref": reference}), seen | {reference}))
        parts.extend(self._gather(part, seen) for part in own.get("allOf", ()))
        branches = [*own.get("anyOf", ()), *own.get("oneOf", ())]
        gathered = meet(parts)
        if branches:
            options = [self._gather(branch, seen) for branch in branches]
            non_null = [option for option in options if not option.get("null_only")]
            if non_null:
                gathered = meet([gathered, join(non_null)])
            if len(non_null) < len(options):
                gathered["nullable"] = True
        return gathered

    def enum(self, schema: Schema | str, property_name: str | None = None) -> tuple[object, ...]:
        """The values an enum allows; KeyError when the schema is no enum."""
        options = self.constraints(schema, property_name).enum
        if options is None:
            raise KeyError(f"{schema if isinstance(schema, str) else 'the schema'} is not an enum")
        return options

    def components_copy(self) -> dict[str, Any]:
        """A deep copy of `components`, for a caller that rewrites schemas (a seeded fault) first."""
        return copy.deepcopy(dict(self._components))

    def validator(
        self, schema: Schema | str, *, components: Mapping[str, Any] | None = None
    ) -> jsonschema_rs.Validator:
        """A JSON Schema 2020-12 validator (formats on) for `schema`, whose `$ref`s resolve in `components`.

        `components` defaults to the spec's own; a seeded fault passes a loosened copy.
        """
        node = {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else dict(schema)
        root = {**node, "components": self._components if components is None else components}
        return jsonschema_rs.Draft202012Validator(root, validate_formats=True)

    def response_validator(self, operation_id: str, status: int) -> jsonschema_rs.Validator | None:
        """The validator of the JSON body the spec documents for this answer, or None if it documents none."""
        schema = self.operation(operation_id).responses.get(status)
        if schema is None:
            return None
        key = (operation_id, status)
        if key not in self._validators:
            self._validators[key] = self.validator(schema)
        return self._validators[key]

    def response_problems(self, operation_id: str, status: int, body: object, limit: int = 5) -> list[str]:
        """What is wrong with `body` as the answer `status` of `operation_id` (empty: nothing, no schema)."""
        validator = self.response_validator(operation_id, status)
        if validator is None:
            return []
        return [f"{error.instance_path or '/'}: {error.message}" for error in validator.iter_errors(body)][
            :limit
        ]

    # The spend key -----------------------------------------------------------------------------------

    @functools.cached_property
    def spend_key_fields(self) -> frozenset[str]:
        """Every property the spec declares for a spend key in an answer, the secret ones included."""
        return frozenset(name for schema in SPEND_KEY_SCHEMAS for name in self.properties(schema))

    @functools.cached_property
    def usage_totals(self) -> Mapping[str, str]:
        """Each current-cycle figure whose total the spend key shows too: `current_spend` -> `total_spend`.

        Empty where the spec's SpendKey shows no totals (v0). The pair is the docs' naming: `current_<x>`
        beside `total_<x>`.
        """
        fields = self.spend_key_fields
        return MappingProxyType(
            {
                name: total
                for name in sorted(fields)
                if name.startswith(_CURRENT) and (total := _TOTAL + name.removeprefix(_CURRENT)) in fields
            }
        )

    @functools.cached_property
    def nullable_spend_key_fields(self) -> frozenset[str]:
        """The spend-key properties whose schema allows `null` (e.g. v2's limits, `null` for none)."""
        return frozenset(
            name
            for schema in SPEND_KEY_SCHEMAS
            for name in self.properties(schema)
            if self.constraints(schema, name).nullable
        )

    @functools.cached_property
    def secret_fields(self) -> frozenset[str]:
        """The spend-key properties marked `x-lava-secret`: shown once, by the operations that reveal them."""
        return frozenset(
            name
            for schema in SPEND_KEY_SCHEMAS
            for name, node in self.properties(schema).items()
            if node.get(SECRET_EXTENSION) is True
        )

    @functools.cached_property
    def cycle_periods(self) -> Mapping[str, str]:
        """The period of each cycle value (`x-lava-cycle-periods`: `daily` -> `day`, `total` -> `never`).

        Empty when no schema states them; a value the mapping leaves out has no period the spec states.
        """
        return self._word_maps("schemas", CYCLE_PERIODS_EXTENSION, "each value to a word")

    def _word_maps(self, section: str, extension: str, shape: str) -> Mapping[str, str]:
        """The union of `extension`'s maps (string -> non-empty string) on the components of `section`."""
        declared: dict[str, str] = {}
        for name, component in (self._components.get(section) or {}).items():
            found = component.get(extension) if isinstance(component, Mapping) else None
            if found is None:
                continue
            if not isinstance(found, Mapping) or not all(
                isinstance(key, str) and isinstance(value, str) and value for key, value in found.items()
            ):
                raise SpecError(f"{self.path}: `{extension}` of {name} must map {shape}")
            declared.update(found)
        return MappingProxyType(declared)

    @functools.cached_property
    def figure_cycles(self) -> Mapping[str, tuple[str, ...]]:
        """Each spend-key figure that counts a cycle, with the path in the key of that cycle (`x-lava-cycle`).

        `{"current_spend": ("spend_limit", "cycle")}`: it starts again when the cycle found there ends.
        """
        declared: dict[str, tuple[str, ...]] = {}
        for schema in SPEND_KEY_SCHEMAS:
            for name, node in self.properties(schema).items():
                where = node.get(FIGURE_CYCLE_EXTENSION)
                if where is None:
                    continue
                if not isinstance(where, str) or not all(where.split(".")):
                    raise SpecError(
                        f"{self.path}: `{FIGURE_CYCLE_EXTENSION}` of {schema}.{name} must be a dotted path "
                        "in the spend key, e.g. spend_limit.cycle"
                    )
                declared[name] = tuple(where.split("."))
        return MappingProxyType(declared)

    @functools.cached_property
    def revealing_operations(self) -> frozenset[str]:
        """The operationIds whose success answer carries a secret field (create and rotate)."""
        return frozenset(
            operation.operation_id
            for operation in self.operations.values()
            if (schema := operation.responses.get(operation.success_status)) is not None
            and self.secret_fields & set(self.properties(schema))
        )

    # Reading -----------------------------------------------------------------------------------------

    def _operation(self, template: str, method: str, path_item: Mapping[str, Any]) -> Operation:
        node: Mapping[str, Any] = path_item[method]
        operation_id = node.get("operationId")
        if not isinstance(operation_id, str):
            raise SpecError(f"{self.path}: {method.upper()} {template} has no operationId")
        parameters: dict[tuple[str, str], Parameter] = {}
        # Path-level parameters first, then the operation's, which override them (OpenAPI 3.1, 4.8.9.1).
        for written in [*path_item.get("parameters", ()), *node.get("parameters", ())]:
            parameter = self.resolve(written)
            schema = parameter.get("schema", {})
            parameters[parameter["name"], parameter["in"]] = Parameter(
                name=parameter["name"],
                location=parameter["in"],
                required=bool(parameter.get("required", False)),
                schema=schema,
                constraints=self.constraints(schema),
            )
        body = self.resolve(node["requestBody"]) if "requestBody" in node else None
        request_schema = None if body is None else _json_schema(body)
        responses: dict[int, Schema | None] = {}
        for status, written in node.get("responses", {}).items():
            if str(status).isdigit():
                response = self.resolve(written)
                responses[int(status)] = _json_schema(response)
        if not any(200 <= status < 300 for status in responses):
            raise ValueError("it documents no 2xx status (a numeric one, such as 200 or 201)")
        return Operation(
            operation_id=operation_id,
            method=method.upper(),
            path=template,
            parameters=tuple(parameters.values()),
            request_schema=request_schema,
            responses=MappingProxyType(responses),
        )

    def _parts(
        self,
        node: Schema,
        *,
        all_of_only: bool = False,
    ) -> Iterator[Schema]:
        """`node` and every schema it combines, each resolved, breadth first."""
        pending = [self.resolve(node)]
        seen: set[int] = set()
        while pending:
            part = pending.pop(0)
            if id(part) in seen:
                continue
            seen.add(id(part))
            yield part
            for keyword in ("allOf",) if all_of_only else _COMBINATORS:
                branches = [self.resolve(branch) for branch in part.get(keyword, ())]
                pending.extend(branches)


def _json_schema(node: Mapping[str, Any]) -> Schema | None:
    schema = node.get("content", {}).get("application/json", {}).get("schema")
    return None if schema is None else schema


def load_spec(path: Path | str | None = None) -> Spec:
    """The spec at `path` (default: that of the version `LAVA_API_VERSION` names), read once until it changes.

    With no path, the version is v0 (`SPEC_PATH`) when the variable is not set.

    Raises:
        SpecError: the file cannot be read, is not YAML, or lacks `servers`, `paths` or an operationId.
        UnknownApiVersionError: no path was given and `LAVA_API_VERSION` names no known version.
    """
    resolved = Path(path or spec_path(selected_api_version())).resolve()
    try:
        content = resolved.read_bytes()
    except OSError as error:
        raise SpecError(f"cannot read the spec at {resolved}: {error.strerror}") from None
    # Keyed by the bytes themselves (a few dozen kilobytes): an edit is seen whatever the clock says.
    return _load(resolved, content)


@functools.lru_cache(maxsize=16)
def _load(path: Path, content: bytes) -> Spec:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        document = yaml.load(content.decode("utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    except UnicodeDecodeError as error:
        raise SpecError(f"cannot read the spec at {path}: {error}") from None
    except yaml.YAMLError as error:
        raise SpecError(f"the spec at {path} is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise SpecError(f"the spec at {path} is not an OpenAPI document (its top level is no mapping)")
    return Spec(document, path)
