"""Schemathesis checks for the promises a JSON Schema cannot state.

The spec's schemas say what shape each response has. They cannot say that a secret field (`x-lava-secret`:
the raw `key`) appears *only* in the success responses of the operations that reveal it, create and rotate
(a schema that allows extra fields allows `key` too), nor that `key_preview` masks the very key beside it.
These checks add exactly that, on every response schemathesis sees; they do not repeat what
`response_schema_conformance` already checks. Which fields are secret and which operations reveal them
comes from the spec (`bounds.Bounds`).
"""

from __future__ import annotations

from typing import Any

import schemathesis

from contract_tests.bounds import bounds
from contract_tests.spend_key_json import mask_problem, spend_key_objects


def _reveals(case: schemathesis.Case[Any]) -> bool:
    """Whether the case's operation is one whose success answer shows the secret fields."""
    return case.operation.label in bounds().revealing_labels


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
    """The raw `key` is shown by the success answers of create and rotate, and by no other response."""
    if _reveals(case) and response.status_code // 100 == 2:
        return None
    secret_fields = bounds().secret_fields
    for spend_key in spend_key_objects(_json_body(response)):
        shown = sorted(secret_fields & spend_key.keys())
        if shown:
            message = (
                f"{case.operation.label} answered {response.status_code} with `{'`, `'.join(shown)}`; only "
                "the success answers of create and rotate may show it"
            )
            raise AssertionError(message)
    return None


@schemathesis.check
def key_preview_masks_the_raw_key(
    ctx: schemathesis.CheckContext,  # noqa: ARG001 - the signature schemathesis calls
    response: schemathesis.Response,
    case: schemathesis.Case[Any],
) -> bool | None:
    """In a create or rotate response, `key_preview` is a masked prefix of `key`, never the key itself."""
    if not _reveals(case) or response.status_code // 100 != 2:
        return None
    payload = _json_body(response)
    if not isinstance(payload, dict):
        return None
    preview = payload.get("key_preview")
    for name in sorted(bounds().secret_fields):
        raw_key = payload.get(name)
        if not isinstance(raw_key, str) or not isinstance(preview, str):
            continue  # response_schema_conformance reports a missing or mistyped field
        problem = mask_problem(raw_key, preview)
        if problem:
            raise AssertionError(problem)
    return None


# Importing this module registers both checks with schemathesis; their names, for reports.
CUSTOM_CHECKS = (raw_key_only_in_create_and_rotate.__name__, key_preview_masks_the_raw_key.__name__)
