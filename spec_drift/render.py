"""Write a list of changes as a Markdown report or as JSON.

What it does not do: decide severities or exit codes; it prints exactly the changes it is given,
in the order given (compare.py puts breaking changes first).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from spec_drift.compare import Change


def render_json(changes: Sequence[Change]) -> str:
    """Return `{"changes": [...]}` with one object per change."""
    return json.dumps({"changes": [change.as_json() for change in changes]}, indent=2) + "\n"


def render_markdown(changes: Sequence[Change], *, ours: str, upstream: str) -> str:
    """Return a heading, a count line and a table of severity, operation, location and message."""
    breaking = sum(change.severity == "breaking" for change in changes)
    lines = [
        "# Spend-key spec drift",
        "",
        f"Ours: `{ours}`; upstream: `{upstream}`.",
        "",
    ]
    if not changes:
        lines.append("0 changes: the spend-key operations match.")
        return "\n".join(lines) + "\n"
    lines += [
        (
            f"{len(changes)} change{'s' if len(changes) != 1 else ''}: {breaking} breaking, "
            f"{len(changes) - breaking} non-breaking."
        ),
        "",
        "| Severity | Operation | Location | Message |",
        "| --- | --- | --- | --- |",
    ]
    lines += [_row(change) for change in changes]
    return "\n".join(lines) + "\n"


def _row(change: Change) -> str:
    cells = (change.severity, _code(change.operation or ""), _code(change.location), _cell(change.message))
    return f"| {' | '.join(cells)} |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if text else ""
