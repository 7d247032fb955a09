"""Fields a live server returns that the spec does not declare: drift to report, never to fail on.

Lava's later API versions add fields to the spend-key object (`request_shape`, `total_spend`,
`total_requests`: https://www.lava.so/docs/api-reference/spend-keys/get-spend-key). A client generated
from our spec ignores them, so they break nothing, but they are news: the run reports each (operation,
field) once, as a warning. It does not judge missing or mistyped fields; the response-schema checks do.
"""

from __future__ import annotations

import threading

from contract_tests.spend_key_json import spend_key_objects


class ObservedDrift:
    """The undeclared spend-key fields seen in this run, by operation (thread-safe)."""

    def __init__(self, declared: frozenset[str]) -> None:
        self._declared = declared
        self._seen: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ObservedDrift(<{len(self._seen)} fields>)"

    def observe(self, operation: str, payload: object) -> None:
        """Note every undeclared field of every spend-key object in a decoded body."""
        for spend_key in spend_key_objects(payload):
            for name in spend_key.keys() - self._declared:
                with self._lock:
                    self._seen[operation, name] = self._seen.get((operation, name), 0) + 1

    def warnings(self) -> list[str]:
        """One sentence per (operation, field), sorted."""
        with self._lock:
            seen = sorted(self._seen.items())
        return [
            f"{operation} returns `{name}`, which openapi/lava.yaml does not declare ({count} responses)"
            for (operation, name), count in seen
        ]
