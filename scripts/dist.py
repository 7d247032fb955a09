"""Build lava-client's wheel and sdist from generated/ into dist/, reproducibly, and check them (`make dist`).

It builds with the hatchling and dependencies locked in uv.lock (no build isolation, so nothing newer is
fetched), with SOURCE_DATE_EPOCH set to the time of the last commit that changed openapi/lava.yaml (a
fixed time outside a git checkout), so the same sources give the same bytes on any machine and any day.
Then it runs `twine check --strict` on both, as PyPI would read their metadata and README, and prints
each file's sha256.

It does not generate (`make generate` does), check the version against the spec's changes
(scripts/release.py does) or upload anything (the release workflow does, from a tag).

Exit status: 0 built and checked; 1 the build or the check failed; 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from lava_spec import SPEC_PATH

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = ROOT / "generated"
# Not resolved: the venv's python is a symlink out of the venv, and the tools sit beside the link.
BIN_DIR = Path(sys.executable).absolute().parent
# 1980-01-01, the earliest time a zip file can hold: used when there is no git history to read.
FALLBACK_EPOCH = "315532800"


def main(argv: list[str] | None = None) -> int:
    """Build, check and list the distributions; return the exit status."""
    parser = argparse.ArgumentParser(description="Build lava-client's wheel and sdist reproducibly.")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "dist", help="where to write (default: dist/)")
    args = parser.parse_args(argv)
    out_dir: Path = args.out_dir.absolute()
    out_dir.mkdir(parents=True, exist_ok=True)
    # Only our own earlier builds are removed, so that the check below sees exactly this build.
    for old in out_dir.glob("lava_client-*"):
        old.unlink()

    epoch = source_date_epoch()
    environment = {**os.environ, "SOURCE_DATE_EPOCH": epoch, "PYTHONHASHSEED": "0"}
    build = [str(BIN_DIR / "uv"), "build", "--no-build-isolation", "--python", sys.executable, "--no-config"]
    build += ["--sdist", "--wheel", "--out-dir", str(out_dir), str(DISTRIBUTION)]
    built = subprocess.run(build, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if built.returncode != 0:
        print(built.stdout + built.stderr, file=sys.stderr)
        print(
            "error: building lava-client failed (report above). Run `make generate` and try again.",
            file=sys.stderr,
        )
        return 1
    files = sorted(out_dir.glob("lava_client-*"))
    check = [str(BIN_DIR / "twine"), "check", "--strict", *map(str, files)]
    checked = subprocess.run(check, capture_output=True, text=True, check=False)  # noqa: S603
    if checked.returncode != 0:
        print(checked.stdout + checked.stderr, file=sys.stderr)
        print("error: twine check failed on what was built (report above).", file=sys.stderr)
        return 1
    print(f"Built with SOURCE_DATE_EPOCH={epoch}; twine check --strict passed:")
    for path in files:
        print(f"  {hashlib.sha256(path.read_bytes()).hexdigest()}  {_shown(path)}")
    return 0


def source_date_epoch() -> str:
    """The commit time of the spec's last change, or FALLBACK_EPOCH without git history."""
    result = subprocess.run(  # noqa: S603 (git with our own arguments)
        ["git", "log", "-1", "--format=%ct", "--", str(SPEC_PATH)],  # noqa: S607 (git from PATH, as a person runs it)
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    stamp = result.stdout.strip()
    return stamp if result.returncode == 0 and stamp.isdigit() else FALLBACK_EPOCH


def _shown(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
