"""Measure the suite's false alarms: the whole contract suite against the conforming server, fresh seeds.

`make false-alarms RUNS=200` calls this program. Each run is the whole of contract_tests/, run exactly as
scripts/mutation.py runs it against the conforming server (scripts/suite_runner.py: over HTTP, against a
reference server started in this process with both wallets and the proxy, stopping at the first failure
within the run), under one seed drawn from `secrets`. The seeds are never fixed: a suite that passes
under seeds 1..20 has shown only that those twenty do not raise a false alarm. Runs go `--jobs` at a
time, and a failing run does not stop the others.

Writes reports/false-alarms.md and reports/false-alarms.json (every seed; each failure with its test,
check and the command that repeats it), keeps each failing run's junit XML, terminal output and
first-failure record (already redacted by the suite) in reports/false-alarms/, and prints one line,
"N runs, K false alarms, X s". Exits 0 when no run failed, 1 when one did, 2 on bad usage.

`--replay SEED` repeats one run: the same server, environment, pytest arguments and seed, with a new
example database as every run has, and pytest's output on the terminal; arguments after `--` go to
pytest (`-- --pdb`). `--fault NAME`, for this program's own tests, points every run at a faulty server
instead, to show what a failure and its reproduction look like.

It does not judge whether a failure is flaky or shrink its example; it reports the seed that failed.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from suite_runner import ROOT, SuiteRun, parallel, quiet_uvicorn, run_suite_in_full

from contract_tests.reference_server import FAULTS
from lava_spec import UnknownApiVersionError, selected_api_version

# Seeds are drawn below this bound: any int works for Hypothesis and schemathesis, and shorter ones read
# better in a report.
SEED_BOUND = 2**32
PROGRAM = "scripts/false_alarms.py"


@dataclass
class RunResult:
    """One run under one seed: did it fail, where, and how to repeat it."""

    seed: int
    failed: bool
    seconds: float
    test: str = ""
    check: str = ""
    reproduce: str = ""
    files: list[str] = field(default_factory=list)


def draw_seeds(count: int) -> list[int]:
    """`count` distinct seeds, fresh from the operating system's random source on every call."""
    seeds: list[int] = []
    while len(seeds) < count:
        seed = 1 + secrets.randbelow(SEED_BOUND - 1)
        if seed not in seeds:
            seeds.append(seed)
    return seeds


def reproduction(seed: int, fault: str | None) -> str:
    """The command, run from the repository's root, that repeats the run under `seed`."""
    command = [".venv/bin/python", PROGRAM, "--replay", str(seed)]
    return shlex.join(command + (["--fault", fault] if fault else []))


def _result(run: SuiteRun, seed: int, fault: str | None, keep: Path) -> RunResult:
    """What a run says, keeping the files of a failing one in `keep`."""
    outcome = run.outcome
    if not outcome.killed:
        return RunResult(seed, failed=False, seconds=round(outcome.seconds, 1))
    if run.first_failure is not None:
        test = str(run.first_failure.get("nodeid", run.first_failure["test"]))
        check = str(run.first_failure["check"])
    else:
        # No test failed, yet the run did: a crash, a timeout, an error outside any test.
        test = "(no failing test)"
        check = outcome.caught_by or f"pytest exited {run.exit_code} without a failing test"
    keep.mkdir(parents=True, exist_ok=True)
    files = []
    for source, suffix in ((run.junit, ".xml"), (run.probe, ".json")):
        if source.exists():
            files.append(shutil.copyfile(source, keep / f"seed-{seed}{suffix}"))
    log = keep / f"seed-{seed}.log"
    log.write_text(run.output, encoding="utf-8")
    files.append(log)
    if run.replays.is_dir():
        files.append(Path(shutil.copytree(run.replays, keep / f"seed-{seed}-replays", dirs_exist_ok=True)))
    return RunResult(
        seed,
        failed=True,
        seconds=round(outcome.seconds, 1),
        test=test,
        check=check,
        reproduce=reproduction(seed, fault),
        files=[str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path) for path in files],
    )


def summary_line(results: list[RunResult], seconds: float) -> str:
    """The one-line figure: runs, false alarms, wall time."""
    failed = sum(result.failed for result in results)
    return f"{len(results)} runs, {failed} false alarm{'' if failed == 1 else 's'}, {seconds:.0f} s"


