"""Schemathesis hooks that keep a run safe on a shared target, for the suite and the CLI alike.

`before_call` names every key schemathesis creates with the run's prefix and points update, rotate and
revoke at an id that cannot exist unless this run created the key, so pre-existing keys are never
changed. `filter_case` and `before_add_examples` drop, as they are drawn, the cases whose headers would
break the request's HTTP framing (a drawn `Content-Length`, `Host`, `Transfer-Encoding` or other
hop-by-hop header, a value with a line break: contract_tests/framing.py), so no check ever judges the
HTTP layer's answer to one, nor a request changed after it was drawn. `after_call` records the keys
schemathesis created (so later calls may change them), and, inside the pytest suite, counts cases and
notes drift. schemathesis.toml loads this module for CLI runs (`hooks = "contract_tests.schemathesis_hooks"`);
conftest.py imports it. Importing it also registers the suite's own checks (contract_tests/checks.py), so
the CLI runs them too.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.overrides import StoredValue
from schemathesis.transport.requests import RequestsTransport

# Imported for its side effect: registering the suite's checks with schemathesis, for the CLI as well.
from contract_tests import checks  # noqa: F401
from contract_tests.bounds import CREATE_OPERATION, REVOKE_OPERATION, bounds
from contract_tests.framing import is_well_framed
from contract_tests.redaction import RAW_KEY_PATTERN
from contract_tests.run import OWNERSHIP, changes_a_key, prefixed

if TYPE_CHECKING:
    from contract_tests.run import RunContext

# The pytest suite's run, once conftest.py has made it; empty in a CLI run.
RUN: dict[str, RunContext] = {}


@schemathesis.hook
def before_call(
    context: schemathesis.HookContext, case: schemathesis.Case[Any], kwargs: dict[str, Any]
) -> None:
    """Name every key schemathesis creates with this run's prefix, and aim no change at a key of others."""
    del context, kwargs  # the signature schemathesis calls
    name = case.body.get("name") if isinstance(case.body, dict) else None
    if isinstance(case.body, dict) and isinstance(name, str) and case.method in ("POST", "PUT"):
        case.body["name"] = prefixed(name)
    operation = bounds().labelled(case.operation.label)
    if operation is not None and changes_a_key(operation):
        parameters = dict(case.path_parameters or {})
        for name in operation.path_parameters:
            if isinstance(parameters.get(name), str):
                parameters[name] = OWNERSHIP.guarded(parameters[name])
        if parameters != (case.path_parameters or {}):
            _as_drawn(case, parameters)
        case.path_parameters = parameters


def _as_drawn(case: schemathesis.Case[Any], path_parameters: dict[str, Any]) -> None:
    """Record `path_parameters` as the case's drawn ones, not as values a link put in.

    Schemathesis takes a case's path parameters that differ from those it drew for values a link put in,
    and `ensure_resource_availability` then reads the 404 of an id the guard replaced (one drawn at
    random, never a link's: those are this run's keys) as a key just created and already gone. No public
    API says "drawn", so this updates the private record of what was drawn (schemathesis 4.x).
    """
    components = getattr(case, "_components", None)
    if not isinstance(components, dict):
        return
    stored = components.get(ParameterLocation.PATH)
    if isinstance(stored, StoredValue):
        components[ParameterLocation.PATH] = StoredValue(
            value=dict(path_parameters), is_generated=stored.is_generated
        )


@schemathesis.hook
def after_call(
    context: schemathesis.HookContext, case: schemathesis.Case[Any], response: schemathesis.Response
) -> None:
    """Remember the keys schemathesis created (so later calls may change them) and note drift."""
    del context  # the signature schemathesis calls
    try:
        payload = response.json()
    except ValueError:
        return
    operation = bounds().labelled(case.operation.label)
    operation_id = operation.operation_id if operation is not None else None
    if operation_id == CREATE_OPERATION and response.status_code // 100 == 2 and isinstance(payload, dict):
        spend_key_id = payload.get("spend_key_id")
        if isinstance(spend_key_id, str):
            OWNERSHIP.add(spend_key_id)
    if operation is not None and operation_id == REVOKE_OPERATION and response.status_code in (200, 404):
        for name in operation.path_parameters:
            OWNERSHIP.retire(str((case.path_parameters or {}).get(name)))
    run = RUN.get("run")
    if run is not None:
        run.report.schemathesis_case(case.operation.label)
        run.drift.observe(case.operation.label, payload)


