"""Measure what the contract suite catches: run it against every seeded fault and print a kill matrix.

`make mutation` calls this program. For each fault in the reference server's registry it starts that
faulty server in a thread, runs the contract suite against it in a subprocess (as against any staging
server: over HTTP, knowing nothing of the fault), stops at the first failure, and records which test and
check caught it and how long that took from launch. Beside each, the plain schemathesis CLI, with its
default settings, runs against the same server and spec as a baseline. Last, the suite runs against the
conforming server under fixed seeds 1..--seeds: any failure there is a false alarm. (Fresh random seeds
are scripts/false_alarms.py's business; how a run is made is scripts/suite_runner.py's.)

Writes reports/mutation.md and reports/mutation.json. Exits 0 when every fault is killed and the
conforming server passes under every seed, 1 otherwise, 2 on bad usage.

Sharded (`--shard I/N`, `make mutation SHARD=I/N`) it runs only every N-th fault from the I-th, with
their baseline runs, and every N-th seed, and writes reports/mutation-shard-I-of-N.json instead, so that
N machines can share the work; `--merge DIR` (`make mutation-merge`) runs nothing, merges the shard
files under DIR into the same matrix one unsharded run would write, and exits as that run would, or 1
when a shard is missing, duplicated or from another run.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from suite_runner import ROOT, Outcome, parallel, quiet_uvicorn, run_baseline, run_suite

from contract_tests.reference_server import FAULTS

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
CONFORMING = "(none: conforming server)"
SHARD_FILE = re.compile(r"^mutation-shard-(\d+)-of-(\d+)\.json$")


@dataclass
class Row:
    """A fault and what the suite and the baseline made of it."""

    fault: str
    fault_class: str
    suite: Outcome
    baseline: Outcome | None


Item = TypeVar("Item")


def parse_shard(text: str) -> tuple[int, int]:
    """`i/N` (1 <= i <= N) as (i, N); an argparse type."""
    match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if match is None or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise argparse.ArgumentTypeError(f"expected i/N with 1 <= i <= N, e.g. 2/4; got {text!r}")
    return int(match.group(1)), int(match.group(2))


def share(items: list[Item], index: int, count: int) -> list[Item]:
    """Shard `index` of `count` of `items`: every `count`-th item from the `index`-th.

    Deterministic, every item in exactly one shard, and the shards' sizes differ by one at most.
    """
    return items[index - 1 :: count]


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
    conforming_line = (
        f"Conforming server: {len(seeds) - len(false_alarms)}/{len(seeds)} seeds passed"
        + (f"; FALSE ALARMS under seeds {false_alarms}" if false_alarms else "")
        + "."
        if seeds
        else "Conforming server: no seed run here (--seeds 0); `make false-alarms` runs it under fresh seeds."
    )
    lines += [
        conforming_line,
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


def _sorted_rows(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: (row.fault_class, row.fault))


def _failures(rows: list[Row], conforming: list[Outcome], seeds: list[int]) -> tuple[list[str], list[int]]:
    survived = [row.fault for row in rows if not row.suite.killed]
    false_alarms = [seed for seed, outcome in zip(seeds, conforming, strict=True) if outcome.killed]
    return survived, false_alarms


def write_reports(report_dir: Path, rows: list[Row], conforming: list[Outcome], seeds: list[int]) -> int:
    """Write and print the kill matrix (mutation.md, .json); 1 if a fault survived or a seed failed."""
    rows = _sorted_rows(rows)
    markdown = render_markdown(rows, conforming, seeds)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "mutation.md").write_text(markdown, encoding="utf-8")
    (report_dir / "mutation.json").write_text(
        json.dumps(
            {"faults": [asdict(row) for row in rows], "conforming": [asdict(o) for o in conforming]}, indent=2
        ),
        encoding="utf-8",
    )
    print(markdown)
    survived, false_alarms = _failures(rows, conforming, seeds)
    if survived or false_alarms:
        print(
            f"mutation: FAILED: survived {survived}, false alarms under seeds {false_alarms}", file=sys.stderr
        )
        return 1
    return 0


def shard_path(report_dir: Path, index: int, count: int) -> Path:
    """Where shard `index` of `count` writes its result."""
    return report_dir / f"mutation-shard-{index}-of-{count}.json"


def write_shard(  # noqa: PLR0913 - a shard file records the whole run it belongs to
    report_dir: Path,
    shard: tuple[int, int],
    *,
    all_faults: list[str],
    all_seeds: list[int],
    rows: list[Row],
    conforming: list[Outcome],
    seeds: list[int],
) -> Path:
    """Write one shard's rows and conforming runs, with what the whole run was, for --merge to check."""
    index, count = shard
    path = shard_path(report_dir, index, count)
    report_dir.mkdir(parents=True, exist_ok=True)
    document = {
        "shard": {"index": index, "count": count},
        "all_faults": all_faults,
        "all_seeds": all_seeds,
        "faults": [asdict(row) for row in _sorted_rows(rows)],
        "conforming": [{"seed": seed, **asdict(o)} for seed, o in zip(seeds, conforming, strict=True)],
    }
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def _outcome(raw: dict[str, Any]) -> Outcome:
    return Outcome(killed=bool(raw["killed"]), caught_by=str(raw["caught_by"]), seconds=float(raw["seconds"]))


