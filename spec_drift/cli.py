"""The drift command, `python -m spec_drift`: compare Lava's published spec with ours and exit by severity.

Exit status: 0 when no change reaches `--fail-on`, 1 when one does, 2 for an error (a document that
cannot be fetched, read or parsed, is not OpenAPI 3.x, or bad arguments), with one line on stderr
that says what to do.

What it does not do: write or fix our spec; it only reports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from spec_drift.compare import compare_documents
from spec_drift.load import SpecLoadError, load_document
from spec_drift.normalise import NormaliseError
from spec_drift.render import render_json, render_markdown

DEFAULT_OURS = Path(__file__).resolve().parent.parent / "openapi" / "lava.yaml"


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
        default=str(DEFAULT_OURS),
        help="our spec (default: openapi/lava.yaml in this repository)",
    )
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown", help="output format")
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
        ours = load_document(arguments.ours)
        upstream = load_document(arguments.upstream)
        changes = compare_documents(ours, upstream, arguments.same_prefix)
    except (_UsageError, SpecLoadError, NormaliseError) as error:
        sys.stderr.write(f"spec_drift: error: {error}\n")
        return 2
    if arguments.format == "json":
        sys.stdout.write(render_json(changes))
    else:
        sys.stdout.write(render_markdown(changes, ours=arguments.ours, upstream=arguments.upstream))
    threshold = changes if arguments.fail_on == "any" else [c for c in changes if c.severity == "breaking"]
    return 1 if threshold else 0
