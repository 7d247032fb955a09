"""The record of accepted drift: differences from Lava's published document that our spec keeps on purpose.

A record is a YAML file (one per version that needs it: `lava_spec.versions.accepted_drift_path`) of groups,
each a `reason` (why our spec differs: the inference and the public source it leans on) and the `changes`
it covers. A change is named as compare.py structures it, never by its sentence, which we may reword:

    accepted:
      - reason: The Node SDK types the list body as {data: T[], has_more: boolean, ...}.
        changes:
          - {severity: breaking, kind: field-no-longer-required, operation: GET /spend_keys,
             side: response, subject: data}

`severity`, `kind` and (but for a server or credential change) `operation` are required; `side`, `subject`
and `keyword` (for a constraint) as the change has them. The severity is part of the name on purpose: an
accepted difference that starts to break our users' code is a new change, not the one we accepted. The
JSON pointer is not: it points into upstream's components, which Lava may rename without changing
anything for a client (compare.py reports no change for a renamed schema either).

`split` sorts a comparison's changes into those the record accepts and the rest, and lists the entries
that match no change any more (stale: the record must not rot). `write_record` writes a record from a
comparison, keeping the reasons of an earlier one; a new entry gets `reason: TODO`, which `load_record`
refuses unless asked to keep it (for the writer).

What it does not do: judge whether a reason is true, or read our spec's `x-lava-inferred` notes.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, get_args

import yaml

from spec_drift.compare import Change, Kind, Severity, Side

TODO: Final = "TODO"
_FIELDS: Final = ("severity", "kind", "operation", "side", "subject", "keyword")
_REQUIRED: Final = frozenset({"severity", "kind"})
_HEADER: Final = """\
# Accepted drift: where our spec differs on purpose from Lava's published OpenAPI document, each group of
# changes with its reason. `python -m spec_drift UPSTREAM --accepted FILE` reports these changes in their
# own section and does not count them for --fail-on; an entry that matches no change any more is stale and
# counts as drift for --fail-on any. A change is named as spec_drift/compare.py structures it: severity,
# kind, operation, side, subject and, for a constraint, keyword.
# `python -m spec_drift UPSTREAM --write-accepted FILE` rewrites this file from today's comparison: it keeps
# each reason, drops stale entries and lists new changes under `reason: TODO`, which the check refuses.
# It keeps no other comment: say what matters in a reason.
"""

Identity = tuple[str, str, str | None, str | None, str, str]


class AcceptedRecordError(Exception):
    """The record cannot be read or is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Entry:
    """One accepted change: where it is in the record (`accepted[0].changes[2]`), its name and its reason."""

    at: str
    identity: Identity
    reason: str

    def describe(self) -> str:
        """The name as a reader scans it: kind, operation, side and subject."""
        severity, kind, operation, side, subject, keyword = self.identity
        parts = [kind, operation or "", side or "", subject, keyword and f"({keyword})", f"[{severity}]"]
        return " ".join(part for part in parts if part)

    def as_json(self) -> dict[str, str | None]:
        """The entry's place and name, as `--format json` lists a stale one."""
        return {"entry": self.at, **dict(zip(_FIELDS, self.identity, strict=True))}


@dataclass(frozen=True)
class Record:
    """A record of accepted drift read from `path`, its entries in file order."""

    path: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Verdict:
    """A comparison against a record: what is still drift, what is accepted, which entries are stale."""

    changes: list[Change]
    accepted: list[tuple[Change, Entry]]
    stale: list[Entry]


def identity(change: Change) -> Identity:
    """The name of a change in a record: what it is about, not how the report words it."""
    return (change.severity, change.kind or "", change.operation, change.side, change.subject, change.keyword)


def split(changes: Sequence[Change], record: Record | None) -> Verdict:
    """Sort `changes` into drift and accepted (in the record's order), and list the record's stale entries."""
    if record is None:
        return Verdict(list(changes), [], [])
    by_identity = {entry.identity: entry for entry in record.entries}
    matched = {identity(change): change for change in changes if identity(change) in by_identity}
    return Verdict(
        [change for change in changes if identity(change) not in by_identity],
        [(matched[entry.identity], entry) for entry in record.entries if entry.identity in matched],
        [entry for entry in record.entries if entry.identity not in matched],
    )


