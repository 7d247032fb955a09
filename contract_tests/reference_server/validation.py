r"""Request checks: the spec's own schemas for bodies, and the spec's parameter rules.

Bodies are checked against the spec itself. `openapi/lava.yaml` is loaded and each request
schema (`SpendKeyCreate`, `SpendKeyUpdate`) is compiled once with jsonschema-rs (JSON Schema
2020-12, formats on). So the server cannot drift from the document it is the reference for. A
body passes through three gates, and each has its own status (an empty body is a 400 whatever
its Content-Type, since there is nothing to declare):

- 415 `unsupported_media_type`: not declared as `application/json` (parameters are allowed; a
  charset, if given, must be UTF-8, since RFC 8259 allows nothing else).
- 400 `invalid_json`: empty, not UTF-8, not JSON, a NaN/Infinity constant, a number too large
  for a double, nesting too deep to parse, or a `\u` escape of a lone surrogate (I-JSON, RFC 7493,
  forbids them; Python could not encode them back).
- 422 `validation_error`: well-formed JSON that breaks the schema. The message names each field
  and the constraint it breaks, and never the value sent.

This module does not act on a request. It returns a checked value or raises an `ApiError`.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Required, TypeAlias, TypedDict, cast

import jsonschema_rs
import yaml

from contract_tests.reference_server.errors import (
    invalid_json,
    invalid_parameter,
    unsupported_media_type,
    validation_error,
)

DEFAULT_SPEC_PATH: Final = Path(__file__).resolve().parents[2] / "openapi" / "lava.yaml"

LIST_LIMIT_DEFAULT: Final = 10
LIST_LIMIT_MAX: Final = 100
IDEMPOTENCY_KEY_MAX_LENGTH: Final = 255
# A 422 names this many problems at most; the rest would bury the first ones.
MAX_REPORTED_PROBLEMS: Final = 5

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_INTEGER = re.compile(r"-?[0-9]+")
_UTF8_CHARSETS = frozenset({"utf-8", "utf8"})

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
class RequestSchemas:
    """The compiled request-body schemas of the spec."""

    create: jsonschema_rs.Validator
    update: jsonschema_rs.Validator

    def check_create(self, content_type: str | None, body: bytes) -> SpendKeyCreateBody:
        """Return the create body, checked, or raise a 400, 415 or 422."""
        document = read_json_body(content_type, body)
        check_schema(self.create, document)
        # The schema admitted it, so it has the shape that the TypedDict describes.
        return cast("SpendKeyCreateBody", document)

    def check_update(self, content_type: str | None, body: bytes) -> SpendKeyUpdateBody:
        """Return the update body, checked, or raise a 400, 415 or 422."""
        document = read_json_body(content_type, body)
        check_schema(self.update, document)
        return cast("SpendKeyUpdateBody", document)


def load_request_schemas(
    spec_path: Path = DEFAULT_SPEC_PATH, *, transform: Callable[[Components], Components] | None = None
) -> RequestSchemas:
    """Compile the request schemas of the spec at `spec_path`.

    `transform`, when given, rewrites the freshly loaded `components` before they are compiled. It
    is the seam through which a seeded validation fault (`faults`) loosens a constraint; the
    conforming server passes none.
    """
    resolved = spec_path.resolve()
    stat = resolved.stat()
    # Keyed by modification time and size as well, so an edited spec is read again.
    return _compile(resolved, stat.st_mtime_ns, stat.st_size, transform)


@functools.lru_cache(maxsize=64)
def _compile(
    spec_path: Path, _mtime_ns: int, _size: int, transform: Callable[[Components], Components] | None
) -> RequestSchemas:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = yaml.load(spec_path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    components: Components = spec["components"]
    if transform is not None:
        components = transform(components)

    def compile_schema(name: str) -> jsonschema_rs.Validator:
        # The root carries the spec's components, so that every `#/components/...` ref resolves.
        root = {"$ref": f"#/components/schemas/{name}", "components": components}
        return jsonschema_rs.Draft202012Validator(root, validate_formats=True)

    return RequestSchemas(create=compile_schema("SpendKeyCreate"), update=compile_schema("SpendKeyUpdate"))


def read_json_body(content_type: str | None, body: bytes) -> object:
    """Return the JSON value of a request body, or raise a 400 or 415."""
    if not body:
        raise invalid_json("The request body is empty: send a JSON object as application/json.")
    _check_media_type(content_type)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_json("The request body is not valid UTF-8.") from None
    try:
        document = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        message = (
            f"The request body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        )
        raise invalid_json(message) from None
    except RecursionError:
        raise invalid_json("The request body is nested too deeply to parse.") from None
    except _UnreadableNumberError as error:
        raise invalid_json(f"The request body is not valid JSON for this API: {error}.") from None
    except ValueError:
        # json.loads raises a bare ValueError only for an integer literal over Python's 4300-digit limit.
        raise invalid_json("The request body holds an integer with too many digits.") from None
    if _has_lone_surrogate(document):
        raise invalid_json(
            "The request body holds a `\\u` escape of a lone surrogate, which is not a character."
        )
    return document


def _check_media_type(content_type: str | None) -> None:
    if content_type is None:
        raise unsupported_media_type("The request body has no Content-Type: send it as application/json.")
    media_type, *parameters = content_type.split(";")
    if media_type.strip().lower() != "application/json":
        raise unsupported_media_type("The request body must be sent as Content-Type: application/json.")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in _UTF8_CHARSETS:
            raise unsupported_media_type(
                "A JSON body must be UTF-8 (RFC 8259); no other charset is accepted."
            )


class _UnreadableNumberError(ValueError):
    """A number refused: NaN or Infinity (not JSON at all), or one beyond a double (RFC 8259 s6)."""


def _reject_constant(name: str) -> object:
    # Python's json module reads these JavaScript constants by default; JSON has no such numbers.
    raise _UnreadableNumberError(f"{name} is not a JSON number")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise _UnreadableNumberError("a number is too large for a double")
    return value


def _has_lone_surrogate(document: object) -> bool:
    # A loop rather than recursion: the body may be nested as deeply as the parser allows.
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def check_schema(validator: jsonschema_rs.Validator, document: object) -> None:
    """Raise a 422 that names every broken constraint (up to a few) if `document` breaks the schema."""
    problems = [problem for error in validator.iter_errors(document) for problem in _describe(error)]
    if problems:
        unique = list(dict.fromkeys(problems))
        shown = "; ".join(unique[:MAX_REPORTED_PROBLEMS])
        more = len(unique) - MAX_REPORTED_PROBLEMS
        suffix = f"; and {more} more" if more > 0 else ""
        raise validation_error(f"The request body breaks the schema: {shown}{suffix}.")


def _location(path: Sequence[str | int]) -> str:
    if not path:
        return "the body"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return f"`{text}`"


def _describe(error: jsonschema_rs.ValidationError) -> list[str]:  # noqa: C901, PLR0911 - one case per keyword
    """Say which field breaks which constraint, without repeating the value that was sent."""
    where = _location(error.instance_path)
    kind = error.kind
    match kind:
        case jsonschema_rs.ValidationErrorKind.Required(property=name):
            return [f"{_location([*error.instance_path, name])} is required"]
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
            return _describe_any_of(error, branches)
        case _:
            return [f"{where} breaks the schema's `{kind.name}` constraint"]


def _describe_any_of(
    error: jsonschema_rs.ValidationError, branches: Iterable[list[jsonschema_rs.ValidationError]]
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
            closest = [problem for branch_error in errors for problem in _describe(branch_error)]
    if closest:
        nullable = " (or null)" if "null" in types else ""
        return [problem + nullable for problem in closest]
    return [f"{_location(error.instance_path)} must be of type {' or '.join(dict.fromkeys(types))}"]


@dataclass(frozen=True, slots=True)
class ListParameters:
    """The query of a list request, checked."""

    limit: int
    cursor: str | None
    wallet_id: str | None


def list_parameters(query: Mapping[str, Sequence[str]]) -> ListParameters:
    """Check the list query (parameter name -> every value given), or raise a 400."""
    for name in ("limit", "cursor", "wallet_id"):
        if len(query.get(name, ())) > 1:
            raise invalid_parameter(f"`{name}` is given more than once; give it at most once.")
    limit = LIST_LIMIT_DEFAULT
    if "limit" in query:
        raw = query["limit"][0]
        # Only plain decimal digits: Python's int() would also take "1_0", " 10" and other scripts' digits.
        if _INTEGER.fullmatch(raw) is None:
            raise invalid_parameter(f"`limit` must be an integer from 1 to {LIST_LIMIT_MAX}.")
        # More than three significant digits is out of range anyway, and Python's digit limit never applies.
        limit = int(raw) if len(raw.lstrip("-0")) <= len(str(LIST_LIMIT_MAX)) else 0
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise invalid_parameter(f"`limit` must be from 1 to {LIST_LIMIT_MAX}.")
    cursor = query["cursor"][0] if "cursor" in query else None
    wallet_id = query["wallet_id"][0] if "wallet_id" in query else None
    return ListParameters(limit=limit, cursor=cursor, wallet_id=wallet_id)


def idempotency_key(values: Sequence[str]) -> str | None:
    """Check the values of the `Idempotency-Key` header and return the key, or None if there is none."""
    if not values:
        return None
    if len(values) > 1:
        raise invalid_parameter("`Idempotency-Key` is given more than once; give it at most once.")
    if len(values[0]) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise invalid_parameter(
            f"`Idempotency-Key` must be at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters long."
        )
    return values[0]
