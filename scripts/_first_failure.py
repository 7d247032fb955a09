"""A pytest plugin for the suite runs of scripts/mutation.py and scripts/false_alarms.py.

It says when a run first failed, and which test and check said so.

Loaded with `-p _first_failure` (scripts/ on PYTHONPATH); writes JSON to the path in `FIRST_FAILURE_PATH`
at the end of the session. It reads reports after the suite has redacted them, so it holds no secret.
It changes nothing about how the suite runs.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

_CHECK = re.compile(r"\b(ST\d{3} [^\n]+)")
_ASSERTION = re.compile(r"(?:AssertionError|ContractViolation): ([^\n]+)")
_ERROR_LINE = re.compile(r"^E\s+(\S[^\n]*)", re.MULTILINE)

_state: dict[str, Any] = {"first_failure": None, "passed": 0, "failed": 0, "skipped": 0}


def _caught_by(text: str) -> str:
    """The check or assertion that failed, in one line."""
    for pattern in (_CHECK, _ASSERTION, _ERROR_LINE):
        match = pattern.search(text)
        if match:
            return match.group(1).strip()[:160]
    return text.strip().splitlines()[-1][:160] if text.strip() else "unknown"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count outcomes and remember the first failure with its wall-clock time."""
    if report.failed:
        _state["failed"] += 1
        if _state["first_failure"] is None:
            _state["first_failure"] = {
                "test": report.nodeid.split("::")[-1],
                # The whole id too, so that a report can name the module and a replay can select the test.
                "nodeid": report.nodeid,
                "check": _caught_by(report.longreprtext),
                "at": time.time(),
            }
    elif report.passed and report.when == "call":
        _state["passed"] += 1
    elif report.skipped:
        _state["skipped"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:  # noqa: ARG001
    """Write what was seen, for the runner to read."""
    path = os.environ.get("FIRST_FAILURE_PATH")
    if path:
        Path(path).write_text(json.dumps({"exitstatus": int(exitstatus), **_state}), encoding="utf-8")
