"""What the suite checks on every answer its own client receives, whatever the test that asked.

`Observer.observe` is given the operation an answer belongs to (routed from the request by the spec's
router: spend_key_api.py) and checks what the docs promise for *all* answers:

- the status is one the spec documents for the operation, and a status documented with a JSON body
  has one (`application/json`, parseable) that the spec's schema for that status allows, a
  deliberately malformed request's answer included;
- `current_requests` is never negative, and where the spec's SpendKey shows totals (v2's `total_spend`,
  `total_requests`) each is never below its current-cycle figure and never lower than this run saw it
  before for the same key (a cycle's end resets the current figures, never the totals);
- a secret field (`x-lava-secret`: the raw `key`) appears only in the success answers of the operations
  that reveal it (create, rotate), and a raw key once revealed appears in no later answer of another
  operation.

It also counts the call for the run's report and notes undeclared fields as drift. It raises
`ContractViolation` for the first broken promise, and decides nothing about a particular call: tests
assert on the answers they get (`expect`).
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from contract_tests.bounds import CREATE_OPERATION, Bounds
from contract_tests.run import RunContext
from contract_tests.spend_key_json import counter_problems, figure, spend_key_objects
from contract_tests.typed_client import Response
from lava_spec import Operation

Parsed = TypeVar("Parsed")


class ContractViolation(AssertionError):  # noqa: N818 - reads as what it is in a test report
    """An answer broke a promise that holds for every answer."""


def expect(response: Response[Any], status: int, model: type[Parsed]) -> Parsed:
    """The parsed body of `response`, which must have `status` and parse as `model`."""
    if response.status_code != status:
        raise ContractViolation(f"expected {status} with a {model.__name__}, got {int(response.status_code)}")
    if not isinstance(response.parsed, model):
        raise ContractViolation(f"a {status} answer did not parse as a {model.__name__}")
    return response.parsed


def decoded(content: bytes) -> object:
    """The JSON of a body, or None when it is none."""
    try:
        payload: object = json.loads(content)
    except ValueError:
        return None
    return payload


class Observer:
    """The checks above, with the raw keys this run has been shown (thread-safe)."""

    def __init__(self, spec_bounds: Bounds, run: RunContext) -> None:
        self._bounds = spec_bounds
        self._run = run
        self._raw_keys: set[str] = set()
        # The highest total this run has seen of each key, by (spend_key_id, total field).
        self._totals: dict[tuple[str, str], tuple[Decimal, str]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Observer(<{len(self._raw_keys)} raw keys seen>)"

    def observe(self, operation: Operation, response: httpx.Response) -> object:
        """Check one (read) answer of `operation`; return its decoded JSON (None when it has none)."""
        label, status = operation.label, response.status_code
        if status not in operation.responses:
            documented = ", ".join(str(code) for code in sorted(operation.responses))
            raise ContractViolation(
                f"{label} answered {status}, which the spec does not document ({documented})"
            )
        declares_json = operation.responses[status] is not None
        content_type = response.headers.get("content-type", "")
        if declares_json and not content_type.startswith("application/json"):
            raise ContractViolation(f"{label} answered {status} as {content_type!r}, not application/json")
        payload = decoded(response.content)
        if payload is None and declares_json:
            raise ContractViolation(f"{label} answered {status} with a body that is not JSON")
        self._run.report.client_call(label)
        self._run.drift.observe(label, payload)
        problems = self._bounds.spec.response_problems(operation.operation_id, status, payload)
        if problems:
            raise ContractViolation(
                f"{label} answered {status} with a body the spec does not allow: " + "; ".join(problems)
            )
        self._check_counters(operation, payload)
        if operation.operation_id in self._bounds.revealing_operations and 200 <= status < 300:
            self._revealed(payload)
        else:
            self._check_no_secret(label, response.content, payload)
        return payload

    def _revealed(self, payload: object) -> None:
        for spend_key in spend_key_objects(payload):
            for name in self._bounds.secret_fields:
                secret = spend_key.get(name)
                if isinstance(secret, str):
                    with self._lock:
                        self._raw_keys.add(secret)
                    self._run.redactor.add(secret)

    def _check_counters(self, operation: Operation, payload: object) -> None:
        for spend_key in spend_key_objects(payload):
            problems = counter_problems(spend_key, self._bounds.totals)
            if problems:
                raise ContractViolation(f"{operation.label} returned {'; '.join(problems)}")
            # A create's answer is a key's first figures, and a retried create replays them unchanged
            # (Idempotency-Key) however the key was used since: it is no later reading of them.
            if operation.operation_id != CREATE_OPERATION:
                self._check_totals_grow(operation.label, spend_key)

    def _check_totals_grow(self, label: str, spend_key: dict[str, Any]) -> None:
        spend_key_id = spend_key.get("spend_key_id")
        if not isinstance(spend_key_id, str):
            return
        for total in self._bounds.totals.values():
            value = figure(spend_key.get(total))
            if value is None:
                continue
            with self._lock:
                before = self._totals.get((spend_key_id, total))
                if before is None or value >= before[0]:
                    self._totals[(spend_key_id, total)] = (value, label)
                    continue
            raise ContractViolation(
                f"{label} returned {total}={spend_key[total]} for a key whose {total} was {before[0]} in an "
                f"earlier answer ({before[1]}): a total never decreases"
            )

    def _check_no_secret(self, label: str, content: bytes, payload: object) -> None:
        for spend_key in spend_key_objects(payload):
            shown = sorted(self._bounds.secret_fields & spend_key.keys())
            if shown:
                raise ContractViolation(
                    f"{label} returned a `{'`, `'.join(shown)}` field; only the success answers of "
                    f"{', '.join(sorted(self._bounds.revealing_operations))} may"
                )
        text = content.decode("utf-8", errors="replace")
        with self._lock:
            repeated = any(raw_key in text for raw_key in self._raw_keys)
        if repeated:
            raise ContractViolation(f"{label} returned a raw key that an earlier answer revealed")
