"""Write a comparison as a Markdown report or as JSON.

What it does not do: decide severities, what is accepted, or exit codes; it prints exactly the changes
it is given, in the order given (compare.py puts breaking changes first; accepted.py keeps the record's
order for the accepted ones).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from spec_drift.accepted import Entry, Verdict
from spec_drift.compare import Change


def render_json(verdict: Verdict) -> str:
    """Return `{"changes": [...], "accepted": [...], "stale": [...]}`: drift, accepted changes, stale entries.

    An accepted change carries its `reason` and its `entry` in the record; a stale entry, its place and name.
    """
    document = {
        "changes": [change.as_json() for change in verdict.changes],
        "accepted": [
            {**change.as_json(), "entry": entry.at, "reason": entry.reason}
            for change, entry in verdict.accepted
        ],
        "stale": [entry.as_json() for entry in verdict.stale],
    }
    return json.dumps(document, indent=2) + "\n"


def render_markdown(verdict: Verdict, *, ours: str, upstream: str, record: str | None = None) -> str:
    """Return a heading, a count line and a table of the drift; then the accepted changes and stale entries.

    `record` names the accepted-drift record the verdict was reached with, if any.
    """
    changes = verdict.changes
    breaking = sum(change.severity == "breaking" for change in changes)
    lines = [
        "# Spend-key spec drift",
        "",
        f"Ours: `{ours}`; upstream: `{upstream}`."
        + (f" Accepted drift: `{record}`." if record is not None else ""),
        "",
    ]
    beyond = " beyond the accepted ones" if verdict.accepted else ""
    if not changes:
        lines.append(f"0 changes{beyond}: the spend-key operations match.")
    else:
        lines += [
            (
                f"{len(changes)} change{'s' if len(changes) != 1 else ''}{beyond}: {breaking} breaking, "
                f"{len(changes) - breaking} non-breaking."
            ),
            "",
            *_table(changes),
        ]
    if verdict.stale:
        lines += ["", *_stale(verdict.stale, record)]
    if verdict.accepted:
        lines += ["", *_accepted(verdict.accepted, record)]
    return "\n".join(lines) + "\n"


def _stale(stale: Sequence[Entry], record: str | None) -> list[str]:
    count = f"{len(stale)} entr{'ies' if len(stale) != 1 else 'y'}"
    lines = [
        f"## Stale accepted entries ({len(stale)})",
        "",
        (
            f"{count} of `{record}` match no change any more: Lava may have published what we inferred, or "
            "our spec changed. Remove them (`--write-accepted` rewrites the record); they count as drift "
            "for `--fail-on any`."
        ),
        "",
        "| Entry | Accepted change |",
        "| --- | --- |",
    ]
    lines += [f"| `{entry.at}` | {_code(entry.describe())} |" for entry in stale]
    return lines


def _accepted(accepted: Sequence[tuple[Change, Entry]], record: str | None) -> list[str]:
    breaking = sum(change.severity == "breaking" for change, _ in accepted)
    lines = [
        f"## Accepted differences ({len(accepted)})",
        "",
        (
            f"{len(accepted)} change{'s' if len(accepted) != 1 else ''} ({breaking} breaking) that our spec "
            f"makes on purpose, each listed with its reason in `{record}`; they do not count for `--fail-on`."
        ),
    ]
    reasons: dict[str, list[Change]] = {}
    for change, entry in accepted:
        reasons.setdefault(entry.reason, []).append(change)
    for reason, changes in reasons.items():
        lines += ["", f"**Why:** {_cell(reason)}", "", *_table(changes)]
    return lines


def _table(changes: Sequence[Change]) -> list[str]:
    return [
        "| Severity | Operation | Location | Message |",
        "| --- | --- | --- | --- |",
        *(_row(change) for change in changes),
    ]


def _row(change: Change) -> str:
    cells = (change.severity, _code(change.operation or ""), _code(change.location), _cell(change.message))
    return f"| {' | '.join(cells)} |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if text else ""
