"""Prove that the spec drives everything: change only openapi/, and the client, server and suite follow.

For each change of `CHANGES` (`make spec-flow`, part of `make test`), in a copy of the project of its own:

1. copy the project: every file git tracks or would track (the working tree as it is, `.gitignore`d
   files aside), with `.venv` a link to this project's environment;
2. apply the change to the copy's `openapi/lava.yaml`, and nothing else;
3. run `make generate` there: the copy's client is generated from the changed spec;
4. run `make contract` there: the copy's reference server starts on the changed spec and the copy's suite,
   with the copy's generated client, tests it (fewer examples per test than a full run: `--examples`).

A change *flows through* when both steps pass, with no edit outside openapi/. A change that needs new
semantics cannot flow through by construction; `CHANGES` declares such a change with the one module to
edit and what a run must say, and the proof checks that it says so rather than passing or crashing.

The copy runs this project's virtual environment (through the `.venv` link, with make told not to
rebuild it), with `PYTHONPATH` putting the copy's own packages and generated client first. Before each
run it checks that the copy's `lava_spec`, `contract_tests` and `lava_client` are the ones imported, so
the proof can never pass by testing this project's code instead of the copy's.

Exit status: 0 when every change did what `CHANGES` says; 1 when one did not (its log's tail is printed);
2 on bad arguments.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lava_spec import SPEC_PATH

ROOT = Path(__file__).resolve().parents[1]
STEP_TIMEOUT_SECONDS = 600
DEFAULT_EXAMPLES = 10
# How the copy's make runs: `-o .venv/.synced` because the environment is this project's, already built
# (make must not rebuild it), and `ARGS=` because a caller's `make spec-flow ARGS=...` is not for it.
COPY_MAKE = ("make", "--no-print-directory", "-o", ".venv/.synced", "ARGS=")
_LOG_TAIL_LINES = 40
_IMPORT_CHECK = (
    "import sys, lava_spec, contract_tests, lava_client; "
    "root = sys.argv[1]; "
    "modules = (lava_spec, contract_tests, lava_client); "
    "bad = [m.__name__ for m in modules if not m.__file__.startswith(root)]; "
    "print('imported from outside the copy: ' + ', '.join(bad)) if bad else None; "
    "raise SystemExit(1 if bad else 0)"
)

Document = dict[str, Any]


@dataclass(frozen=True)
class Change:
    """One change to the spec, and what must follow from it."""

    name: str
    description: str
    apply: Callable[[Document], None]
    # None: it must flow through. Otherwise the change needs code: the module to edit, and a phrase the
    # failing run must print (so the proof checks that it fails by saying where to edit, not by crashing).
    needs_code: tuple[str, str] | None = None


def _schemas(document: Document) -> dict[str, Any]:
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


def _new_response_field(document: Document) -> None:
    _schemas(document)["SpendKey"]["properties"]["team_label"] = {
        "type": "string",
        "description": "A label the server may show; optional.",
    }


def _new_request_field(document: Document) -> None:
    field = {"type": "string", "maxLength": 64, "description": "The team that owns the key; optional."}
    for name in ("SpendKeyCreate", "SpendKeyUpdate", "SpendKey"):
        _schemas(document)[name]["properties"]["team"] = copy.deepcopy(field)


def _new_enum_value(document: Document) -> None:
    _schemas(document)["Cycle"]["enum"].append("yearly")


def _tighter_constraints(document: Document) -> None:
    _schemas(document)["SpendKeyName"]["maxLength"] = 128
    for path_item in document["paths"].values():
        for parameter in path_item.get("get", {}).get("parameters", []):
            if parameter.get("name") == "limit":
                parameter["schema"]["maximum"] = 50


def _new_error_status(document: Document) -> None:
    document["components"]["responses"]["Conflict"] = {
        "description": "The request conflicts with the key's current state.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for path_item in document["paths"].values():
        for method, operation in path_item.items():
            if method in {"post", "put", "delete"}:
                operation["responses"]["409"] = {"$ref": "#/components/responses/Conflict"}


def _no_manage_prefix(document: Document) -> None:
    document["paths"] = {path.removeprefix("/manage"): item for path, item in document["paths"].items()}


def _new_operation(document: Document) -> None:
    item = next(path for path in document["paths"] if path.endswith("/{id}/rotate"))
    document["paths"][item.removesuffix("/rotate") + "/pause"] = {
        "parameters": [{"$ref": "#/components/parameters/SpendKeyId"}],
        "post": {
            "operationId": "pause_spend_key",
            "summary": "Pause a spend key",
            "tags": ["Spend Keys"],
            "security": [{"bearerAuth": []}],
            "responses": {
                "200": {
                    "description": "The key, paused.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SpendKey"}}},
                },
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "404": {"$ref": "#/components/responses/NotFound"},
            },
        },
    }


CHANGES: tuple[Change, ...] = (
    Change("response-field", "SpendKey gains an optional `team_label`", _new_response_field),
    Change("request-field", "create, update and SpendKey gain an optional `team`", _new_request_field),
    Change("enum-value", "Cycle gains `yearly`", _new_enum_value),
    Change(
        "tighter-constraints",
        "`name` at most 128 characters (was 255), the list's `limit` at most 50 (was 100)",
        _tighter_constraints,
    ),
    Change("error-status", "every POST, PUT and DELETE documents a 409", _new_error_status),
    Change("no-manage", "the `/manage` prefix removed from every path", _no_manage_prefix),
    Change(
        "new-operation",
        "a new operation, POST .../{id}/pause",
        _new_operation,
        needs_code=(
            "contract_tests/reference_server/app.py",
            "pause_spend_key",
        ),
    ),
)


@dataclass(frozen=True)
class Result:
    """How one change went."""

    change: Change
    ok: bool
    summary: str
    seconds: float
    log: Path


def copy_project(destination: Path) -> None:
    """Copy the working tree's files that git tracks or would track into `destination`, and link `.venv`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607 - git on PATH
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        source = ROOT / os.fsdecode(raw)
        if source.is_file():
            target = destination / os.fsdecode(raw)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (destination / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)