def _shard_problems(documents: dict[Path, dict[str, Any]]) -> list[str]:
    """Why these shard files do not make up one whole run, if they do not: missing, duplicated, mixed."""
    if not documents:
        return ["no shard files (mutation-shard-I-of-N.json)"]
    problems: list[str] = []
    counts = {document["shard"]["count"] for document in documents.values()}
    if len(counts) > 1:
        problems.append(f"shard files of different splits: N = {sorted(counts)}")
    runs = {json.dumps([d["all_faults"], d["all_seeds"]]) for d in documents.values()}
    if len(runs) > 1:
        problems.append("shard files of different runs: they list different faults or seeds")
    files_by_index: dict[int, list[str]] = {}
    for path, document in documents.items():
        files_by_index.setdefault(document["shard"]["index"], []).append(str(path))
    problems += [
        f"shard {index} duplicated: {', '.join(sorted(files))}"
        for index, files in sorted(files_by_index.items())
        if len(files) > 1
    ]
    count = max(counts)
    missing = [index for index in range(1, count + 1) if index not in files_by_index]
    if missing:
        problems.append(f"shard(s) {missing} of {count} missing")
    # Whole and unique by index; then by content too: each fault and each seed exactly once.
    return problems or _content_problems(list(documents.values()))


def _content_problems(documents: list[dict[str, Any]]) -> list[str]:
    faults = sorted(row["fault"] for document in documents for row in document["faults"])
    seeds = sorted(run["seed"] for document in documents for run in document["conforming"])
    problems = []
    if faults != sorted(documents[0]["all_faults"]):
        problems.append("the shards' faults are not the run's faults, each once")
    if seeds != sorted(documents[0]["all_seeds"]):
        problems.append("the shards' seeds are not the run's seeds, each once")
    return problems


def merge(directory: Path, report_dir: Path) -> int:
    """Merge the shard files under `directory` into one kill matrix; exit as one run would, 1 if not whole."""
    documents = {
        path: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.rglob("mutation-shard-*-of-*.json"))
        if SHARD_FILE.match(path.name)
    }
    problems = _shard_problems(documents)
    if problems:
        for problem in problems:
            print(f"mutation-merge: {problem} (under {directory})", file=sys.stderr)
        return 1
    rows = [
        Row(
            row["fault"],
            row["fault_class"],
            _outcome(row["suite"]),
            None if row["baseline"] is None else _outcome(row["baseline"]),
        )
        for document in documents.values()
        for row in document["faults"]
    ]
    runs = sorted(
        ((run["seed"], _outcome(run)) for document in documents.values() for run in document["conforming"]),
        key=lambda run: run[0],
    )
    status = write_reports(report_dir, rows, [outcome for _, outcome in runs], [seed for seed, _ in runs])
    print(f"mutation-merge: {len(documents)} shards; wrote {report_dir / 'mutation.md'}")
    return status


def main(argv: list[str]) -> int:
    """Run the matrix, or a shard of it, or merge shards; see the module docstring."""
    parser = argparse.ArgumentParser(description="Run the contract suite against every seeded fault.")
    parser.add_argument("--faults", nargs="+", metavar="NAME", help="only these faults (default: all)")
    parser.add_argument("--subset", action="store_true", help="the fixed subset that `make test` runs")
    parser.add_argument("--seeds", type=int, default=20, help="conforming runs, one seed each (default 20)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2, one per core)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the schemathesis CLI baseline")
    parser.add_argument("--report-dir", type=Path, default=ROOT / "reports", help="where to write reports")
    parser.add_argument(
        "--shard",
        type=parse_shard,
        metavar="I/N",
        help="run only shard I of N (its faults, baseline runs and seeds); write mutation-shard-I-of-N.json",
    )
    parser.add_argument(
        "--merge",
        type=Path,
        metavar="DIR",
        help="run nothing: merge the shard files under DIR into mutation.md and mutation.json",
    )
    args = parser.parse_args(argv)
    if args.merge is not None:
        return merge(args.merge, args.report_dir)
    names = list(SUBSET) if args.subset else (args.faults or sorted(FAULTS))
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s) {unknown}; `make serve ARGS=--list-faults` lists them")
    if args.seeds < 0 or args.jobs < 1:
        parser.error("--seeds must be >= 0 and --jobs >= 1")
    all_names = names
    all_seeds = list(range(1, args.seeds + 1))
    seeds = all_seeds
    if args.shard is not None:
        names, seeds = share(all_names, *args.shard), share(all_seeds, *args.shard)

    quiet_uvicorn()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lava-mutation-") as scratch_name:
        scratch = Path(scratch_name)
        # The faulty servers and the conforming one's seeds share one pool, so no core waits for the
        # other's last run; a conforming run (the longest: nothing stops it early) goes first.
        runs: list[tuple[str | None, int]] = [(None, seed) for seed in seeds] + [(name, 0) for name in names]
        outcomes = parallel(args.jobs, runs, lambda run: run_suite(run[0], run[1], scratch))
        conforming, suite = outcomes[: len(seeds)], outcomes[len(seeds) :]
        baseline: list[Outcome | None] = (
            [None] * len(names)
            if args.no_baseline
            else list(parallel(args.jobs, names, lambda name: run_baseline(name, scratch)))
        )
    rows = [
        Row(name, FAULTS[name].fault_class, outcome, base)
        for name, outcome, base in zip(names, suite, baseline, strict=True)
    ]
    if args.shard is None:
        status = write_reports(args.report_dir, rows, conforming, seeds)
        print(f"mutation: {time.monotonic() - started:.0f} s; wrote {args.report_dir / 'mutation.md'}")
        return status
    path = write_shard(
        args.report_dir,
        args.shard,
        all_faults=all_names,
        all_seeds=all_seeds,
        rows=rows,
        conforming=conforming,
        seeds=seeds,
    )
    print(render_markdown(_sorted_rows(rows), conforming, seeds))
    index, count = args.shard
    print(f"mutation: shard {index}/{count}: {time.monotonic() - started:.0f} s; wrote {path}")
    survived, false_alarms = _failures(rows, conforming, seeds)
    if survived or false_alarms:
        print(
            f"mutation: shard FAILED: survived {survived}, false alarms under seeds {false_alarms}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
