"""`make false-alarms`'s program: fresh seeds, every failure reported with a command that repeats it.

A failure is provoked by pointing the runs at a faulty server (the program's hidden --fault option);
the suite stops at the first failure there within seconds, so no conforming run of the whole suite is
needed here.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import false_alarms  # a script: the conftest puts scripts/ on the path
import pytest

from tests.repository import ROOT

# Caught by the first test that creates a key, a few seconds into a run.
FAULT = "create_answers_200"


def _run(*arguments: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script, by the venv's interpreter
        [sys.executable, str(ROOT / "scripts" / "false_alarms.py"), *arguments],
        env={**os.environ, **(environment or {})},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_seeds_are_distinct_and_fresh_on_every_draw() -> None:
    first, second = false_alarms.draw_seeds(50), false_alarms.draw_seeds(50)
    assert len(set(first)) == len(first) == 50
    assert all(seed > 0 for seed in first)
    # Two draws of 50 from 2**32 share a seed by chance about once in 3.4 million.
    assert not set(first) & set(second)


def test_failing_runs_are_all_reported_with_a_reproduction_that_repeats_them_and_exit_1(
    tmp_path: Path,
) -> None:
    result = _run("--runs", "2", "--jobs", "2", "--fault", FAULT, "--report-dir", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "false-alarms: 2 runs, 2 false alarms, " in result.stdout
    report = json.loads((tmp_path / "false-alarms.json").read_text(encoding="utf-8"))
    assert report["runs"] == report["false_alarms"] == 2
    # A failing run does not stop the others: both seeds ran and failed.
    failures = report["failures"]
    assert sorted(failure["seed"] for failure in failures) == sorted(report["seeds"])
    markdown = (tmp_path / "false-alarms.md").read_text(encoding="utf-8")
    for failure in failures:
        assert failure["test"].startswith("contract_tests/test_")
        assert failure["check"]
        assert f"| {failure['seed']} | {failure['test']} |" in markdown
        assert f"`{failure['reproduce']}`" in markdown
        for name in failure["files"]:
            assert Path(name).is_file(), name
        assert {Path(name).suffix for name in failure["files"]} == {".xml", ".log", ".json"}

    failure = failures[0]
    command = shlex.split(failure["reproduce"])
    assert command[:2] == [".venv/bin/python", "scripts/false_alarms.py"]
    assert command[2:] == ["--replay", str(failure["seed"]), "--fault", FAULT]
    replayed = _run(*command[2:])
    assert replayed.returncode == 1
    assert failure["test"].split("::")[-1] in replayed.stdout
    assert f"replayed seed {failure['seed']}: " in replayed.stderr
    assert failure["check"] in replayed.stderr


def test_a_run_without_failures_reports_none_and_the_figure() -> None:
    results = [false_alarms.RunResult(seed, failed=False, seconds=17.0) for seed in (11, 22, 33)]
    assert false_alarms.summary_line(results, 25.4) == "3 runs, 0 false alarms, 25 s"
    assert "No run failed." in false_alarms.render_markdown(results, 25.4, None)


@pytest.mark.parametrize(
    "arguments",
    [["--runs", "0"], ["--jobs", "0"], ["--fault", "no_such_fault"], ["--runs", "1", "--", "-k", "x"]],
)
def test_bad_arguments_are_a_usage_error(arguments: list[str]) -> None:
    result = _run(*arguments)
    assert result.returncode == 2, result.stderr


def test_an_unknown_lava_api_version_is_one_line_and_a_usage_error_before_any_run() -> None:
    result = _run("--runs", "1", environment={"LAVA_API_VERSION": "v3"})

    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("false-alarms: LAVA_API_VERSION='v3' is not a version")
    assert result.stdout == ""