def load_record(path: str | Path, *, allow_todo: bool = False) -> Record:
    """Read and check the record at `path`.

    Raises:
        AcceptedRecordError: the file is missing, not YAML, or an entry is malformed, repeated, or (unless
            `allow_todo`) has no reason yet; one line naming the file and the entry, and what to do.
    """
    where = str(path)
    try:
        document: object = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AcceptedRecordError(
            f"{where}: no such accepted-drift record; pass an existing file, or write one with "
            "--write-accepted"
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise AcceptedRecordError(f"{where}: cannot read it as YAML ({first_line}); fix the file") from None
    if not isinstance(document, dict) or set(document) != {"accepted"}:
        raise AcceptedRecordError(
            f"{where}: a record is a mapping with the one key `accepted`, a list of groups "
            "({reason, changes}); fix the file"
        )
    groups = document["accepted"]
    if not isinstance(groups, list):
        raise AcceptedRecordError(f"{where}: `accepted` must be a list of groups ({{reason, changes}})")
    entries: list[Entry] = []
    seen: dict[Identity, str] = {}
    for index, group in enumerate(groups):
        for entry in _group_entries(where, f"accepted[{index}]", group, allow_todo=allow_todo):
            if entry.identity in seen:
                raise AcceptedRecordError(
                    f"{where}: {entry.at} ({entry.describe()}) repeats {seen[entry.identity]}; "
                    "keep one of them"
                )
            seen[entry.identity] = entry.at
            entries.append(entry)
    return Record(where, tuple(entries))


def _group_entries(where: str, at: str, group: object, *, allow_todo: bool) -> list[Entry]:
    if not isinstance(group, dict) or set(group) != {"reason", "changes"}:
        raise AcceptedRecordError(f"{where}: {at} must be a mapping of `reason` and `changes`; fix it")
    reason, changes = group["reason"], group["changes"]
    if not isinstance(reason, str) or not reason.strip():
        raise AcceptedRecordError(f"{where}: {at} has no reason; say why our spec differs there")
    if not allow_todo and reason.strip().upper().startswith(TODO):
        raise AcceptedRecordError(
            f"{where}: {at} has reason {TODO}: write why our spec differs there (the inference and the "
            "public page or SDK it leans on), or remove the group and let the drift alert fire"
        )
    if not isinstance(changes, list) or not changes:
        raise AcceptedRecordError(f"{where}: {at}.changes must be a non-empty list of changes; fix it")
    return [
        Entry(f"{at}.changes[{index}]", _identity(where, f"{at}.changes[{index}]", change), reason.strip())
        for index, change in enumerate(changes)
    ]


def _identity(where: str, at: str, change: object) -> Identity:
    if not isinstance(change, dict):
        raise AcceptedRecordError(f"{where}: {at} must be a mapping of {', '.join(_FIELDS)}; fix it")
    unknown = sorted(str(key) for key in change if key not in _FIELDS)
    missing = sorted(_REQUIRED - set(change))
    if unknown or missing:
        problem = f"unknown key {unknown[0]!r}" if unknown else f"no {missing[0]!r}"
        raise AcceptedRecordError(f"{where}: {at} has {problem}; its keys are {', '.join(_FIELDS)}")
    values: dict[str, str | None] = {}
    for name in _FIELDS:
        value = change.get(name)
        # A status written without quotes (`subject: 404`) is YAML's integer: the same name.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            raise AcceptedRecordError(f"{where}: {at}: `{name}` must be a string, not {value!r}; fix it")
        values[name] = value
    for name, allowed in (("severity", Severity), ("kind", Kind), ("side", Side)):
        value = values[name]
        if value is not None and value not in get_args(allowed):
            raise AcceptedRecordError(
                f"{where}: {at}: unknown {name} {value!r}; use one of {', '.join(get_args(allowed))}"
            )
    return (
        values["severity"] or "",
        values["kind"] or "",
        values["operation"],
        values["side"],
        values["subject"] or "",
        values["keyword"] or "",
    )


def write_record(changes: Sequence[Change], previous: Record | None = None) -> tuple[str, int, int]:
    """The record accepting `changes`: the groups of `previous` that still match, then the new ones.

    Returns the text, how many changes are new (under `reason: TODO`) and how many entries of `previous`
    were dropped as stale.
    """
    verdict = split(changes, previous)
    groups: dict[str, list[Change]] = {}
    for change, entry in verdict.accepted:
        groups.setdefault(entry.reason, []).append(change)
    if verdict.changes:
        todo = next((reason for reason in groups if reason.upper().startswith(TODO)), TODO)
        groups.setdefault(todo, []).extend(verdict.changes)
    text = _HEADER + render_record(groups)
    return text, len(verdict.changes), len(verdict.stale)


def render_record(groups: dict[str, list[Change]]) -> str:
    """The `accepted:` document of `groups` (reason: its changes), one flow mapping per change."""
    lines = ["accepted:"] if groups else ["accepted: []"]
    for reason, changes in groups.items():
        lines.append(f"  - reason: {_block(reason, indent=6)}")
        lines.append("    changes:")
        lines += [f"      - {_flow(change)}" for change in changes]
    text = "\n".join(lines) + "\n"
    _check_round_trip(text, groups)
    return text


def _block(text: str, *, indent: int) -> str:
    """The text on the line when it fits, else a folded scalar; one that folding would change, quoted."""
    if "\n" not in text and len(text) <= 100 - indent:
        return _scalar(text)
    paragraphs = [textwrap.fill(" ".join(part.split()), width=110 - indent) for part in text.split("\n\n")]
    body = "\n\n".join(paragraphs)
    folded = ">-\n" + "\n".join(f"{' ' * indent}{line}" if line else "" for line in body.split("\n"))
    if yaml.safe_load(f"x: {folded}") == {"x": text}:
        return folded
    return json.dumps(text)


def _flow(change: Change) -> str:
    pairs = dict(zip(_FIELDS, identity(change), strict=True))
    return "{" + ", ".join(f"{name}: {_scalar(value)}" for name, value in pairs.items() if value) + "}"


def _scalar(value: str) -> str:
    """The value plain where YAML reads it back as the same string, else double-quoted."""
    try:
        plain_ok = yaml.safe_load(f"{{x: {value}}}") == {"x": value}
    except yaml.YAMLError:
        plain_ok = False
    return value if plain_ok and "#" not in value else json.dumps(value)


def _check_round_trip(text: str, groups: dict[str, list[Change]]) -> None:
    document: Any = yaml.safe_load(text)
    read = [
        (group["reason"], [tuple(change.get(name, "") for name in _FIELDS) for change in group["changes"]])
        for group in document["accepted"]
    ]
    written = [
        (reason, [tuple(value or "" for value in identity(change)) for change in changes])
        for reason, changes in groups.items()
    ]
    if read != written:  # pragma: no cover - a bug of this module, not of the input
        raise AssertionError("the accepted-drift record does not read back as written")
