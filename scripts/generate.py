"""Regenerate the typed client package, generated/lava_client, from the OpenAPI spec (`make generate`).

It runs the pinned openapi-python-client over openapi/lava.yaml with openapi/generator.yaml and the custom
templates in openapi/templates/, into a staging folder. There it adds what the generator does not write:

- the hand-written runtime modules of openapi/runtime/ (retries, pagination), copied as they are beside the
  generated modules that import them, each under a header that says where to edit it;

- an empty ``py.typed`` (the generator writes one only with package metadata, which we do not generate);
- a comment on top of every module saying that it is generated and how to regenerate it (a step here, not
  a template: that would mean copying every stock template that writes a module, for one line each);
- ``_generated.json``, a record of what produced the package, in the spirit of Stainless's ``.stats.yml``:
  the versions of openapi-python-client and ruff, and the sha256 of the spec, of the generator config and
  of the templates and of the runtime modules (for a folder: the sha256 of one line per file, sorted by
  its path relative to the folder, each line that path, a NUL byte, the file's sha256 and a newline).

Only when all of that has worked does it replace the output folder, so a failed run leaves it as it was.
The output is byte for byte the same on every run and machine: it holds no absolute path, time or
version of Python, and the formatter runs isolated from any ruff configuration around it.

It does not check that generated/ is up to date (scripts/check_generated.py does), and it changes no
generated code beyond the header: every other customisation lives in openapi/, beside the spec.

Exit status: 0 when the package was written; 1 when the generator failed or warned (nothing was written);
2 on bad arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "openapi" / "lava.yaml"
CONFIG = ROOT / "openapi" / "generator.yaml"
TEMPLATES = ROOT / "openapi" / "templates"
RUNTIME = ROOT / "openapi" / "runtime"
DEFAULT_OUTPUT_DIR = ROOT / "generated" / "lava_client"
PACKAGE_NAME = "lava_client"
RECORD_NAME = "_generated.json"

# Not resolved: the venv's python is a symlink out of the venv, and the tools sit beside the link.
BIN_DIR = Path(sys.executable).absolute().parent
GENERATOR = BIN_DIR / "openapi-python-client"


class GenerationError(Exception):
    """Generation failed: the message says what failed and what to do; report holds the tool's own output."""

    def __init__(self, message: str, report: str = "") -> None:
        super().__init__(message)
        self.report = report


def main(argv: list[str] | None = None) -> int:
    """Generate the package into --output-dir; return the exit status."""
    parser = argparse.ArgumentParser(
        description="Regenerate the client package from the OpenAPI spec (what `make generate` runs)."
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        metavar="DIR",
        help="the package folder to (re)write (default: generated/lava_client)",
    )
    parser.add_argument(
        "--spec",
        type=Path,
        default=DEFAULT_SPEC,
        metavar="PATH",
        help="the OpenAPI document to generate from (default: openapi/lava.yaml)",
    )
    args = parser.parse_args(argv)
    spec: Path = args.spec.absolute()
    output_dir: Path = args.output_dir.absolute()
    if not spec.is_file():
        parser.error(f"--spec {args.spec}: no such file")
    refusal = _refusal_to_replace(output_dir)
    if refusal:
        parser.error(f"--output-dir {args.output_dir}: {refusal}")

    try:
        with tempfile.TemporaryDirectory(prefix="lava-generate-") as staging_root:
            # The same folder name on every run: ruff's import sorting can depend on it.
            staging = Path(staging_root) / PACKAGE_NAME
            generate(spec, staging)
            _replace(output_dir, staging)
    except GenerationError as error:
        if error.report.strip():
            print(error.report.rstrip(), end="\n\n", file=sys.stderr)
        print(f"error: {error} {_shown(output_dir)} was left as it was.", file=sys.stderr)
        return 1
    print(f"Generated {_shown(output_dir)} from {_shown(spec)}.")
    return 0


