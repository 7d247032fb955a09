"""The run's Markdown summary: per operation, the cases run and the checks applied; failures; drift.

JUnit XML (pytest's) is for CI's test view; this is for a person reading a run against staging. Every
text in it comes from reports that conftest.py has already redacted. It writes nothing by itself: the
conftest renders it at the end of the session into reports/contract-summary.md.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field

# What every response the suite's own client receives, typed or raw, is checked for (observation.py), and
# what schemathesis adds on the cases it draws (checks.py and the built-ins the contract config enables).
CLIENT_CHECKS = (
    "declared status",
    "response schema",
    "content type",
    "current_requests >= 0",
    "each total (where the spec shows totals) >= its current figure, and never lower than before",
    "no raw key outside create and rotate",
)
_OPERATION_IN_NODEID = re.compile(r"\[((?:GET|POST|PUT|DELETE|PATCH) [^\]]+)\]")
_FAILURE_LINES = 25


@dataclass
class RunReport:
    """Counts and failures of one run (thread-safe counts)."""

    # Filled in once schemathesis is configured for the target (conftest.py's `contract_schema`).
    schemathesis_checks: tuple[str, ...] = ()
    _schemathesis_cases: Counter[str] = field(default_factory=Counter)
    _client_calls: Counter[str] = field(default_factory=Counter)
    _failures: list[tuple[str, str]] = field(default_factory=list)
    # The tests deselected because the spec does not declare what they check, with the reason of each.
    not_applicable: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def schemathesis_case(self, operation: str) -> None:
        """Count a request schemathesis drew for `operation` ("POST /manage/spend_keys")."""
        with self._lock:
            self._schemathesis_cases[operation] += 1

    def client_call(self, operation: str) -> None:
        """Count a request the suite's client made for `operation`."""
        with self._lock:
            self._client_calls[operation] += 1

    def failure(self, nodeid: str, text: str) -> None:
        """Keep a failed test's (already redacted) report."""
        self._failures.append((nodeid, text))

    def render(self, *, run_id: str, target: str, traffic: str, verdict: list[str], drift: list[str]) -> str:
        """The whole summary: the verdict first, then what was run and what failed."""
        operations = sorted(set(self._schemathesis_cases) | set(self._client_calls))
        lines = [
            f"# Contract run {run_id}",
            "",
            "```",
            *verdict,
            "```",
            "",
            f"Target: {target}. {traffic}.",
            "",
            "| operation | schemathesis cases | client calls | failures |",
            "| --- | ---: | ---: | ---: |",
        ]
        for operation in operations:
            failed = sum(1 for nodeid, _ in self._failures if f"[{operation}]" in nodeid)
            lines.append(
                f"| {operation} | {self._schemathesis_cases[operation]} | {self._client_calls[operation]} "
                f"| {failed} |"
            )
        lines += [
            "",
            "Checks on schemathesis cases: " + (", ".join(self.schemathesis_checks) or "none ran") + ".",
            "Checks on every client response: " + ", ".join(CLIENT_CHECKS) + ", and each test's assertions.",
            "",
            f"## Failures ({len(self._failures)})",
            "",
        ]
        for nodeid, text in self._failures:
            match = _OPERATION_IN_NODEID.search(nodeid)
            heading = f"{match.group(1)}: " if match else ""
            excerpt = "\n".join(text.strip().splitlines()[-_FAILURE_LINES:])
            lines += [f"### {heading}{nodeid}", "", "```", excerpt, "```", ""]
        if not self._failures:
            lines += ["None.", ""]
        if self.not_applicable:
            lines += [f"## Not applicable to this spec ({len(self.not_applicable)} tests deselected)", ""]
            lines += [f"- {nodeid}: {reason}" for nodeid, reason in self.not_applicable.items()]
            lines += [""]
        lines += [f"## Drift ({len(drift)} warnings, never failures)", ""]
        lines += [f"- {warning}" for warning in drift] or ["None observed."]
        return "\n".join(lines) + "\n"