def render_markdown(results: list[RunResult], seconds: float, fault: str | None) -> str:
    """The report: the figure, then every failing seed with its test, check, reproduction and files."""
    server = f"a server with the fault {fault}" if fault else "the conforming reference server"
    lines = [
        "# False alarms",
        "",
        (
            f"The whole contract suite against {server}, one fresh random seed a run: "
            f"{summary_line(results, seconds)}. Every seed is listed in false-alarms.json."
        ),
        "",
    ]
    failures = [result for result in results if result.failed]
    if not failures:
        return "\n".join([*lines, "No run failed."]) + "\n"
    lines += [
        "Each reproduction repeats its run (same server, environment and seed); add `-- --pdb` to debug.",
        "",
        "| seed | test | check | s | reproduce | files |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in failures:
        cells = [
            str(result.seed),
            result.test,
            result.check,
            f"{result.seconds:.1f}",
            f"`{result.reproduce}`",
            ", ".join(result.files),
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def write_reports(report_dir: Path, results: list[RunResult], seconds: float, fault: str | None) -> None:
    """false-alarms.md and false-alarms.json in `report_dir`."""
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "false-alarms.md").write_text(render_markdown(results, seconds, fault), encoding="utf-8")
    document = {
        "runs": len(results),
        "false_alarms": sum(result.failed for result in results),
        "seconds": round(seconds, 1),
        "server": fault or "conforming",
        "seeds": [result.seed for result in results],
        "failures": [asdict(result) for result in results if result.failed],
        "results": [{"seed": r.seed, "failed": r.failed, "seconds": r.seconds} for r in results],
    }
    (report_dir / "false-alarms.json").write_text(json.dumps(document, indent=2), encoding="utf-8")


def replay(seed: int, fault: str | None, pytest_args: list[str]) -> int:
    """Repeat the run under `seed`, pytest's output on the terminal; pytest's exit status."""
    with tempfile.TemporaryDirectory(prefix="lava-false-alarms-") as scratch:
        run = run_suite_in_full(fault, seed, Path(scratch), capture=False, pytest_args=pytest_args)
    print(f"false-alarms: replayed seed {seed}: {run.outcome.caught_by or 'no failure'}", file=sys.stderr)
    if run.exit_code is None:
        return 1
    return run.exit_code


def main(argv: list[str]) -> int:
    """Run the suite under fresh seeds, or replay one; see the module docstring."""
    parser = argparse.ArgumentParser(
        description="Run the whole contract suite against the conforming server under fresh random seeds."
    )
    parser.add_argument("--runs", type=int, default=50, help="runs, one fresh seed each (default 50)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2, one per core)")
    parser.add_argument("--report-dir", type=Path, default=ROOT / "reports", help="where to write reports")
    parser.add_argument("--replay", type=int, metavar="SEED", help="repeat the run under SEED, and only that")
    # For this program's own tests: a faulty server, so that runs fail as a false alarm would.
    parser.add_argument("--fault", help=argparse.SUPPRESS)
    parser.add_argument("pytest_args", nargs="*", help="with --replay, after --: more arguments for pytest")
    args = parser.parse_args(argv)
    try:
        selected_api_version()  # each run reads it again; an unknown one is this usage error, not one per run
    except UnknownApiVersionError as error:
        print(f"false-alarms: {error}", file=sys.stderr)
        return 2
    if args.fault is not None and args.fault not in FAULTS:
        parser.error(f"unknown fault {args.fault!r}")
    if args.pytest_args and args.replay is None:
        parser.error(f"pytest arguments {args.pytest_args} are for --replay only")
    quiet_uvicorn()
    if args.replay is not None:
        return replay(args.replay, args.fault, args.pytest_args)
    if args.runs < 1 or args.jobs < 1:
        parser.error("--runs and --jobs must be >= 1")

    keep = args.report_dir / "false-alarms"
    # The failing runs of an earlier measurement are not this one's.
    shutil.rmtree(keep, ignore_errors=True)
    seeds = draw_seeds(args.runs)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lava-false-alarms-") as scratch_name:
        scratch = Path(scratch_name)
        results = parallel(
            args.jobs,
            seeds,
            lambda seed: _result(run_suite_in_full(args.fault, seed, scratch), seed, args.fault, keep),
        )
    seconds = time.monotonic() - started
    write_reports(args.report_dir, results, seconds, args.fault)
    for result in results:
        if result.failed:
            print(
                f"false-alarms: seed {result.seed} FAILED: {result.test}: {result.check}\n"
                f"  reproduce: {result.reproduce}",
                file=sys.stderr,
            )
    print(f"false-alarms: {summary_line(results, seconds)}; wrote {args.report_dir / 'false-alarms.md'}")
    return 1 if any(result.failed for result in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