def generate(spec: Path, package_dir: Path) -> None:
    """Write the finished package, generated from spec, into package_dir (which must not exist yet)."""
    if not GENERATOR.is_file():
        raise GenerationError(
            f"{GENERATOR} does not exist. Run this script with the virtual environment's python "
            "(`make generate` does), after `make venv`."
        )
    environment = _tool_environment()
    _require_pinned_ruff(environment)
    command = [
        str(GENERATOR),
        "generate",
        "--path",
        str(spec),
        "--config",
        str(CONFIG),
        "--custom-template-path",
        str(TEMPLATES),
        "--meta",
        "none",
        "--output-path",
        str(package_dir),
        "--overwrite",
        "--fail-on-warning",
    ]
    result = subprocess.run(  # noqa: S603 (the venv's own generator, with our own arguments)
        command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise GenerationError(
            f"openapi-python-client failed or warned (exit status {result.returncode}) while generating from "
            f"{_shown(spec)}; its report is above. Fix {_shown(spec)}, openapi/generator.yaml or "
            "openapi/templates/ and run `make generate` again.",
            report=result.stdout + result.stderr,
        )
    _finish_package(package_dir, spec, environment)


def _finish_package(package_dir: Path, spec: Path, environment: dict[str, str]) -> None:
    header = (
        f"# Generated from {_recorded(spec)} by openapi-python-client: do not edit this file.\n"
        "# Change openapi/ (the spec, generator.yaml or templates/) and run `make generate` instead.\n\n"
    )
    for module in sorted(package_dir.rglob("*.py")):
        module.write_bytes(header.encode() + module.read_bytes())
    # The post-hooks run again so that the header is formatted by exactly the rules that formatted the rest.
    _run_post_hooks(package_dir, environment)
    # After the post-hooks: the runtime modules are copied byte for byte, formatted by our own ruff rules.
    for source in _runtime_modules():
        target = package_dir / source.name
        if target.exists():
            raise GenerationError(
                f"{_recorded(source)} would replace the generated module {source.name}: "
                "rename it in openapi/runtime/."
            )
        runtime_header = (
            f"# Hand-written in {_recorded(source)}, not generated: edit it there, then run "
            "`make generate`,\n"
            "# which copies it here unchanged (but for this header).\n\n"
        )
        target.write_bytes(runtime_header.encode() + source.read_bytes())
    py_typed = package_dir / "py.typed"
    if not py_typed.exists():
        py_typed.write_bytes(b"")
    record = {
        "about": "What produced this package; written by scripts/generate.py (`make generate`), not by hand.",
        "generator": {
            "name": "openapi-python-client",
            "version": importlib.metadata.version("openapi-python-client"),
        },
        "formatter": {"name": "ruff", "version": importlib.metadata.version("ruff")},
        "spec": {"path": _recorded(spec), "sha256": _sha256(spec.read_bytes())},
        "generator_config": {"path": _recorded(CONFIG), "sha256": _sha256(CONFIG.read_bytes())},
        "templates": {"path": _recorded(TEMPLATES), "sha256": _folder_sha256(TEMPLATES, _templates())},
        "runtime": {"path": _recorded(RUNTIME), "sha256": _folder_sha256(RUNTIME, _runtime_modules())},
    }
    (package_dir / RECORD_NAME).write_bytes((json.dumps(record, indent=2, sort_keys=True) + "\n").encode())


def _run_post_hooks(package_dir: Path, environment: dict[str, str]) -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for hook in config.get("post_hooks") or []:
        result = subprocess.run(  # noqa: S603 (the hooks are our own config, the same the generator runs)
            shlex.split(hook), cwd=package_dir, env=environment, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise GenerationError(
                f"The post-hook `{hook}` of openapi/generator.yaml failed (report above) when "
                "scripts/generate.py ran it again after adding the do-not-edit header. Make sure "
                "openapi/templates/ render valid Python, then run `make generate` again.",
                report=result.stdout + result.stderr,
            )


def _tool_environment() -> dict[str, str]:
    """The environment for the generator and its post-hooks: the pinned tools, nothing that retunes them."""
    environment = {
        name: value
        for name, value in os.environ.items()
        # RUFF_* would change how the post-hooks format; PYTHONPATH could load another generator.
        if not name.startswith("RUFF_") and name != "PYTHONPATH"
    }
    # The post-hooks call plain `ruff`: the venv's comes first, so it is the pinned one.
    environment["PATH"] = os.pathsep.join(filter(None, [str(BIN_DIR), environment.get("PATH")]))
    # The output must not depend on the order of a set, should the generator ever iterate one.
    environment["PYTHONHASHSEED"] = "0"
    return environment


def _require_pinned_ruff(environment: dict[str, str]) -> None:
    found = shutil.which("ruff", path=environment["PATH"])
    if found is None or Path(found).parent != BIN_DIR:
        raise GenerationError(
            f"The post-hooks would run {found or 'no ruff at all'}, not the ruff pinned in uv.lock "
            f"(expected in {BIN_DIR}). Run `make venv`, then `make generate`."
        )


def _refusal_to_replace(output_dir: Path) -> str | None:
    """Why output_dir must not be replaced, or None: only a package this script wrote is ever deleted."""
    if not output_dir.exists():
        return None
    if not output_dir.is_dir():
        return "exists and is not a folder"
    if any(output_dir.iterdir()) and not (output_dir / RECORD_NAME).is_file():
        return (
            f"holds files but no {RECORD_NAME}, so this script did not write it and will not delete it; "
            "choose an empty or new folder"
        )
    return None


def _replace(output_dir: Path, package_dir: Path) -> None:
    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(package_dir, output_dir)


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.jinja"))


def _runtime_modules() -> list[Path]:
    return sorted(RUNTIME.glob("*.py"))


def _folder_sha256(folder: Path, files: list[Path]) -> str:
    names = sorted(path.relative_to(folder).as_posix() for path in files)
    lines = [f"{name}\0{_sha256((folder / name).read_bytes())}\n" for name in names]
    return _sha256("".join(lines).encode())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _recorded(path: Path) -> str:
    """The path as the generated files name it: relative to the repository, never machine-specific."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def _shown(path: Path) -> str:
    """The path as messages name it: relative to the repository when inside it, else in full."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
