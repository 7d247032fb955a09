"""Where spend keys sit in a response body, for checks that look at every spend key an answer carries.

A body is a spend key itself (create, get, update, rotate) or a list page whose `data` holds them. This
module only finds them; it judges nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def spend_key_objects(payload: object) -> Iterator[dict[str, Any]]:
    """The spend-key objects in a decoded response body: the body itself, or a list page's items."""
    if not isinstance(payload, dict):
        return
    if "spend_key_id" in payload:
        yield payload
    data = payload.get("data")
    if isinstance(data, list):
        yield from (item for item in data if isinstance(item, dict))
