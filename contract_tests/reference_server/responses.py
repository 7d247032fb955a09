"""JSON responses: the one place where the reference server turns a payload into bytes.

Every body the server sends, success or error, goes through `json_response`. So every answer is
`application/json`, carries no NaN or Infinity, and is rendered the same way. The bytes can
therefore be stored and replayed unchanged (see `idempotency`).

This module does not decide what goes into a body. The operations and `errors` do that.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final, TypeAlias

from starlette.responses import Response

JSON_MEDIA_TYPE: Final = "application/json"

JSONObject: TypeAlias = dict[str, object]


def render_json(payload: object) -> bytes:
    """Return `payload` as compact UTF-8 JSON; non-ASCII text stays as is, control characters are escaped."""
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def json_response(status_code: int, payload: object, headers: Mapping[str, str] | None = None) -> Response:
    """Return a response with `payload` rendered as the JSON body."""
    return bytes_response(status_code, render_json(payload), headers)


def bytes_response(status_code: int, body: bytes, headers: Mapping[str, str] | None = None) -> Response:
    """Return a response whose body is JSON already rendered by `render_json`."""
    return Response(body, status_code=status_code, headers=headers, media_type=JSON_MEDIA_TYPE)
