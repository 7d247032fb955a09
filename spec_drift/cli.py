"""The drift command, `python -m spec_drift`: compare Lava's published spec with ours and exit by severity.

"Ours" is `--ours PATH` when given, else the spec of the version `LAVA_API_VERSION` names (v0 when it is
not set), as `lava_spec.versions` says: the one place that knows the versions and their files. That module
is all this package imports of ours; the comparison itself reads both documents whole.

Exit status: 0 when no change reaches `--fail-on`, 1 when one does, 2 for an error (a document that
cannot be fetched, read or parsed, is not OpenAPI 3.x, or bad arguments), with one line on stderr
that says what to do.

What it does not do: write or fix our spec; it only reports.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from lava_spec.versions import (
    API_VERSION_VARIABLE,
    UnknownApiVersionError,
    selected_api_version,
    spec_path,
    version_of,
)
from spec_drift.compare import Change, compare_documents
from spec_drift.load import SpecLoadError, load_document
from spec_drift.migration import Edition, render_migration
from spec_drift.normalise import NormaliseError, spend_key_operations
from spec_drift.render import render_json, render_markdown

# The command that writes the checked-in migration page (scripts/migration_report.py), which the page names.
MIGRATION_COMMAND = "make migration-report"


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
        ours = load_document(arguments.ours)
        upstream = load_document(arguments.upstream)
        changes = compare_documents(ours, upstream, arguments.same_prefix)
        if arguments.format == "migration":
            page = migration_page(arguments.ours, arguments.upstream, ours, changes)
    except (_UsageError, UnknownApiVersionError, SpecLoadError, NormaliseError) as error:
        sys.stderr.write(f"spec_drift: error: {error}\n")
        return 2
    if arguments.format == "migration":
        # A page for users, not a verdict: it is written, whatever changed.
        sys.stdout.write(page)
        return 0
    if arguments.format == "json":
        sys.stdout.write(render_json(changes))
    else:
        sys.stdout.write(render_markdown(changes, ours=arguments.ours, upstream=arguments.upstream))
    threshold = changes if arguments.fail_on == "any" else [c for c in changes if c.severity == "breaking"]
    return 1 if threshold else 0


def _edition(path: str) -> Edition:
    version = version_of(path)
    if version is None:
        raise _UsageError(
            f"--format migration compares two of this project's specs, and {path} is none of them; pass "
            + " or ".join(str(spec_path(known)) for known in ("v0", "v2"))
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
