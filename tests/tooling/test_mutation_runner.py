"""`make mutation`'s program: its report says what was killed, bad input is a usage error, and shards merge.

Sharding and merging are tested on synthetic outcomes: what they must preserve is the matrix, not the
suite's verdicts, so no suite runs here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import mutation  # a script: the conftest puts scripts/ on the path
import pytest
import suite_runner
import yaml
from suite_runner import Outcome

from contract_tests.reference_server import FAULTS
from lava_spec import API_VERSION_VARIABLE, API_VERSIONS, load_spec, spec_path
from tests.reference_server.api import TestClient
from tests.repository import ROOT


def test_an_unknown_fault_is_a_usage_error_that_names_it() -> None:
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "scripts" / "mutation.py"), "--faults", "no_such_fault"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no_such_fault" in result.stderr


def test_the_subset_names_only_registered_faults_and_covers_every_class() -> None:
    assert set(mutation.SUBSET) <= set(FAULTS)
    assert {FAULTS[name].fault_class for name in mutation.SUBSET} == {f.fault_class for f in FAULTS.values()}


def test_the_report_counts_kills_survivors_and_false_alarms() -> None:
    killed = Outcome(killed=True, caught_by="test_x: ST101 boom", seconds=1.5)
    survived = Outcome(killed=False, caught_by="", seconds=9.0)
    rows = [
        mutation.Row("fault_a", "shape", killed, survived),
        mutation.Row("fault_b", "auth", survived, killed),
    ]
    markdown = mutation.render_markdown(rows, [survived, killed], [1, 2])
    assert "Suite: 1/2 faults killed (50%); slowest detection 9.0 s." in markdown
    assert "Baseline (schemathesis CLI, default settings): 1/2 killed (50%)." in markdown
    assert "FALSE ALARMS under seeds [2]" in markdown
    assert "| fault_b | auth | SURVIVED |" in markdown


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_the_shards_hold_every_fault_and_seed_exactly_once_and_are_balanced(count: int) -> None:
    names = sorted(FAULTS)
    seeds = list(range(1, 21))
    for items in (names, seeds):
        shares = [mutation.share(items, index, count) for index in range(1, count + 1)]
        assert sorted(item for part in shares for item in part) == sorted(items)
        assert max(map(len, shares)) - min(map(len, shares)) <= 1
    # Deterministic: the same split every time, so separate machines agree on it.
    assert mutation.share(names, 2, count) == mutation.share(list(names), 2, count)


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "-1/2"])
def test_a_shard_that_is_not_i_of_n_is_a_usage_error(text: str) -> None:
    with pytest.raises(SystemExit) as raised:
        mutation.main(["--shard", text])
    assert raised.value.code == 2


def _synthetic_run() -> tuple[list[mutation.Row], list[Outcome], list[int]]:
    """A row per fault (one survivor, some without baseline) and seven conforming runs (one false alarm)."""
    rows = []
    for number, name in enumerate(sorted(FAULTS)):
        suite = Outcome(
            killed=name != "pagination_skips", caught_by=f"test_{number}: check", seconds=number + 0.5
        )
        baseline = (
            None if number % 3 == 0 else Outcome(killed=number % 2 == 0, caught_by="ST001", seconds=1.25)
        )
        rows.append(mutation.Row(name, FAULTS[name].fault_class, suite, baseline))
    seeds = list(range(1, 8))
    conforming = [Outcome(killed=seed == 5, caught_by="", seconds=10.0 + seed) for seed in seeds]
    return rows, conforming, seeds


def _write_shards(directory: Path, count: int) -> None:
    rows, conforming, seeds = _synthetic_run()
    names = [row.fault for row in rows]
    by_name = {row.fault: row for row in rows}
    by_seed = dict(zip(seeds, conforming, strict=True))
    for index in range(1, count + 1):
        shard_seeds = mutation.share(seeds, index, count)
        mutation.write_shard(
            # Each in a directory of its own, as GitHub's download-artifact lays them out.
            directory / f"mutation-shard-{index}",
            (index, count),
            all_faults=names,
            all_seeds=seeds,
            rows=[by_name[name] for name in mutation.share(names, index, count)],
            conforming=[by_seed[seed] for seed in shard_seeds],
            seeds=shard_seeds,
        )


@pytest.mark.parametrize("count", [1, 3, 4])
def test_merged_shards_give_the_matrix_and_the_exit_status_of_one_unsharded_run(
    tmp_path: Path, count: int
) -> None:
    rows, conforming, seeds = _synthetic_run()
    whole = tmp_path / "whole"
    unsharded_status = mutation.write_reports(whole, list(reversed(rows)), conforming, seeds)
    _write_shards(tmp_path / "shards", count)
    merged = tmp_path / "merged"
    assert mutation.merge(tmp_path / "shards", merged) == unsharded_status == 1
    for name in ("mutation.md", "mutation.json"):
        assert (merged / name).read_text(encoding="utf-8") == (whole / name).read_text(encoding="utf-8")


def test_merged_shards_pass_when_every_fault_is_killed_and_no_seed_failed(tmp_path: Path) -> None:
    _write_shards(tmp_path, 2)
    for path in tmp_path.rglob("*.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        for row in document["faults"]:
            row["suite"]["killed"] = True
        for run in document["conforming"]:
            run["killed"] = False
        path.write_text(json.dumps(document), encoding="utf-8")
    assert mutation.merge(tmp_path, tmp_path / "out") == 0


def test_a_missing_shard_fails_the_merge_and_says_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_shards(tmp_path, 3)
    shutil.rmtree(tmp_path / "mutation-shard-2")
    assert mutation.merge(tmp_path, tmp_path / "out") == 1
    assert "shard(s) [2] of 3 missing" in capsys.readouterr().err
    assert not (tmp_path / "out" / "mutation.md").exists()


def test_a_duplicated_shard_fails_the_merge_and_says_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_shards(tmp_path, 3)
    shutil.copytree(tmp_path / "mutation-shard-3", tmp_path / "again")
    assert mutation.merge(tmp_path, tmp_path / "out") == 1
    assert "shard 3 duplicated" in capsys.readouterr().err


def test_shards_of_different_splits_do_not_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_shards(tmp_path / "of-two", 2)
    _write_shards(tmp_path / "of-three", 3)
    shutil.rmtree(tmp_path / "of-three" / "mutation-shard-1")
    shutil.rmtree(tmp_path / "of-two" / "mutation-shard-2")
    assert mutation.merge(tmp_path, tmp_path / "out") == 1
    assert "different splits" in capsys.readouterr().err


def test_no_shard_files_fail_the_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert mutation.merge(tmp_path, tmp_path / "out") == 1
    assert "no shard files" in capsys.readouterr().err


def _mutation_workflow() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / ".github" / "workflows" / "mutation.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_workflow_runs_every_shard_of_its_split_and_merges_them_even_after_a_failure() -> None:
    jobs = _mutation_workflow()["jobs"]
    shards = jobs["shard"]["strategy"]["matrix"]["shard"]
    run_step = next(step for step in jobs["shard"]["steps"] if step.get("name") == "make mutation")
    count = int(run_step["env"]["SHARD"].rsplit("/", 1)[1])
    assert shards == list(range(1, count + 1))
    upload = next(step for step in jobs["shard"]["steps"] if "upload-artifact" in step.get("uses", ""))
    # One glob for every version: v0's mutation-shard-*, v2's mutation-v2-shard-*.
    assert upload["with"]["path"] == f"reports/mutation*-shard-*-of-{count}.json"
    assert jobs["shard"]["strategy"]["fail-fast"] is False
    assert jobs["merge"]["needs"] == "shard"
    assert "!cancelled()" in jobs["merge"]["if"]


@pytest.mark.parametrize("missing", [None, 2])
def test_the_workflows_merge_step_publishes_the_matrix_or_why_the_merge_failed(
    tmp_path: Path, missing: int | None
) -> None:
    step = next(
        s for s in _mutation_workflow()["jobs"]["merge"]["steps"] if s.get("name") == "make mutation-merge"
    )
    _write_shards(tmp_path / "shards", 4)
    if missing is not None:
        shutil.rmtree(tmp_path / "shards" / f"mutation-shard-{missing}")
    # A stand-in for make: the merge, with the Makefile's default report directory relative to here.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "make").write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{ROOT / "scripts" / "mutation.py"}" --merge "${{2#DIR=}}" '
        "--report-dir reports\n",
        encoding="utf-8",
    )
    (bin_dir / "make").chmod(0o755)
    summary = tmp_path / "summary.md"
    result = subprocess.run(  # noqa: S603 - the workflow's own step
        ["bash", "-e", "-c", step["run"]],  # noqa: S607 - as GitHub runs a step
        cwd=tmp_path,
        env={
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_STEP_SUMMARY": str(summary),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # The synthetic run has a survivor and a false alarm: the merge fails either way, as the run would.
    assert result.returncode == 1
    published = summary.read_text(encoding="utf-8")
    assert "make mutation-merge failed" in published
    if missing is None:
        assert published.startswith("# Kill matrix")
        assert "survived ['pagination_skips']" in published
    else:
        assert "# Kill matrix" not in published
        assert f"shard(s) [{missing}] of 4 missing" in published


# --- one API version per run -----------------------------------------------------------------------------

# The faults about what only v2's spec declares.
V2_ONLY = {"totals_decrease", "total_below_current", "request_shape_not_kept", "default_not_applied"}


def _run_mutation(*argv: str, version: str | None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != API_VERSION_VARIABLE}
    if version is not None:
        environment[API_VERSION_VARIABLE] = version
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "scripts" / "mutation.py"), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environment,
    )


def test_v0_keeps_its_report_names_and_v2_has_its_own() -> None:
    assert mutation.report_stem("v0") == "mutation"
    assert mutation.report_stem("v2") == "mutation-v2"
    assert mutation.shard_path(Path("r"), 2, 4) == Path("r/mutation-shard-2-of-4.json")
    assert mutation.shard_path(Path("r"), 2, 4, "v2") == Path("r/mutation-v2-shard-2-of-4.json")


@pytest.mark.parametrize("version", API_VERSIONS)
def test_each_version_runs_exactly_the_faults_that_apply_to_its_spec(version: str) -> None:
    parser = argparse.ArgumentParser()
    spec = load_spec(spec_path(version))
    everything = mutation.chosen_faults(None, subset=False, api_version=version, parser=parser)
    assert everything == sorted(name for name in FAULTS if FAULTS[name].applies_to(spec))
    assert (set(FAULTS) - set(everything)) == (V2_ONLY if version == "v0" else set())
    subset = mutation.chosen_faults(None, subset=True, api_version=version, parser=parser)
    if version == "v0":
        assert subset == list(mutation.SUBSET)
    else:
        # Another version's subset is what its spec adds: the faults v0 has not.
        assert subset == sorted(V2_ONLY)


def test_a_v2_fault_named_for_a_v0_run_is_a_usage_error_that_says_why() -> None:
    result = _run_mutation("--faults", "totals_decrease", "--seeds", "0", version=None)
    assert result.returncode == 2
    assert "totals_decrease applies only where the spec's SpendKey shows total_spend" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_api_version_is_a_usage_error_that_names_the_versions() -> None:
    result = _run_mutation("--seeds", "0", version="v9")
    assert result.returncode == 2
    assert all(version in result.stderr for version in API_VERSIONS)
    assert "Traceback" not in result.stderr


def test_a_v2_report_is_written_under_its_own_name_and_names_the_version(tmp_path: Path) -> None:
    killed = Outcome(killed=True, caught_by="test_x: check", seconds=1.0)
    rows = [mutation.Row("totals_decrease", "semantics", killed, None)]
    assert mutation.write_reports(tmp_path, rows, [], [], api_version="v2") == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mutation-v2.json", "mutation-v2.md"]
    markdown = (tmp_path / "mutation-v2.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Kill matrix")
    assert "API version: v2" in markdown
    assert json.loads((tmp_path / "mutation-v2.json").read_text(encoding="utf-8"))["api_version"] == "v2"


def _write_version_shards(directory: Path, count: int, version: str) -> None:
    killed = Outcome(killed=True, caught_by="test_x: check", seconds=1.0)
    names = sorted(FAULTS)
    for index in range(1, count + 1):
        mutation.write_shard(
            directory,
            (index, count),
            all_faults=names,
            all_seeds=[],
            rows=[
                mutation.Row(name, FAULTS[name].fault_class, killed, None)
                for name in names[index - 1 :: count]
            ],
            conforming=[],
            seeds=[],
            api_version=version,
        )


def test_a_merge_takes_only_the_shards_of_its_version(tmp_path: Path) -> None:
    _write_version_shards(tmp_path / "shards", 2, "v2")
    _write_version_shards(tmp_path / "shards", 3, "v0")
    assert mutation.merge(tmp_path / "shards", tmp_path / "v2", "v2") == 0
    assert mutation.merge(tmp_path / "shards", tmp_path / "v0", "v0") == 0
    assert sorted(path.name for path in (tmp_path / "v2").iterdir()) == ["mutation-v2.json", "mutation-v2.md"]
    assert sorted(path.name for path in (tmp_path / "v0").iterdir()) == ["mutation.json", "mutation.md"]


def test_a_shard_file_of_another_version_does_not_merge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_version_shards(tmp_path, 2, "v2")
    moved = tmp_path / "mutation-v2-shard-2-of-2.json"
    document = json.loads(moved.read_text(encoding="utf-8"))
    document["api_version"] = "v0"
    moved.write_text(json.dumps(document), encoding="utf-8")
    assert mutation.merge(tmp_path, tmp_path / "out", "v2") == 1
    assert "another API version than v2: v0" in capsys.readouterr().err


@pytest.mark.parametrize("version", API_VERSIONS)
def test_the_runs_serve_and_test_the_version(version: str) -> None:
    spec = suite_runner.served_spec(version)
    token, second = suite_runner.tokens(spec)
    environment = suite_runner.environment("http://127.0.0.1:1/v1", {}, spec)
    assert environment[API_VERSION_VARIABLE] == version
    assert (environment["LAVA_API_KEY"], environment["LAVA_API_KEY_2"]) == (token, second)
    client = TestClient(suite_runner.server(None, spec))
    collection = spec.base_path + spec.operation("list_spend_keys").path
    for credential in (token, second):
        assert client.get(collection, headers={"Authorization": f"Bearer {credential}"}).status_code == 200
    if spec.key_prefixes:
        assert token.startswith(tuple(spec.key_prefixes.values()))


def test_a_run_cannot_serve_a_fault_that_does_not_apply_to_its_version() -> None:
    with pytest.raises(ValueError, match="applies only where"):
        suite_runner.server("totals_decrease", suite_runner.served_spec("v0"))
    assert suite_runner.server("totals_decrease", suite_runner.served_spec("v2")) is not None
