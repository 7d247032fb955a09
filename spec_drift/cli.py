"""The drift command, `python -m spec_drift`: compare Lava's published spec with ours and exit by severity.

"Ours" is `--ours PATH` when given, else the spec of the version `LAVA_API_VERSION` names (v0 when it is
not set), as `lava_spec.versions` says: the one place that knows the versions and their files. That module
is all this package imports of ours; the comparison itself reads both documents whole.

`--accepted FILE` reads a record of accepted drift (accepted.py): the changes it lists are reported in
their own section and do not count for `--fail-on`; its entries that match no change are stale and count
for `--fail-on any`. `--accepted` without FILE takes the record of our spec's version, asked of
`lava_spec.versions` (`openapi/drift-accepted-v2.yaml`), and accepts nothing when that version has none:
that is what `make drift` and the daily workflow pass. It is not the default, because the record speaks of
Lava's published document: compared with anything else (our spec with itself, a changed copy), every entry
would be stale. `--write-accepted FILE` writes the record that accepts today's comparison instead of
reporting it, keeping the reasons FILE already gives.

Exit status: 0 when no change reaches `--fail-on`, 1 when one does, 2 for an error (a document that
cannot be fetched, read or parsed, is not OpenAPI 3.x, a malformed accepted-drift record, or bad
arguments), with one line on stderr that says what to do.

What it does not do: write or fix our spec; it only reports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

from lava_spec.versions import (
    API_VERSION_VARIABLE,
    API_VERSIONS,
    UnknownApiVersionError,
    accepted_drift_path,
    selected_api_version,
    spec_path,
    version_of,
)
from spec_drift.accepted import AcceptedRecordError, Record, Verdict, load_record, split, write_record
from spec_drift.compare import Change, compare_documents
from spec_drift.load import SpecLoadError, load_document
from spec_drift.migration import Edition, render_migration
from spec_drift.normalise import NormaliseError, spend_key_operations
from spec_drift.render import render_json, render_markdown

# The command that writes the checked-in migration page (scripts/migration_report.py), which the page names.
MIGRATION_COMMAND = "make migration-report"


# `--accepted` given without a FILE: the record of our spec's version.
_VERSION_RECORD = object()


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message}; run `{self.prog} --help` for usage")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m spec_drift",
        description="Compare Lava's published OpenAPI spec with ours, for the spend-key operations.",
    )
    parser.add_argument("upstream", metavar="UPSTREAM", help="upstream spec: a file path or an http(s) URL")
    parser.add_argument(
        "--ours",
        default=None,
        help=f"our spec (default: the spec of the version {API_VERSION_VARIABLE} names; v0's when unset)",
    )
    parser.add_argument(
        "--format",
        choices=("markdown", "json", "migration"),
        default="markdown",
        help=(
            "output format: the drift report in Markdown or JSON, or the migration page for users of our "
            "client (--ours the old version's spec, UPSTREAM the new one's, both this project's specs)"
        ),
    )
    parser.add_argument(
        "--fail-on",
        choices=("breaking", "any"),
        default="breaking",
        help="exit 1 on a breaking change (default) or on any change",
    )
    records = parser.add_mutually_exclusive_group()
    records.add_argument(
        "--accepted",
        metavar="FILE",
        nargs="?",
        const=_VERSION_RECORD,
        default=None,
        help=(
            "a record of accepted drift: its changes are listed apart and do not count for --fail-on, its "
            "stale entries count for --fail-on any; without FILE, the record of our spec's version if it "
            "has one (put FILE, or nothing, after UPSTREAM)"
        ),
    )
    records.add_argument(
        "--write-accepted",
        metavar="FILE",
        default=None,
        help=(
            "write the record accepting today's changes to FILE instead of reporting: reasons FILE gives are "
            "kept, new entries get `reason: TODO` (which --accepted refuses), stale ones are dropped"
        ),
    )
    parser.add_argument(
        "--same-prefix",
        metavar="PREFIX",
        default=None,
        help="treat paths with and without PREFIX (e.g. /manage) as the same operation",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; return its exit status."""
    try:
        arguments = _parser().parse_args(argv)
        if arguments.ours is None:
            arguments.ours = str(spec_path(selected_api_version()))
        _check_record_arguments(arguments)
        # The record is checked before the documents are fetched: a malformed one fails fast.
        record = _record(arguments.accepted, arguments.ours)
        ours = load_document(arguments.ours)
        upstream = load_document(arguments.upstream)
        changes = compare_documents(ours, upstream, arguments.same_prefix)
        if arguments.format == "migration":
            page = migration_page(arguments.ours, arguments.upstream, ours, changes)
        if arguments.write_accepted is not None:
            return _write_record(arguments.write_accepted, changes)
    except (
        _UsageError,
        UnknownApiVersionError,
        SpecLoadError,
        NormaliseError,
        AcceptedRecordError,
    ) as error:
        sys.stderr.write(f"spec_drift: error: {error}\n")
        return 2
    if arguments.format == "migration":
        # A page for users, not a verdict: it is written, whatever changed.
        sys.stdout.write(page)
        return 0
    verdict = split(changes, record)
    if arguments.format == "json":
        sys.stdout.write(render_json(verdict))
    else:
        sys.stdout.write(
            render_markdown(
                verdict,
                ours=arguments.ours,
                upstream=arguments.upstream,
                record=record.path if record is not None else None,
            )
        )
    return 1 if _fails(verdict, arguments.fail_on) else 0


