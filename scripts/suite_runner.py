"""Run the contract suite, or the schemathesis CLI, against a reference server started in this process.

Shared by scripts/mutation.py (every seeded fault, fixed seeds) and scripts/false_alarms.py (the
conforming server, fresh seeds), so that both run the suite the same way: over HTTP, against a server
started in a thread with both wallets and the proxy, with the seed given to schemathesis (CONTRACT_SEED)
and to Hypothesis (--hypothesis-seed), each run with an example database of its own, stopping at the
first failure. The `_first_failure` plugin says which test and check failed first, and when.

Every run is of one version of Lava's API, `api_version` (default: the one LAVA_API_VERSION names, v0
when it is not set): the server serves that version's spec, with the loopback tokens as that spec takes
them (`dev_token`: a merchant secret key's prefix for v2), the suite runs with LAVA_API_VERSION set to
it, and the schemathesis baseline reads that spec.

It neither chooses faults or seeds nor writes reports: its callers do.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette

from contract_tests.reference_server import create_app, dev_token, running_server
from contract_tests.target import loopback_environment
from lava_spec import API_VERSION_VARIABLE, Spec, load_spec, selected_api_version, spec_path, version_of

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Loopback-only test tokens of the servers this module starts, before a spec's prefix; not secrets.
TOKEN = "mutation_token_wallet_1"  # noqa: S105 - loopback-only
SECOND_TOKEN = "mutation_token_wallet_2"  # noqa: S105
WALLET_IDS = ("wallet_1", "wallet_2")
SUITE_TIMEOUT_SECONDS = 600
_FIRST_CHECK = re.compile(r"\b(ST\d{3})\b[^\n]*")


@dataclass
class Outcome:
    """One run against one server: did it fail, where first, and when."""

    killed: bool
    caught_by: str
    seconds: float


@dataclass
class SuiteRun:
    """One run of the suite in full: its outcome and what it left behind to inspect."""

    outcome: Outcome
    exit_code: int | None
    # The first failure as `_first_failure` saw it ({"test", "nodeid", "check", "at"}), if any.
    first_failure: dict[str, Any] | None
    # pytest's terminal output (stdout, then stderr), redacted by the suite; empty when not captured.
    output: str
    junit: Path
    probe: Path
    # The replay records of the run's failures (contract_tests/replay.py), when it wrote any.
    replays: Path


def served_spec(api_version: str | None = None) -> Spec:
    """The spec of `api_version` (default: LAVA_API_VERSION's); UnknownApiVersionError for an unknown one."""
    return load_spec(spec_path(selected_api_version() if api_version is None else api_version))


def tokens(spec: Spec) -> tuple[str, str]:
    """The loopback tokens of the two wallets, as credentials of `spec`'s API."""
    return dev_token(spec, TOKEN), dev_token(spec, SECOND_TOKEN)


def server(fault: str | None, spec: Spec) -> Starlette:
    """A reference server of `spec` with `fault` (None: conforming) and both wallets."""
    return create_app(dict(zip(tokens(spec), WALLET_IDS, strict=True)), spec_path=spec.path, fault=fault)


def environment(base_url: str, extra: dict[str, str], spec: Spec | None = None) -> dict[str, str]:
    """The environment of a run against `base_url` of `spec`: both tokens, the proxy, the version, `extra`."""
    spec = served_spec() if spec is None else spec
    version = version_of(spec.path)
    # `extra` goes on top here rather than as keyword arguments, which could collide with the function's own.
    return {
        **loopback_environment(base_url, *tokens(spec)),
        **({API_VERSION_VARIABLE: version} if version is not None else {}),
        "PYTHONPATH": str(ROOT / "scripts"),
        **extra,
    }


def run_suite_in_full(  # noqa: PLR0913 - the run's own options are keyword-only
    fault: str | None,
    seed: int,
    scratch: Path,
    *,
    capture: bool = True,
    pytest_args: Iterable[str] = (),
    api_version: str | None = None,
) -> SuiteRun:
    """The contract suite against a new server with `fault` (None: conforming), stopping at the first failure.

    With `capture=False` pytest writes to this process's terminal (a replay); `pytest_args` go after ours.
    The server serves, and the suite tests, `api_version` (default: LAVA_API_VERSION's).
    """
    spec = served_spec(api_version)
    name = fault or "conforming"
    probe = scratch / f"{name}-{seed}.json"
    junit = scratch / f"{name}-{seed}.xml"
    replays = scratch / f"{name}-{seed}-replays"
    with running_server(server(fault, spec)) as base_url:
        started = time.time()
        try:
            completed = subprocess.run(  # noqa: S603 - pytest from this venv, on our own suite
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    str(ROOT / "contract_tests"),
                    "-x",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "-p",
                    "_first_failure",
                    f"--hypothesis-seed={seed}",
                    f"--junitxml={junit}",
                    *pytest_args,
                ],
                cwd=ROOT,
                env=environment(
                    base_url,
                    {
                        "CONTRACT_SEED": str(seed),
                        "FIRST_FAILURE_PATH": str(probe),
                        # Each run its own example database: no run replays another run's failures.
                        "CONTRACT_DATABASE_DIR": str(scratch / f"{name}-{seed}.hypothesis"),
                        # Runs side by side must not write one another's records into reports/replays.
                        "CONTRACT_REPLAY_DIR": str(replays),
                    },
                    spec,
                ),
                capture_output=capture,
                text=True,
                timeout=SUITE_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            # A hung run must not take the other runs down with it: it failed, and says so.
            outcome = Outcome(
                killed=True,
                caught_by=f"suite timed out after {SUITE_TIMEOUT_SECONDS} s",
                seconds=time.time() - started,
            )
            return SuiteRun(outcome, None, None, "", junit, probe, replays)
        finished = time.time()
    output = (completed.stdout or "") + (completed.stderr or "")
    report = json.loads(probe.read_text(encoding="utf-8")) if probe.exists() else None
    if report is None:
        tail = output.strip().splitlines()[-3:]
        outcome = Outcome(
            killed=True, caught_by="suite crashed: " + " / ".join(tail), seconds=finished - started
        )
        return SuiteRun(outcome, completed.returncode, None, output, junit, probe, replays)
    first = report["first_failure"]
    if first is None:
        outcome = Outcome(killed=completed.returncode != 0, caught_by="", seconds=finished - started)
    else:
        outcome = Outcome(
            killed=True, caught_by=f"{first['test']}: {first['check']}", seconds=first["at"] - started
        )
    return SuiteRun(outcome, completed.returncode, first, output, junit, probe, replays)


def run_suite(fault: str | None, seed: int, scratch: Path, api_version: str | None = None) -> Outcome:
    """The contract suite against a server with `fault` (None: conforming), stopping at the first failure."""
    return run_suite_in_full(fault, seed, scratch, api_version=api_version).outcome


def run_baseline(fault: str | None, scratch: Path, api_version: str | None = None) -> Outcome:
    """The schemathesis CLI, default settings, against a server with `fault`, given the version's spec."""
    spec = served_spec(api_version)
    with running_server(server(fault, spec)) as base_url:
        started = time.time()
        completed = subprocess.run(  # noqa: S603 - schemathesis from this venv
            [
                str(BIN / "schemathesis"),
                "run",
                str(spec.path),
                "--url",
                base_url,
                "--header",
                f"Authorization: Bearer {tokens(spec)[0]}",
            ],
            # Outside the repository, so no schemathesis.toml of ours changes the defaults.
            cwd=scratch,
            env=environment(base_url, {}, spec),
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT_SECONDS,
            check=False,
        )
        seconds = time.time() - started
    match = _FIRST_CHECK.search(completed.stdout)
    return Outcome(
        killed=completed.returncode != 0,
        caught_by=match.group(0).strip()[:120] if match else "",
        seconds=seconds,
    )


Work = TypeVar("Work")
Result = TypeVar("Result")


def parallel(jobs: int, work: Iterable[Work], task: Callable[[Work], Result]) -> list[Result]:
    """`task` over `work`, `jobs` at a time, results in the order of `work`."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(task, work))


def quiet_uvicorn() -> None:
    """Drop uvicorn's "Invalid HTTP request received." warnings: malformed requests cause them by the hundred.

    A filter, since uvicorn resets its loggers' levels when each server starts.
    """
    logging.getLogger("uvicorn.error").addFilter(
        lambda record: "Invalid HTTP request" not in record.getMessage()
    )
