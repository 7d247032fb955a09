"""Write the migration page from the seed version's spec to the newest one's (`make migration-report`).

The page, docs/migrating-<old>-to-<new>.md (v0 to v2 today, the first and last of
`lava_spec.API_VERSIONS`), is `python -m spec_drift --format migration` of the two specs, checked in so
that users read it where the code is. `--check` writes nothing: it exits 1, naming the command to run,
when the checked-in page no longer matches the specs (`make check-generated` runs it).

What it does not do: write any sentence of the page itself (spec_drift/migration.py renders it).

Exit status: 0 written or up to date; 1 out of date (with --check); 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lava_spec import API_VERSIONS, spec_path
from spec_drift.cli import migration_page

ROOT = Path(__file__).resolve().parent.parent
OLD, NEW = API_VERSIONS[0], API_VERSIONS[-1]
PAGE = ROOT / "docs" / f"migrating-{OLD}-to-{NEW}.md"
COMMAND = "make migration-report"


def expected_page() -> str:
    """The page as the specs have it now."""
    return migration_page(str(spec_path(OLD)), str(spec_path(NEW)))


def main(argv: list[str] | None = None) -> int:
    """Write the page, or with --check say whether it is up to date; return the exit status."""
    parser = argparse.ArgumentParser(prog="scripts/migration_report.py", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page differs; write nothing")
    parser.add_argument("--page", type=Path, default=PAGE, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    page: Path = arguments.page
    text = expected_page()
    shown = page.relative_to(ROOT) if page.is_relative_to(ROOT) else page
    if arguments.check:
        current = page.read_text(encoding="utf-8") if page.exists() else None
        if current != text:
            state = "is missing" if current is None else "no longer matches the specs"
            print(f"{shown} {state}: run `{COMMAND}` and commit it", file=sys.stderr)
            return 1
        print(f"{shown} matches the specs")
        return 0
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text, encoding="utf-8")
    print(f"wrote {shown} ({OLD} to {NEW})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
