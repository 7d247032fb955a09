"""Schemathesis's state machine over the spec's links: create, then get, update, rotate or revoke it.

The spec links create's `spend_key_id` to the four operations on one key, so schemathesis can chain
real calls instead of guessing ids. Every response runs every check, including the stateful ones:
`use_after_free` (a revoked key must stay gone) and `ensure_resource_availability` (a created key must
be readable), and our own two from checks.py. Only the spec's own links are followed (see
`contract_config`): links schemathesis infers from list responses made its draws depend on what the
shared server already held, which Hypothesis reports as flaky data generation.
"""

from __future__ import annotations

from typing import Any

import requests
from hypothesis import settings

STEPS = 10


def test_linked_workflows_keep_the_contract(
    contract_schema: Any,  # noqa: ANN401 - schemathesis's schema type is not public
    traffic_session: requests.Session,
) -> None:
    base = contract_schema.as_state_machine()

    class Workflow(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:  # noqa: ANN401, ARG002
            return {"session": traffic_session}

    workflow = Workflow
    examples = max(5, settings().max_examples // 2)
    workflow.run(settings=settings(max_examples=examples, stateful_step_count=STEPS, deadline=None))