def _check_record_arguments(arguments: argparse.Namespace) -> None:
    if arguments.format == "migration" and (arguments.accepted or arguments.write_accepted):
        raise _UsageError("--accepted and --write-accepted are for the drift report, not --format migration")


def _fails(verdict: Verdict, fail_on: str) -> bool:
    """Accepted changes never count; a stale entry is drift of the record itself, so `any` counts it."""
    if fail_on == "any":
        return bool(verdict.changes or verdict.stale)
    return any(change.severity == "breaking" for change in verdict.changes)


def _record(accepted: object, ours: str) -> Record | None:
    """The record `--accepted` names: FILE, or our spec's version's (None when it has none), or none."""
    if accepted is None:
        return None
    if accepted is _VERSION_RECORD:
        version = version_of(ours)
        if version is None:
            raise _UsageError(
                f"--accepted without FILE takes the record of our spec's version, and {ours} is none of this "
                "project's specs; pass --accepted FILE"
            )
        path = accepted_drift_path(version)
        return load_record(path) if path.is_file() else None
    return load_record(str(accepted))


def _write_record(path: str, changes: list[Change]) -> int:
    previous = load_record(path, allow_todo=True) if Path(path).is_file() else None
    text, new, stale = write_record(changes, previous)
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise _UsageError(f"cannot write {path} ({error}); pass a writable path") from error
    todo = f", {new} new under `reason: TODO` (write each reason)" if new else ""
    sys.stderr.write(
        f"spec_drift: wrote {path}: {len(changes)} accepted change{'s' if len(changes) != 1 else ''}"
        f"{todo}, {stale} stale entr{'ies' if stale != 1 else 'y'} dropped\n"
    )
    return 0


def _edition(path: str) -> Edition:
    version = version_of(path)
    if version is None:
        raise _UsageError(
            f"--format migration compares two of this project's specs, and {path} is none of them; pass "
            + " or ".join(str(spec_path(known)) for known in API_VERSIONS)
        )
    known = spec_path(version)
    return Edition(version, known.relative_to(known.parents[1]).as_posix())


def migration_page(
    ours_path: str,
    upstream_path: str,
    ours: dict[str, Any] | None = None,
    changes: list[Change] | None = None,
) -> str:
    """The migration page from the spec at `ours_path` (the old version) to `upstream_path` (the new one).

    Both must be this project's specs (`lava_spec.versions`): the page speaks of `lava_client.<version>`.
    Raises a usage error otherwise, and `SpecLoadError` or `NormaliseError` as the comparison does.
    """
    old, new = _edition(ours_path), _edition(upstream_path)
    if ours is None or changes is None:
        ours = load_document(ours_path)
        changes = compare_documents(ours, load_document(upstream_path))
    return render_migration(
        changes, old=old, new=new, operations=spend_key_operations(ours), command=MIGRATION_COMMAND
    )
