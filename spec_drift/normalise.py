"""Reduce an OpenAPI 3.0/3.1 document to the spend-key operations and what matters about them.

What it does:
- keeps only spend-key operations: paths under `/spend_keys` or `/manage/spend_keys` (after the
  optional `same_prefix` is removed) and operations tagged "Spend Keys";
- resolves every local `$ref` (parameters, request bodies, responses, schemas), stopping at cycles;
- writes nullability one way (`Schema.nullable`), whether the document said 3.0 `nullable: true`,
  3.1 `type: [x, 'null']`, `anyOf`/`oneOf` with a `{type: 'null'}` branch, or `null` in an `enum`;
- merges `allOf` parts into one schema;
- records, for every keyword it keeps, the JSON pointer of the place in the document that said it,
  so that a change can point into the document a person reads.

It also reads what a document says outside its operations that a client depends on: its servers
(`servers`) and the prefixes of the credentials it accepts (`key_prefixes`, our `x-lava-key-prefixes`).

What it does not do: compare descriptions, examples, defaults or other `x-` extensions (they do not
change what a client sends or accepts; a schema keeps its `description` and `default` in `annotations`
for a reader, never for a comparison); follow external `$ref`s (they are an error); judge whether a
difference matters (that is `compare.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SPEND_KEY_PATHS = ("/spend_keys", "/manage/spend_keys")
SPEND_KEY_TAG = "Spend Keys"
CONSTRAINTS = (
    "maxLength",
    "minLength",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "maxItems",
    "minItems",
    "pattern",
    "multipleOf",
    "uniqueItems",
)
_PATH_PARAMETER = re.compile(r"\{[^}]*\}")


class NormaliseError(Exception):
    """The document uses something the differ cannot follow (an external or broken `$ref`)."""


def escape(token: str) -> str:
    """Escape one JSON-pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


@dataclass
class Schema:
    """One schema, with `$ref`, `allOf` and the spellings of nullability resolved.

    `types` is None when any type is allowed; "null" is never in it (see `nullable`). `origins`
    maps each kept keyword ("type", "enum", "maxLength", ...) to the pointer where it was written;
    `property_at` maps each property name to the pointer of its declaration. `annotations` holds the
    `description` and `default` written on the schema or beside its `$ref`, for a reader; nothing
    compares them.
    """

    pointer: str
    types: frozenset[str] | None = None
    nullable: bool = False
    enum: tuple[str, ...] | None = None
    format: str | None = None
    constraints: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Schema] = field(default_factory=dict)
    property_at: dict[str, str] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    items: Schema | None = None
    variants: list[Schema] = field(default_factory=list)
    cycle: str | None = None
    origins: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)


@dataclass
class Parameter:
    """A parameter; path parameters are keyed by position, so renaming `{id}` is no change."""

    name: str
    location: str
    required: bool
    schema: Schema | None
    pointer: str


@dataclass
class RequestBody:
    """A request body: whether it is required and the schema of its JSON media type, if any."""

    required: bool
    schema: Schema | None
    pointer: str


@dataclass
class Response:
    """One response status: the schema of its JSON media type, if any."""

    schema: Schema | None
    pointer: str


@dataclass
class Operation:
    """One operation of the document, keyed elsewhere by (method, normalised path)."""

    method: str
    path: str
    key_path: str
    pointer: str
    operation_id: str | None
    security: frozenset[frozenset[str]]
    parameters: dict[tuple[str, str], Parameter]
    request_body: RequestBody | None
    responses: dict[str, Response]
    # The first tag: the generated client's resource (`client.spend_keys`) is named after it.
    tag: str | None = None

    @property
    def label(self) -> str:
        """The operation as a person names it: "POST /manage/spend_keys"."""
        return f"{self.method} {self.path}"


def spend_key_operations(
    document: dict[str, Any], same_prefix: str | None = None
) -> dict[tuple[str, str], Operation]:
    """Return the spend-key operations of `document`, keyed by (METHOD, normalised path)."""
    resolver = _Resolver(document)
    operations: dict[tuple[str, str], Operation] = {}
    for path, item_node in document.get("paths", {}).items():
        item, item_pointer = resolver.follow(item_node, f"/paths/{escape(path)}")
        if not isinstance(item, dict):
            continue
        stripped = _strip_prefix(path, same_prefix)
        for method in HTTP_METHODS:
            node = item.get(method)
            if not isinstance(node, dict):
                continue
            tags = node.get("tags") or []
            if not (_is_spend_key_path(stripped) or SPEND_KEY_TAG in tags):
                continue
            key_path = _PATH_PARAMETER.sub("{}", stripped)
            operation = resolver.operation(
                method=method,
                path=path,
                key_path=key_path,
                item=item,
                item_pointer=item_pointer,
                node=node,
                pointer=f"{item_pointer}/{method}",
            )
            operations[operation.method, key_path] = operation
    return operations


