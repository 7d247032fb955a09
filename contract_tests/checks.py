"""Schemathesis checks for the promises a JSON Schema cannot state.

The spec's schemas say what shape each response has. They cannot say that `key` appears *only* in the
create and rotate responses (a schema that allows extra fields allows `key` too), nor that `key_preview`
masks the very key beside it. These checks add exactly that, on every response schemathesis sees; they do
not repeat what `response_schema_conformance` already checks.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from contract_tests.spend_key_json import mask_problem, spend_key_objects

# The two operations whose successful responses reveal a raw key, by schemathesis's operation label.
REVEALING_OPERATIONS = frozenset({"POST /manage/spend_keys", "POST /manage/spend_keys/{id}/rotate"})


def _json_body(response: schemathesis.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


@schemathesis.check
def raw_key_only_in_create_and_rotate(
    ctx: schemathesis.CheckContext,  # noqa: ARG001 - the signature schemathesis calls
    response: schemathesis.Response,
    case: schemathesis.Case[Any],
) -> bool | None:
    """The raw `key` is shown by create and rotate, and by no other response."""
    if case.operation.label in REVEALING_OPERATIONS:
        return None
    for spend_key in spend_key_objects(_json_body(response)):
        if "key" in spend_key:
            message = f"{case.operation.label} returned a raw `key`; only create and rotate may show it"
            raise AssertionError(message)
    return None


@schemathesis.check
def key_preview_masks_the_raw_key(
    ctx: schemathesis.CheckContext,  # noqa: ARG001 - the signature schemathesis calls
    response: schemathesis.Response,
    case: schemathesis.Case[Any],
) -> bool | None:
    """In a create or rotate response, `key_preview` is a masked prefix of `key`, never the key itself."""
    if case.operation.label not in REVEALING_OPERATIONS or response.status_code // 100 != 2:
        return None
    payload = _json_body(response)
    if not isinstance(payload, dict):
        return None
    raw_key, preview = payload.get("key"), payload.get("key_preview")
    if not isinstance(raw_key, str) or not isinstance(preview, str):
        return None  # response_schema_conformance reports a missing or mistyped field
    problem = mask_problem(raw_key, preview)
    if problem:
        raise AssertionError(problem)
    return None


# Importing this module registers both checks with schemathesis; their names, for reports.
CUSTOM_CHECKS = (raw_key_only_in_create_and_rotate.__name__, key_preview_masks_the_raw_key.__name__)
