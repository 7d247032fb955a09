"""Try the built lava-client wheel under each Python it supports: 3.11 (the lowest), 3.12 and 3.13.

`make test-pythons` builds the wheel (`make dist`) and runs these sessions. Each installs that wheel, and
nothing else, into a fresh virtual environment of its Python (nox with uv), then runs
scripts/try_wheel.py from the development environment against it: every module imports, only declared
dependencies are installed, and the README example runs against the reference server.

It does not build the wheel (it refuses to run without one), and it is not part of `make test`, which
needs nothing but Python 3.11: these need 3.12 and 3.13 too (pyenv's, under ~/.pyenv/versions). Three
sessions take about 15 seconds once uv's cache holds the dependencies.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYTHONS = ["3.11", "3.12", "3.13"]

nox.needs_version = "==2026.10.20"
nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
# pyenv's interpreters go on PATH, where uv looks for them, so no pyenv shell set-up is needed; and uv
# must never fetch an interpreter of its own: a missing Python is an error, not a download.
PYENV_BINS = sorted((Path.home() / ".pyenv" / "versions").glob("3.*/bin"), reverse=True)
os.environ["PATH"] = os.pathsep.join([*map(str, PYENV_BINS), os.environ.get("PATH", "")])
os.environ["UV_PYTHON_DOWNLOADS"] = "never"


@nox.session(python=PYTHONS)
def wheel(session: nox.Session) -> None:
    """Install dist/'s wheel alone and try it with scripts/try_wheel.py."""
    wheels = sorted((ROOT / "dist").glob("lava_client-*-py3-none-any.whl"))
    if len(wheels) != 1:
        session.error(f"expected one lava_client wheel in dist/, found {len(wheels)}: run `make dist` first")
    session.install(str(wheels[0]))
    python = str(Path(session.bin) / "python")
    # The development environment's interpreter: it starts the reference server the example talks to.
    session.run(sys.executable, str(ROOT / "scripts" / "try_wheel.py"), "--python", python, external=True)
