r"""Reading a request body as JSON: the 415 and 400 gates in front of the schema (see `validation`).

- 415 `unsupported_media_type`: not declared as `application/json` (parameters are allowed; a charset,
  if given, must be UTF-8, since RFC 8259 allows nothing else).
- 400 `invalid_json`: empty, not UTF-8, not JSON, a NaN/Infinity constant, a number too large for a
  double, nesting too deep to parse, or a `\u` escape of a lone surrogate (I-JSON, RFC 7493, forbids
  them; Python could not encode them back).

It knows nothing of the spec: what the JSON must hold is `validation`'s business.
"""

from __future__ import annotations

import json
import math
import re

from contract_tests.reference_server.errors import invalid_json, unsupported_media_type

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_UTF8_CHARSETS = frozenset({"utf-8", "utf8"})


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
        document = strict_loads(text)
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


def strict_loads(text: str) -> object:
    """`json.loads`, refusing NaN, Infinity and numbers beyond a double with a `ValueError`."""
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
