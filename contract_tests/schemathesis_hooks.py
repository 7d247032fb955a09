"""Schemathesis hooks that keep a run safe on a shared target, for the suite and the CLI alike.

`before_call` names every key schemathesis creates with the run's prefix and points update, rotate and
revoke at an id that cannot exist unless this run created the key, so pre-existing keys are never
changed. `after_call` records the keys schemathesis created (so later calls may change them), and,
inside the pytest suite, counts cases and notes drift. schemathesis.toml loads this module for CLI runs
(`hooks = "contract_tests.schemathesis_hooks"`); conftest.py imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import schemathesis

from contract_tests.run import OWNERSHIP, prefixed

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
    spend_key_id = (case.path_parameters or {}).get("id")
    if isinstance(spend_key_id, str) and case.method in ("PUT", "DELETE", "POST"):
        case.path_parameters = {**(case.path_parameters or {}), "id": OWNERSHIP.guarded(spend_key_id)}


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
    if case.method == "POST" and response.status_code // 100 == 2 and isinstance(payload, dict):
        spend_key_id = payload.get("spend_key_id")
        if isinstance(spend_key_id, str):
            OWNERSHIP.add(spend_key_id)
    if case.method == "DELETE" and response.status_code in (200, 404):
        OWNERSHIP.retire(str((case.path_parameters or {}).get("id")))
    run = RUN.get("run")
    if run is not None:
        run.report.schemathesis_case(case.operation.label)
        run.drift.observe(case.operation.label, payload)