@dataclass(frozen=True)
class Server:
    """One entry of the document's `servers`: its URL (no trailing slash) and what it says it is."""

    url: str
    description: str
    pointer: str


def servers(document: dict[str, Any]) -> list[Server]:
    """The document's servers, in order (the first is a generated client's default base URL)."""
    found = []
    for index, node in enumerate(document.get("servers") or []):
        if isinstance(node, dict) and isinstance(node.get("url"), str):
            description = " ".join(str(node.get("description", "")).split())
            found.append(Server(node["url"].rstrip("/"), description, f"/servers/{index}"))
    return found


KEY_PREFIXES = "x-lava-key-prefixes"


def key_prefixes(document: dict[str, Any]) -> tuple[dict[str, str], str]:
    """The credential prefixes a security scheme declares (`x-lava-key-prefixes`), and where.

    Our extension: `{live: aks_live_, test: aks_test_}` says which bearer tokens the API accepts and
    which of them are live ones. Empty, with no pointer, when no scheme declares any.
    """
    schemes = document.get("components", {}).get("securitySchemes", {}) or {}
    for name, scheme in schemes.items():
        if isinstance(scheme, dict) and isinstance(scheme.get(KEY_PREFIXES), dict):
            prefixes = {str(kind): str(prefix) for kind, prefix in scheme[KEY_PREFIXES].items()}
            return prefixes, f"/components/securitySchemes/{escape(name)}/{KEY_PREFIXES}"
    return {}, ""


def _strip_prefix(path: str, prefix: str | None) -> str:
    if prefix:
        prefix = "/" + prefix.strip("/")
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
    return path


def _is_spend_key_path(path: str) -> bool:
    return any(path == root or path.startswith(root + "/") for root in SPEND_KEY_PATHS)


