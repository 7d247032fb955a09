"""Measure what the contract suite catches: run it against every seeded fault and print a kill matrix.

`make mutation` calls this program. For each fault in the reference server's registry it starts that
faulty server in a thread, runs the contract suite against it in a subprocess (as against any staging
server: over HTTP, knowing nothing of the fault), stops at the first failure, and records which test and
check caught it and how long that took from launch. Beside each, the plain schemathesis CLI, with its
default settings, runs against the same server and spec as a baseline. Last, the suite runs against the
conforming server under fixed seeds 1..--seeds: any failure there is a false alarm. (Fresh random seeds
are scripts/false_alarms.py's business; how a run is made is scripts/suite_runner.py's.)

It runs one version of Lava's API, the one LAVA_API_VERSION names (v0 when it is not set; an unknown
one is a usage error): the faulty and conforming servers serve that version's spec, the suite tests
that version, and the matrix lists only the faults that apply to its spec (`faults_for`: v2 adds four
of its own; a fault named with --faults that does not apply is a usage error that says why).

Writes reports/mutation.md and reports/mutation.json for v0, reports/mutation-v2.md and
reports/mutation-v2.json for v2 (`report_stem`). Exits 0 when every fault is killed and the
conforming server passes under every seed, 1 otherwise, 2 on bad usage.

Sharded (`--shard I/N`, `make mutation SHARD=I/N`) it runs only every N-th fault from the I-th, with
their baseline runs, and every N-th seed, and writes reports/mutation-shard-I-of-N.json (v2:
mutation-v2-shard-I-of-N.json) instead, so that N machines can share the work; `--merge DIR` (`make
mutation-merge`) runs nothing, merges the version's shard files under DIR into the same matrix one
unsharded run would write, and exits as that run would, or 1 when a shard is missing, duplicated or
from another run (or another version).
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

from suite_runner import ROOT, Outcome, parallel, quiet_uvicorn, run_baseline, run_suite, served_spec

from contract_tests.reference_server import FAULTS
from contract_tests.reference_server.faults import faults_for
from lava_spec import DEFAULT_API_VERSION, UnknownApiVersionError, selected_api_version

# The subset `make test` runs on v0: a fault of each class at least, chosen to exercise each kind of test
# (schema checks, negative data, auth, the lifecycle model, pagination, the proxy). Eight, not the twelve
# it had before v2: the four v2 faults joined it, and `make test` must stay under four minutes on two
# cores; the weekly kill matrix runs every fault of both versions.
SUBSET = (
    "missing_key_preview",
    "create_answers_200",
    "accepts_long_name",
    "accepts_wrong_token",
    "cross_wallet_visibility",
    "rotate_resets_usage",
    "pagination_skips",
    "old_key_works_after_rotate",
)
CONFORMING = "(none: conforming server)"


def report_stem(api_version: str) -> str:
    """The name the version's reports start with: "mutation" for v0 (as ever), "mutation-v2" for v2."""
    return "mutation" if api_version == DEFAULT_API_VERSION else f"mutation-{api_version}"


def shard_file(api_version: str) -> re.Pattern[str]:
    """The names of the version's shard files, with the shard's index and count as groups."""
    return re.compile(rf"^{re.escape(report_stem(api_version))}-shard-(\d+)-of-(\d+)\.json$")


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