# Framing --------------------------------------------------------------------------------------------------
# Negative mode adds undeclared headers, with names Hypothesis partly takes from string constants in our
# code, "content-length" among them; the state machine and the fuzzing and coverage phases all draw through
# `filter_case`, the examples phase through `before_add_examples`. A case is rejected, never repaired:
# taking a header away could turn a negative case positive behind the checks' back.
@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case[Any]) -> bool:
    """Keep only cases whose headers leave the request's framing to the HTTP client."""
    del context  # the signature schemathesis calls
    return is_well_framed(case.headers)


@schemathesis.hook
def before_add_examples(context: schemathesis.HookContext, examples: list[schemathesis.Case[Any]]) -> None:
    """Drop the spec's examples whose headers would break the request's framing."""
    del context  # the signature schemathesis calls
    examples[:] = [example for example in examples if is_well_framed(example.headers)]


# Secrets in the CLI's answers ---------------------------------------------------------------------------
# The pytest suite masks every report with its Redactor (conftest.py); the CLI has no such pass, and its
# sanitization (`[output.sanitization]`) only covers headers, query strings and request fields: it writes
# response bodies, with the raw keys create and rotate reveal, into its terminal output, JUnit, VCR, HAR
# and NDJSON reports. So in a CLI run every answer is masked where schemathesis receives it, before it
# checks, records or prints it: at the transport, which every request passes, the probes of checks such
# as ignored_auth included (the `after_call` hook sees only drawn cases). The mask keeps the length and
# the 16 characters `key_preview` already shows, so the content length still matches and
# `key_preview_masks_the_raw_key` still holds, or fails, as it would on the real key.
_SHOWN_PREFIX = len("lava_sk_a1b2c3d4")
_RAW_KEY_BYTES = re.compile(RAW_KEY_PATTERN.pattern.encode())


def _masked(content: bytes, secrets: tuple[bytes, ...]) -> bytes:
    for secret in secrets:
        content = content.replace(secret, b"*" * len(secret))
    return _RAW_KEY_BYTES.sub(
        lambda found: found.group()[:_SHOWN_PREFIX] + b"*" * (len(found.group()) - _SHOWN_PREFIX), content
    )


def _masking_send(send: Callable[..., schemathesis.Response]) -> Callable[..., schemathesis.Response]:
    @functools.wraps(send)
    def masked_send(*args: Any, **kwargs: Any) -> schemathesis.Response:  # noqa: ANN401
        response = send(*args, **kwargs)
        names = ("LAVA_API_KEY", "LAVA_API_KEY_2")
        secrets = tuple(
            os.environ[name].strip().encode() for name in names if os.environ.get(name, "").strip()
        )
        response.content = _masked(response.content, secrets)
        response.clear_cache()
        for values in response.headers.values():
            values[:] = [_masked(value.encode(), secrets).decode() for value in values]
        return response

    masked_send.masks_secrets = True  # type: ignore[attr-defined]
    return masked_send


@schemathesis.hook
def after_load_schema(context: schemathesis.HookContext, schema: Any) -> None:  # noqa: ANN401 - not public
    """In a CLI run, mask tokens and raw keys in every answer before schemathesis checks or writes it."""
    del context, schema  # the signature schemathesis calls
    if RUN or getattr(RequestsTransport.send, "masks_secrets", False):
        return  # the pytest suite masks its reports itself; and mask once
    RequestsTransport.send = _masking_send(RequestsTransport.send)  # type: ignore[method-assign]
