"""Measure what the contract suite catches: run it against every seeded fault and print a kill matrix.

`make mutation` calls this program. For each fault in the reference server's registry it starts that
faulty server in a thread, runs the contract suite against it in a subprocess (as against any staging
server: over HTTP, knowing nothing of the fault), stops at the first failure, and records which test and
check caught it and how long that took from launch. Beside each, the plain schemathesis CLI, with its
default settings, runs against the same server and spec as a baseline. Last, the suite runs against the
conforming server under several Hypothesis seeds: any failure there is a false alarm.

Writes reports/mutation.md and reports/mutation.json. Exits 0 when every fault is killed and the
conforming server passes under every seed, 1 otherwise, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from contract_tests.reference_server import FAULTS, create_app, running_server
from contract_tests.target import loopback_environment

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "openapi" / "lava.yaml"
BIN = Path(sys.executable).parent
# Loopback-only test tokens of the servers this program starts; not secrets.
TOKEN = "mutation_token_wallet_1"  # noqa: S105 - loopback-only
SECOND_TOKEN = "mutation_token_wallet_2"  # noqa: S105
WALLETS = {TOKEN: "wallet_1", SECOND_TOKEN: "wallet_2"}
# The subset `make test` runs: two faults of each class, chosen to exercise each kind of test (schema
# checks, negative data, auth, the lifecycle model, pagination, the proxy).
SUBSET = (
    "missing_key_preview",
    "negative_current_requests",
    "create_answers_200",
    "error_without_envelope",
    "accepts_long_name",
    "accepts_malformed_json",
    "accepts_wrong_token",
    "cross_wallet_visibility",
    "rotate_resets_usage",
    "pagination_skips",
    "idempotency_ignored",
    "old_key_works_after_rotate",
)
SUITE_TIMEOUT_SECONDS = 600
CONFORMING = "(none: conforming server)"
_FIRST_CHECK = re.compile(r"\b(ST\d{3})\b[^\n]*")


@dataclass
class Outcome:
    """One run against one server: did it fail, where first, and when."""

    killed: bool
    caught_by: str
    seconds: float


@dataclass
class Row:
    """A fault and what the suite and the baseline made of it."""

    fault: str
    fault_class: str
    suite: Outcome
    baseline: Outcome | None


def _environment(base_url: str, extra: dict[str, str]) -> dict[str, str]:
    return loopback_environment(base_url, TOKEN, SECOND_TOKEN, PYTHONPATH=str(ROOT / "scripts"), **extra)


def run_suite(fault: str | None, seed: int, scratch: Path) -> Outcome:
    """The contract suite against a server with `fault` (None: conforming), stopping at the first failure."""
    name = fault or "conforming"
    probe = scratch / f"{name}-{seed}.json"
    with running_server(create_app(WALLETS, fault=fault)) as base_url:
        started = time.time()
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
                f"--junitxml={scratch / f'{name}-{seed}.xml'}",
            ],
            cwd=ROOT,
            env=_environment(
                base_url,
                {
                    "CONTRACT_SEED": str(seed),
                    "FIRST_FAILURE_PATH": str(probe),
                    # Each run its own example database: no run replays another fault's failures.
                    "CONTRACT_DATABASE_DIR": str(scratch / f"{name}-{seed}.hypothesis"),
                },
            ),
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT_SECONDS,
            check=False,
        )
        finished = time.time()
    report = json.loads(probe.read_text(encoding="utf-8")) if probe.exists() else None
    if report is None:
        tail = (completed.stdout + completed.stderr).strip().splitlines()[-3:]
        return Outcome(
            killed=True, caught_by="suite crashed: " + " / ".join(tail), seconds=finished - started
        )
    first = report["first_failure"]
    if first is None:
        return Outcome(killed=completed.returncode != 0, caught_by="", seconds=finished - started)
    return Outcome(killed=True, caught_by=f"{first['test']}: {first['check']}", seconds=first["at"] - started)


def run_baseline(fault: str | None, scratch: Path) -> Outcome:
    """The schemathesis CLI, default settings, against a server with `fault`."""
    with running_server(create_app(WALLETS, fault=fault)) as base_url:
        started = time.time()
        completed = subprocess.run(  # noqa: S603 - schemathesis from this venv
            [
                str(BIN / "schemathesis"),
                "run",
                str(SPEC),
                "--url",
                base_url,
                "--header",
                f"Authorization: Bearer {TOKEN}",
            ],
            # Outside the repository, so no schemathesis.toml of ours changes the defaults.
            cwd=scratch,
            env=_environment(base_url, {}),
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


def _parallel(jobs: int, work: Iterable[Work], task: Callable[[Work], Result]) -> list[Result]:
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(task, work))


def _cell(outcome: Outcome | None) -> tuple[str, str, str]:
    if outcome is None:
        return ("-", "", "")
    return ("killed" if outcome.killed else "SURVIVED", outcome.caught_by, f"{outcome.seconds:.1f}")


def render_markdown(rows: list[Row], conforming: list[Outcome], seeds: list[int]) -> str:
    """The kill matrix and the false-alarm runs, as a Markdown document."""
    killed = sum(row.suite.killed for row in rows)
    baseline_rows = [row for row in rows if row.baseline is not None]
    baseline_killed = sum(row.baseline.killed for row in baseline_rows if row.baseline is not None)
    lines = [
        "# Kill matrix",
        "",
        f"Suite: {killed}/{len(rows)} faults killed"
        + (f" ({100 * killed / len(rows):.0f}%)" if rows else "")
        + (f"; slowest detection {max(row.suite.seconds for row in rows):.1f} s." if rows else "."),
    ]
    if baseline_rows:
        lines.append(
            f"Baseline (schemathesis CLI, default settings): {baseline_killed}/{len(baseline_rows)} killed "
            f"({100 * baseline_killed / len(baseline_rows):.0f}%)."
        )
    false_alarms = [seed for seed, outcome in zip(seeds, conforming, strict=True) if outcome.killed]
    lines += [
        f"Conforming server: {len(seeds) - len(false_alarms)}/{len(seeds)} seeds passed"
        + (f"; FALSE ALARMS under seeds {false_alarms}" if false_alarms else "")
        + ".",
        "",
        "| fault | class | suite | first caught by | s | baseline | baseline check | s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        cells = [row.fault, row.fault_class, *_cell(row.suite), *_cell(row.baseline)]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    for seed, outcome in zip(seeds, conforming, strict=True):
        verdict = "FALSE ALARM" if outcome.killed else "passed"
        lines.append(
            f"| {CONFORMING} | seed {seed} | {verdict} | {outcome.caught_by.replace('|', '/')} "
            f"| {outcome.seconds:.1f} | | | |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Run the matrix; see the module docstring."""
    parser = argparse.ArgumentParser(description="Run the contract suite against every seeded fault.")
    parser.add_argument("--faults", nargs="+", metavar="NAME", help="only these faults (default: all)")
    parser.add_argument("--subset", action="store_true", help="the fixed subset that `make test` runs")
    parser.add_argument("--seeds", type=int, default=20, help="conforming runs, one seed each (default 20)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2, one per core)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the schemathesis CLI baseline")
    parser.add_argument("--report-dir", type=Path, default=ROOT / "reports", help="where to write reports")
    args = parser.parse_args(argv)
    names = list(SUBSET) if args.subset else (args.faults or sorted(FAULTS))
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s) {unknown}; `make serve ARGS=--list-faults` lists them")
    if args.seeds < 0 or args.jobs < 1:
        parser.error("--seeds must be >= 0 and --jobs >= 1")
    seeds = list(range(1, args.seeds + 1))

    # The CLI's malformed requests make uvicorn warn "Invalid HTTP request received." by the hundred; a
    # filter, since uvicorn resets its loggers' levels when each server starts.
    logging.getLogger("uvicorn.error").addFilter(
        lambda record: "Invalid HTTP request" not in record.getMessage()
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lava-mutation-") as scratch_name:
        scratch = Path(scratch_name)
        suite = _parallel(args.jobs, names, lambda name: run_suite(name, 0, scratch))
        baseline: list[Outcome | None] = (
            [None] * len(names)
            if args.no_baseline
            else list(_parallel(args.jobs, names, lambda name: run_baseline(name, scratch)))
        )
        conforming = _parallel(args.jobs, seeds, lambda seed: run_suite(None, seed, scratch))
    rows = [
        Row(name, FAULTS[name].fault_class, outcome, base)
        for name, outcome, base in zip(names, suite, baseline, strict=True)
    ]
    rows.sort(key=lambda row: (row.fault_class, row.fault))
    markdown = render_markdown(rows, conforming, seeds)
    args.report_dir.mkdir(parents=True, exist_ok=True)
    (args.report_dir / "mutation.md").write_text(markdown, encoding="utf-8")
    (args.report_dir / "mutation.json").write_text(
        json.dumps(
            {"faults": [asdict(row) for row in rows], "conforming": [asdict(o) for o in conforming]}, indent=2
        ),
        encoding="utf-8",
    )
    print(markdown)
    print(f"mutation: {time.monotonic() - started:.0f} s; wrote {args.report_dir / 'mutation.md'}")
    survived = [row.fault for row in rows if not row.suite.killed]
    false_alarms = [seed for seed, outcome in zip(seeds, conforming, strict=True) if outcome.killed]
    if survived or false_alarms:
        print(
            f"mutation: FAILED: survived {survived}, false alarms under seeds {false_alarms}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