def render_markdown(
    rows: list[Row], conforming: list[Outcome], seeds: list[int], *, api_version: str = DEFAULT_API_VERSION
) -> str:
    """The kill matrix and the false-alarm runs of one API version, as a Markdown document."""
    killed = sum(row.suite.killed for row in rows)
    baseline_rows = [row for row in rows if row.baseline is not None]
    baseline_killed = sum(row.baseline.killed for row in baseline_rows if row.baseline is not None)
    lines = [
        "# Kill matrix",
        "",
        f"API version: {api_version} (its spec's faults only).",
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


def write_reports(
    report_dir: Path,
    rows: list[Row],
    conforming: list[Outcome],
    seeds: list[int],
    *,
    api_version: str = DEFAULT_API_VERSION,
) -> int:
    """Write and print the kill matrix (`report_stem`.md, .json); 1 if a fault survived or a seed failed."""
    rows = _sorted_rows(rows)
    markdown = render_markdown(rows, conforming, seeds, api_version=api_version)
    report_dir.mkdir(parents=True, exist_ok=True)
    stem = report_stem(api_version)
    (report_dir / f"{stem}.md").write_text(markdown, encoding="utf-8")
    (report_dir / f"{stem}.json").write_text(
        json.dumps(
            {
                "api_version": api_version,
                "faults": [asdict(row) for row in rows],
                "conforming": [asdict(o) for o in conforming],
            },
            indent=2,
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


def shard_path(report_dir: Path, index: int, count: int, api_version: str = DEFAULT_API_VERSION) -> Path:
    """Where shard `index` of `count` of a run of `api_version` writes its result."""
    return report_dir / f"{report_stem(api_version)}-shard-{index}-of-{count}.json"


def write_shard(  # noqa: PLR0913 - a shard file records the whole run it belongs to
    report_dir: Path,
    shard: tuple[int, int],
    *,
    all_faults: list[str],
    all_seeds: list[int],
    rows: list[Row],
    conforming: list[Outcome],
    seeds: list[int],
    api_version: str = DEFAULT_API_VERSION,
) -> Path:
    """Write one shard's rows and conforming runs, with what the whole run was, for --merge to check."""
    index, count = shard
    path = shard_path(report_dir, index, count, api_version)
    report_dir.mkdir(parents=True, exist_ok=True)
    document = {
        "api_version": api_version,
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


def _shard_problems(documents: dict[Path, dict[str, Any]], api_version: str) -> list[str]:
    """Why these shard files do not make up one whole run, if they do not: missing, duplicated, mixed."""
    if not documents:
        return [f"no shard files ({report_stem(api_version)}-shard-I-of-N.json)"]
    problems: list[str] = []
    others = sorted({str(d.get("api_version")) for d in documents.values()} - {api_version})
    if others:
        problems.append(f"shard files of another API version than {api_version}: {', '.join(others)}")
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


def merge(directory: Path, report_dir: Path, api_version: str = DEFAULT_API_VERSION) -> int:
    """Merge the version's shard files under `directory` into one kill matrix; exit as one run would.

    1 when they do not make up one whole run of that version.
    """
    pattern = shard_file(api_version)
    documents = {
        path: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.rglob("*-shard-*-of-*.json"))
        if pattern.match(path.name)
    }
    problems = _shard_problems(documents, api_version)
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
    status = write_reports(
        report_dir,
        rows,
        [outcome for _, outcome in runs],
        [seed for seed, _ in runs],
        api_version=api_version,
    )
    print(f"mutation-merge: {len(documents)} shards; wrote {report_dir / (report_stem(api_version) + '.md')}")
    return status


def chosen_faults(
    faults: list[str] | None, *, subset: bool, api_version: str, parser: argparse.ArgumentParser
) -> list[str]:
    """The faults to run for `api_version`: those named, the subset's or all, each one of its spec's.

    The subset of the default version (v0) is `SUBSET`; that of another version is what it adds, the
    faults that apply to its spec and not to the default's (v2's totals and `request_shape`), since what
    the versions share is already in `SUBSET`. A fault named that does not apply to the version's spec is
    a usage error that says why (as is an unknown name).
    """
    spec = served_spec(api_version)
    applicable = faults_for(spec)
    if subset:
        shared = faults_for(served_spec(DEFAULT_API_VERSION))
        names = (
            [name for name in SUBSET if name in applicable]
            if api_version == DEFAULT_API_VERSION
            else sorted(set(applicable) - set(shared))
        )
    else:
        names = faults or sorted(applicable)
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s) {unknown}; `make serve ARGS=--list-faults` lists them")
    elsewhere = [FAULTS[name].why_not(spec) for name in names if name not in applicable]
    if elsewhere:
        parser.error("; ".join(str(reason) for reason in elsewhere))
    return names


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
    try:
        api_version = selected_api_version()
    except UnknownApiVersionError as error:
        parser.error(str(error))
    if args.merge is not None:
        return merge(args.merge, args.report_dir, api_version)
    names = chosen_faults(args.faults, subset=args.subset, api_version=api_version, parser=parser)
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
        outcomes = parallel(args.jobs, runs, lambda run: run_suite(run[0], run[1], scratch, api_version))
        conforming, suite = outcomes[: len(seeds)], outcomes[len(seeds) :]
        baseline: list[Outcome | None] = (
            [None] * len(names)
            if args.no_baseline
            else list(parallel(args.jobs, names, lambda name: run_baseline(name, scratch, api_version)))
        )
    rows = [
        Row(name, FAULTS[name].fault_class, outcome, base)
        for name, outcome, base in zip(names, suite, baseline, strict=True)
    ]
    if args.shard is None:
        status = write_reports(args.report_dir, rows, conforming, seeds, api_version=api_version)
        written = args.report_dir / f"{report_stem(api_version)}.md"
        print(f"mutation: API {api_version}: {time.monotonic() - started:.0f} s; wrote {written}")
        return status
    path = write_shard(
        args.report_dir,
        args.shard,
        all_faults=all_names,
        all_seeds=all_seeds,
        rows=rows,
        conforming=conforming,
        seeds=seeds,
        api_version=api_version,
    )
    print(render_markdown(_sorted_rows(rows), conforming, seeds, api_version=api_version))
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
