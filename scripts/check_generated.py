"""Fail when generated/ differs from what openapi/ generates (`make check-generated`).

generated/ is the lava-client distribution: the package lava_client/ and, beside it, the pyproject.toml,
README.md and LICENSE that scripts/generate.py writes. It regenerates all of it into a temporary folder
with scripts/generate.py --output-dir and compares the two folders byte for byte. On a difference it
lists the files that differ, prints a unified diff (at most MAX_DIFF_LINES lines) and exits 1; otherwise
it prints one line and exits 0. Bytecode caches (``__pycache__``) are not compared: importing the
package writes them, and git ignores them.

It never writes to the folder it checks: regenerating is `make generate`'s job, and a person's decision.

Exit status: 0 identical; 1 different, or the regeneration failed; 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
import tempfile
from pathlib import Path

from lava_spec.versions import API_VERSIONS

ROOT = Path(__file__).resolve().parent.parent
GENERATE = Path(__file__).resolve().with_name("generate.py")
DEFAULT_GENERATED_DIR = ROOT / "generated"
PACKAGE_NAME = "lava_client"
MAX_DIFF_LINES = 200
FIX = "To bring it up to date, run `make generate` and commit the result."


def main(argv: list[str] | None = None) -> int:
    """Regenerate, compare with --generated-dir and report; return the exit status."""
    parser = argparse.ArgumentParser(
        description="Fail if the generated package differs from what openapi/ generates."
    )
    parser.add_argument(
        "--generated-dir",
        type=Path,
        default=DEFAULT_GENERATED_DIR,
        metavar="DIR",
        help="the checked-in distribution folder to compare, which holds lava_client/ (default: generated)",
    )
    parser.add_argument(
        "--spec",
        action="append",
        default=[],
        metavar="VERSION=PATH",
        help=(
            "generate VERSION from the OpenAPI document at PATH (passed on to scripts/generate.py); may be "
            f"repeated (default: each of {', '.join(API_VERSIONS)} from its spec in openapi/)"
        ),
    )
    args = parser.parse_args(argv)
    checked: Path = args.generated_dir.absolute()
    shown = _shown(checked)
    if not checked.is_dir():
        parser.error(f"--generated-dir {args.generated_dir}: no such folder")

    with tempfile.TemporaryDirectory(prefix="lava-check-generated-") as scratch:
        fresh = Path(scratch) / "generated"
        specs = [argument for given in args.spec for argument in ("--spec", given)]
        result = subprocess.run(  # noqa: S603 (our own script, run by the interpreter running this one)
            [sys.executable, str(GENERATE), "--output-dir", str(fresh / PACKAGE_NAME), *specs],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            print(result.stdout + result.stderr, end="", file=sys.stderr)
            print(
                f"error: could not regenerate {shown} to compare with it (scripts/generate.py exited "
                f"{result.returncode}; its report is above). Fix that first, then run `make generate`.",
                file=sys.stderr,
            )
            return 1
        return _report(checked, fresh, shown)


def _report(checked: Path, fresh: Path, shown: str) -> int:
    checked_files = _files(checked)
    fresh_files = _files(fresh)
    extra = sorted(checked_files.keys() - fresh_files.keys())
    missing = sorted(fresh_files.keys() - checked_files.keys())
    both = checked_files.keys() & fresh_files.keys()
    changed = sorted(name for name in both if checked_files[name] != fresh_files[name])
    if not (extra or missing or changed):
        print(f"OK: {shown} is exactly what openapi/ generates ({len(fresh_files)} files).")
        return 0

    print(f"{shown} differs from what openapi/ generates:")
    for label, names in (
        ("changed", changed),
        ("not generated (only in the checked-in folder)", extra),
        ("missing (generated, but not in the checked-in folder)", missing),
    ):
        for name in names:
            print(f"  {label}: {name}")
    diff: list[str] = []
    for name in sorted([*changed, *extra, *missing]):
        diff.extend(_diff(name, checked_files.get(name), fresh_files.get(name), shown))
    print()
    print("\n".join(diff[:MAX_DIFF_LINES]))
    if len(diff) > MAX_DIFF_LINES:
        print(f"... {len(diff) - MAX_DIFF_LINES} more lines of diff not shown.")
    print()
    print(f"{shown} is out of date or was edited by hand. {FIX}")
    return 1


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.relative_to(folder).parts
    }


def _diff(name: str, checked: bytes | None, fresh: bytes | None, shown: str) -> list[str]:
    """A unified diff from the checked-in file to the regenerated one (an absent file counts as empty)."""
    try:
        checked_lines = (checked or b"").decode().splitlines()
        fresh_lines = (fresh or b"").decode().splitlines()
    except UnicodeDecodeError:
        return [f"Binary file {name} differs"]
    if checked_lines == fresh_lines:
        if checked is None or fresh is None:
            return [f"{name}: an empty file, on one side only"]
        # splitlines() hides line endings and a missing final newline, so the diff would be empty.
        return [f"{name}: line endings or the final newline differ"]
    return list(
        difflib.unified_diff(
            checked_lines,
            fresh_lines,
            fromfile=f"{shown}/{name}" if checked is not None else "/dev/null",
            tofile=f"regenerated/{name}" if fresh is not None else "/dev/null",
            lineterm="",
        )
    )


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