class _Resolver:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def lookup(self, ref: str) -> tuple[Any, str]:
        if not ref.startswith("#"):
            raise NormaliseError(
                f"external $ref {ref!r} is not supported; bundle the spec into one file first"
            )
        node: Any = self.document
        pointer = ref[1:]
        for raw in pointer.split("/")[1:]:
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise NormaliseError(f"$ref {ref!r} points at nothing; fix the reference")
        return node, pointer

    def follow(self, node: object, pointer: str) -> tuple[Any, str]:
        """Follow a chain of `$ref`s (not schemas: those go through `schema`)."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise NormaliseError(f"$ref {ref!r} refers to itself; fix the reference")
            seen.add(ref)
            node, pointer = self.lookup(ref)
        return node, pointer

    def operation(  # noqa: PLR0913 - an operation is read from its path item and its own node
        self,
        *,
        method: str,
        path: str,
        key_path: str,
        item: dict[str, Any],
        item_pointer: str,
        node: dict[str, Any],
        pointer: str,
    ) -> Operation:
        parameters: dict[tuple[str, str], Parameter] = {}
        positions = {name[1:-1]: index for index, name in enumerate(_PATH_PARAMETER.findall(path))}
        for owner, owner_pointer in ((item, item_pointer), (node, pointer)):
            for index, raw in enumerate(owner.get("parameters") or []):
                parameter = self.parameter(raw, f"{owner_pointer}/parameters/{index}")
                if parameter is None:
                    continue
                if parameter.location == "path":
                    key = ("path", f"#{positions.get(parameter.name, parameter.name)}")
                elif parameter.location == "header":
                    key = ("header", parameter.name.lower())
                else:
                    key = (parameter.location, parameter.name)
                parameters[key] = parameter
        body = None
        if "requestBody" in node:
            body_node, body_pointer = self.follow(node["requestBody"], f"{pointer}/requestBody")
            body = RequestBody(
                required=bool(body_node.get("required", False)),
                schema=self.media_schema(body_node, body_pointer),
                pointer=f"{pointer}/requestBody",
            )
        responses: dict[str, Response] = {}
        for status, raw in (node.get("responses") or {}).items():
            at = f"{pointer}/responses/{escape(str(status))}"
            response_node, response_pointer = self.follow(raw, at)
            responses[str(status).upper()] = Response(
                schema=self.media_schema(response_node, response_pointer), pointer=at
            )
        security_node = node["security"] if "security" in node else self.document.get("security", [])
        return Operation(
            method=method.upper(),
            path=path,
            key_path=key_path,
            pointer=pointer,
            operation_id=node.get("operationId"),
            security=self.security(security_node or []),
            parameters=parameters,
            request_body=body,
            responses=responses,
            tag=next(iter(node.get("tags") or []), None),
        )

    def parameter(self, raw: object, at: str) -> Parameter | None:
        node, pointer = self.follow(raw, at)
        if not isinstance(node, dict) or "name" not in node or "in" not in node:
            return None
        schema = None
        if "schema" in node:
            schema = self.schema(node["schema"], f"{pointer}/schema")
        elif isinstance(node.get("content"), dict) and node["content"]:
            media, media_node = next(iter(node["content"].items()))
            if isinstance(media_node, dict) and "schema" in media_node:
                schema = self.schema(media_node["schema"], f"{pointer}/content/{escape(media)}/schema")
        return Parameter(
            name=str(node["name"]),
            location=str(node["in"]),
            required=bool(node.get("required", False)) or node["in"] == "path",
            schema=schema,
            pointer=at,
        )

    def media_schema(self, node: dict[str, Any], pointer: str) -> Schema | None:
        content = node.get("content")
        if not isinstance(content, dict):
            return None
        for media, media_node in content.items():
            if media.split(";")[0].strip().endswith("json") and isinstance(media_node, dict):
                if "schema" not in media_node:
                    return None
                return self.schema(media_node["schema"], f"{pointer}/content/{escape(media)}/schema")
        return None

    def security(self, requirements: list[Any]) -> frozenset[frozenset[str]]:
        schemes: dict[str, Any] = self.document.get("components", {}).get("securitySchemes", {})
        alternatives = set()
        for requirement in requirements:
            entries = set()
            for name, scopes in (requirement or {}).items():
                scheme, _ = self.follow(schemes.get(name, {}), "")
                entries.add(_describe_scheme(name, scheme, scopes))
            alternatives.add(frozenset(entries))
        return frozenset(alternatives)

    def schema(self, node: object, pointer: str, stack: tuple[str, ...] = ()) -> Schema:
        if not isinstance(node, dict):
            # `true`/`false` schemas (3.1) and anything malformed allow any value.
            return Schema(pointer=pointer)
        if isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in stack:
                return Schema(pointer=pointer, cycle=ref)
            target, target_pointer = self.lookup(ref)
            base = self.schema(target, target_pointer, (*stack, ref))
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            if not _meaningful(siblings):
                return replace(base, annotations={**base.annotations, **_annotations(siblings)})
            own = self.schema(siblings, pointer, stack)
            return _with_nullability(_merge(own, base), own, siblings, [base])
        own = self.own(node, pointer, stack)
        parts = [
            self.schema(part, f"{pointer}/allOf/{index}", stack)
            for index, part in enumerate(node.get("allOf") or [])
        ]
        parts.extend(
            self.union(node[keyword], f"{pointer}/{keyword}", stack)
            for keyword in ("anyOf", "oneOf")
            if keyword in node
        )
        merged = own
        for part in parts:
            merged = _merge(merged, part)
        return _with_nullability(merged, own, node, parts) if parts else merged

    def union(self, branches: list[Any], pointer: str, stack: tuple[str, ...]) -> Schema:
        schemas = [self.schema(branch, f"{pointer}/{index}", stack) for index, branch in enumerate(branches)]
        rest = [schema for schema in schemas if schema.types != frozenset({"null"})]
        nullable = len(rest) < len(schemas) or any(schema.nullable for schema in rest)
        if len(rest) == 1:
            only = rest[0]
            only.nullable = nullable
            if nullable and "nullable" not in only.origins:
                only.origins["nullable"] = pointer
            return only
        union = Schema(pointer=pointer, nullable=nullable, variants=rest)
        if nullable:
            union.origins["nullable"] = pointer
        return union

    def own(self, node: dict[str, Any], pointer: str, stack: tuple[str, ...]) -> Schema:
        schema = Schema(pointer=pointer, annotations=_annotations(node))
        raw_type = node.get("type")
        if raw_type is not None:
            names = {raw_type} if isinstance(raw_type, str) else {str(name) for name in raw_type}
            if "null" in names and len(names) > 1:
                names.discard("null")
                schema.nullable = True
                schema.origins["nullable"] = pointer
            schema.types = frozenset(names)
            schema.origins["type"] = pointer
        if node.get("nullable") is True:
            schema.nullable = True
            schema.origins["nullable"] = pointer
        self.values(schema, node, pointer)
        self.structure(schema, node, pointer, stack)
        return schema

    @staticmethod
    def values(schema: Schema, node: dict[str, Any], pointer: str) -> None:
        """Read what limits a value: enum, format and constraints."""
        if isinstance(node.get("enum"), list):
            values = node["enum"]
            if None in values:
                schema.nullable = True
                schema.origins["nullable"] = pointer
            schema.enum = tuple(sorted(_enum_value(value) for value in values if value is not None))
            schema.origins["enum"] = pointer
        if isinstance(node.get("format"), str):
            schema.format = node["format"]
            schema.origins["format"] = pointer
        for keyword in CONSTRAINTS:
            if keyword in node:
                schema.constraints[keyword] = node[keyword]
                schema.origins[keyword] = pointer
        # 3.0 writes an exclusive bound as a boolean beside the bound; 3.1 as the bound itself.
        for bound, exclusive in (("maximum", "exclusiveMaximum"), ("minimum", "exclusiveMinimum")):
            flag = schema.constraints.get(exclusive)
            if isinstance(flag, bool) and schema.constraints.pop(exclusive) and bound in schema.constraints:
                schema.constraints[exclusive] = schema.constraints.pop(bound)
                schema.origins[exclusive] = pointer

    def structure(self, schema: Schema, node: dict[str, Any], pointer: str, stack: tuple[str, ...]) -> None:
        """Read what an object or array holds: properties, required names and items."""
        if isinstance(node.get("required"), list):
            schema.required = frozenset(str(name) for name in node["required"])
        for name, child in (node.get("properties") or {}).items():
            at = f"{pointer}/properties/{escape(name)}"
            schema.properties[name] = self.schema(child, at, stack)
            schema.property_at[name] = at
        if "items" in node:
            schema.items = self.schema(node["items"], f"{pointer}/items", stack)


_ANNOTATIONS = frozenset({"description", "summary", "title", "example", "examples", "default", "deprecated"})


def _annotations(node: dict[str, Any]) -> dict[str, Any]:
    return {key: node[key] for key in ("description", "default") if key in node}


def _meaningful(node: dict[str, Any]) -> bool:
    return any(key not in _ANNOTATIONS and not key.startswith("x-") for key in node)


def _enum_value(value: object) -> str:
    return value if isinstance(value, str) else repr(value)


def _describe_scheme(name: str, scheme: object, scopes: object) -> str:
    if not isinstance(scheme, dict) or "type" not in scheme:
        described = f"undeclared scheme `{name}`"
    elif scheme["type"] == "http":
        described = f"http {str(scheme.get('scheme', '')).lower()}"
    elif scheme["type"] == "apiKey":
        described = f"apiKey {scheme.get('in')} {scheme.get('name')}"
    else:
        described = str(scheme["type"])
    if isinstance(scopes, list) and scopes:
        described += f" (scopes: {', '.join(sorted(str(scope) for scope in scopes))})"
    return described


def _merge(first: Schema, second: Schema) -> Schema:
    """Merge two `allOf` parts: both must hold, so types intersect and requirements add up."""
    merged = Schema(pointer=first.pointer)
    if first.types is None:
        merged.types = second.types
    elif second.types is None:
        merged.types = first.types
    else:
        merged.types = first.types & second.types
    merged.enum = first.enum if first.enum is not None else second.enum
    merged.format = first.format or second.format
    merged.constraints = {**second.constraints, **first.constraints}
    merged.required = first.required | second.required
    merged.properties = dict(second.properties)
    merged.property_at = dict(second.property_at)
    for name, child in first.properties.items():
        merged.properties[name] = (
            _merge(child, second.properties[name]) if name in second.properties else child
        )
        merged.property_at.setdefault(name, first.property_at[name])
    merged.items = first.items or second.items
    merged.variants = first.variants or second.variants
    merged.cycle = first.cycle or second.cycle
    merged.origins = {**second.origins, **first.origins}
    merged.annotations = {**second.annotations, **first.annotations}
    merged.nullable = first.nullable and second.nullable
    if merged.nullable:
        merged.origins.setdefault("nullable", first.pointer)
    else:
        merged.origins.pop("nullable", None)
    if first.types is None and second.types is not None:
        merged.pointer = second.pointer
    return merged


def _with_nullability(merged: Schema, own: Schema, node: dict[str, Any], parts: list[Schema]) -> Schema:
    """Set nullability after a merge: a node's own `type` or `nullable` wins, else its parts decide."""
    if "type" in node or "nullable" in node:
        merged.nullable = own.nullable
        source = own.origins.get("nullable")
    else:
        merged.nullable = own.nullable or (bool(parts) and all(part.nullable for part in parts))
        source = own.origins.get("nullable") or next(
            (part.origins["nullable"] for part in parts if "nullable" in part.origins), None
        )
    if merged.nullable and source:
        merged.origins["nullable"] = source
    elif not merged.nullable:
        merged.origins.pop("nullable", None)
    return merged