def apply_change(project: Path, change: Change) -> None:
    """Rewrite `project`'s spec with `change` (comments are lost; the meaning is what counts here)."""
    spec = project / SPEC_PATH.relative_to(ROOT)
    document: Document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    change.apply(document)
    spec.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _environment(project: Path, examples: int) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LAVA_", "CONTRACT_", "HYPOTHESIS_", "MAKE", "PYTHONPATH"))
        # A caller's `make ... ARGS=...` reaches us in the environment; it is not meant for the copy's make.
        and name not in {"ARGS", "SPEC_FLOW_JOBS"}
    }
    environment["PYTHONPATH"] = f"{project}{os.pathsep}{project / 'generated'}"
    environment["CONTRACT_MAX_EXAMPLES"] = str(examples)
    return environment


def run_change(change: Change, workdir: Path, examples: int) -> Result:
    """Copy, change, generate, serve and test; see the module docstring."""
    started = time.monotonic()
    project = workdir / change.name
    log = workdir / f"{change.name}.log"
    copy_project(project)
    apply_change(project, change)
    environment = _environment(project, examples)
    make = list(COPY_MAKE)
    steps = [
        ("generate", [*make, "generate"]),
        ("imports", [str(project / ".venv" / "bin" / "python"), "-c", _IMPORT_CHECK, str(project)]),
        ("contract", [*make, "contract"]),
    ]
    with log.open("w", encoding="utf-8") as output:
        for step, command in steps:
            output.write(f"$ {' '.join(command)}\n")
            output.flush()
            step_started = time.monotonic()
            try:
                finished = subprocess.run(  # noqa: S603 - our own make targets and interpreter
                    command,
                    cwd=project,
                    env=environment,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    timeout=STEP_TIMEOUT_SECONDS,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                return _result(change, ok=False, summary=f"{step} timed out", started=started, log=log)
            output.write(f"({step}: {time.monotonic() - step_started:.1f} s)\n")
            output.flush()
            if finished.returncode != 0:
                return _judged_failure(change, step, finished.returncode, started, log)
    if change.needs_code is not None:
        return _result(
            change,
            ok=False,
            summary=f"passed, but it was declared to need code in {change.needs_code[0]}: update CHANGES",
            started=started,
            log=log,
        )
    return _result(
        change, ok=True, summary="flows through: generated, served and tested", started=started, log=log
    )


def _judged_failure(change: Change, step: str, status: int, started: float, log: Path) -> Result:
    text = log.read_text(encoding="utf-8", errors="replace")
    if change.needs_code is None:
        return _result(change, ok=False, summary=f"{step} failed (exit {status})", started=started, log=log)
    module, phrase = change.needs_code
    said = module in text and phrase in text and "Traceback" not in text
    summary = (
        f"needs code, as declared: {step} stopped (exit {status}) naming {module}"
        if said
        else f"{step} failed (exit {status}) without naming {module} and {phrase!r}"
    )
    return _result(change, ok=said, summary=summary, started=started, log=log)


def _result(change: Change, *, ok: bool, summary: str, started: float, log: Path) -> Result:
    return Result(change, ok, summary, time.monotonic() - started, log)


def _tail(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(f"    {line}" for line in lines[-_LOG_TAIL_LINES:])


def main(argv: list[str] | None = None) -> int:
    """Run the changes asked for (all by default) and print one line each; see the module docstring."""
    names = [change.name for change in CHANGES]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--change", action="append", choices=names, help="run only this change (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="changes run side by side (default 2)")
    parser.add_argument(
        "--examples", type=int, default=DEFAULT_EXAMPLES, help="Hypothesis examples per test (default 10)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the copies and logs, and say where")
    arguments = parser.parse_args(argv)
    if arguments.jobs < 1 or arguments.examples < 1:
        parser.error("--jobs and --examples must be at least 1")
    chosen = [change for change in CHANGES if not arguments.change or change.name in arguments.change]
    workdir = Path(tempfile.mkdtemp(prefix="lava-spec-flow-"))
    try:
        with ThreadPoolExecutor(max_workers=arguments.jobs) as pool:
            results = list(pool.map(lambda change: run_change(change, workdir, arguments.examples), chosen))
        width = max(len(change.name) for change in chosen)
        for result in results:
            mark = "ok  " if result.ok else "FAIL"
            print(f"{mark} {result.change.name:<{width}}  {result.seconds:5.1f} s  {result.summary}")
            print(f"     {'':<{width}}  {result.change.description}")
        for result in results:
            if not result.ok:
                print(f"\n{result.change.name}: the last lines of {result.log.name}:\n{_tail(result.log)}")
        failed = sum(not result.ok for result in results)
        flowed = sum(result.ok and result.change.needs_code is None for result in results)
        print(
            f"\nspec-flow: {flowed} of {len(results)} changes flowed through with no edit outside openapi/; "
            f"{failed} did not do what CHANGES declares."
        )
        if arguments.keep:
            print(f"spec-flow: the copies and logs are in {workdir}")
        return 1 if failed else 0
    finally:
        if not arguments.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
