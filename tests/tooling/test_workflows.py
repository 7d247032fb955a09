"""The GitHub workflows keep to our rules, and the drift, contract and release workflows' scripts work.

actionlint and zizmor (`make lint-workflows`) check the workflows' syntax and security in general; these
tests pin down what they cannot know: each workflow's triggers and permissions, and what its shell steps
do. Those steps are run as GitHub would run them (`bash -e`), with a stand-in `gh` that records what it
was asked to do and, for the contract workflow, a stand-in `scripts/contract.py` exiting with each status.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from lava_spec import API_VERSION_VARIABLE, API_VERSIONS, load_spec, spec_path
from lava_spec.versions import accepted_drift_path
from tests.repository import FIXTURES, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
FIXTURE = FIXTURES / "lava-v2.yaml"


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


WORKFLOW_NAMES = sorted(path.name for path in WORKFLOWS.glob("*.yml"))
# A tag can be moved to other code; a commit cannot. The comment names the release, for people and updaters.
# The secrets context, not a step whose id is "secrets" (steps.secrets.outputs...).
SECRET = re.compile(r"(?<![.\w])secrets\.")
PINNED_USES = re.compile(r"^\s*(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_every_step_runs_a_command_or_an_action_pinned_to_a_commit(name: str) -> None:
    workflow = _workflow(name)
    assert workflow["name"]
    for job in workflow["jobs"].values():
        assert job["runs-on"]
        assert job["timeout-minutes"] <= 45
    for step in _steps(workflow):
        assert ("uses" in step) != ("run" in step), step
    for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("uses:", "- uses:")):
            assert PINNED_USES.match(line), f"{name}: {line.strip()} is not pinned to a commit, # vX.Y.Z"


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_no_expression_is_interpolated_into_a_run_script(name: str) -> None:
    # A secret, or text an outsider controls, pasted into a script can run as code or be echoed; passed
    # through env: it is only ever a variable's value.
    for step in _steps(_workflow(name)):
        assert "${{" not in step.get("run", ""), f"{name}: step {step.get('name')!r} interpolates into run:"
        assert not SECRET.search(str(step.get("with", ""))), f"{name}: a secret passed to an action"


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_secrets_reach_steps_only_through_env(name: str) -> None:
    workflow = _workflow(name)
    text = yaml.safe_dump({key: value for key, value in workflow.items() if key != "jobs"})
    assert not SECRET.search(text), f"{name}: a secret at the workflow level reaches every step"
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            outside_env = {key: value for key, value in step.items() if key != "env"}
            assert not SECRET.search(str(outside_env)), f"{name}: {step.get('name')!r}"


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
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["drift"]["permissions"] == {"contents": "read", "issues": "write"}


def _step(name: str, workflow: str = "spec-drift.yml") -> dict[str, Any]:
    for step in _steps(_workflow(workflow)):
        if step.get("name") == name:
            return step
    raise AssertionError(f"no step named {name!r} in {workflow}")


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


def _run_step(
    name: str, tmp_path: Path, bin_dir: Path, workflow: str = "spec-drift.yml", **variables: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("LAVA_", "CONTRACT_"))},
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "ISSUE_TITLE": "Spec drift",
        **variables,
    }
    return subprocess.run(  # noqa: S603 - the workflow's own script
        ["bash", "-e", "-c", _step(name, workflow)["run"]],  # noqa: S607 - bash from PATH, as on a runner
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_drift_workflow_compares_with_v2_the_version_lava_serves() -> None:
    workflow = _workflow("spec-drift.yml")
    version = workflow["env"][API_VERSION_VARIABLE]
    assert version == "v2"
    v2_spec = spec_path(version).relative_to(ROOT).as_posix()
    assert v2_spec in workflow["env"]["ISSUE_TITLE"]
    assert v2_spec in _step("Close the drift issue once the drift is gone")["run"]
    assert "--same-prefix" not in _step("Compare")["run"], "v2's paths are Lava's: no prefix to ignore"


def test_the_compare_step_accepts_our_marked_inferences_so_lavas_published_v2_opens_no_issue(
    tmp_path: Path,
) -> None:
    # Every difference between Lava's published v2 and ours is an inference our record accepts, with its
    # reason: the daily run must not open an issue nobody can act on.
    bin_dir = _fake_tools(tmp_path, open_issues="")
    version = _workflow("spec-drift.yml")["env"][API_VERSION_VARIABLE]
    assert accepted_drift_path(version).is_file()
    assert "--accepted" in _step("Compare")["run"], "the version's record, as lava_spec.versions names it"
    result = _run_step("Compare", tmp_path, bin_dir, UPSTREAM=str(FIXTURE), **{API_VERSION_VARIABLE: version})
    assert result.returncode == 0, result.stderr
    assert "status=0" in (tmp_path / "output").read_text(encoding="utf-8")
    report = (tmp_path / "drift-report.md").read_text(encoding="utf-8")
    assert f"Ours: `{spec_path(version)}`" in report
    assert f"Accepted drift: `{accepted_drift_path(version)}`" in report
    assert "0 changes beyond the accepted ones" in report
    assert "## Accepted differences (" in report, "a reader of the report still sees them"
    assert report in (tmp_path / "summary").read_text(encoding="utf-8")


def test_the_compare_step_hands_on_status_1_when_lava_moves_beyond_the_record(tmp_path: Path) -> None:
    bin_dir = _fake_tools(tmp_path, open_issues="")
    version = _workflow("spec-drift.yml")["env"][API_VERSION_VARIABLE]
    moved = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    rotate = load_spec(spec_path(version)).operation("rotate_spend_key").path
    moved["paths"][f"{rotate}_now"] = moved["paths"].pop(rotate)
    upstream = tmp_path / "lava-v2-moved.yaml"
    upstream.write_text(yaml.safe_dump(moved), encoding="utf-8")
    result = _run_step(
        "Compare", tmp_path, bin_dir, UPSTREAM=str(upstream), **{API_VERSION_VARIABLE: version}
    )
    assert result.returncode == 0, result.stderr
    assert "status=1" in (tmp_path / "output").read_text(encoding="utf-8")
    report = (tmp_path / "drift-report.md").read_text(encoding="utf-8")
    assert "moved from" in report
    assert "## Accepted differences (" in report


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


CONTRACT = "contract.yml"
CONTRACT_SECRETS = ("LAVA_BASE_URL", "LAVA_API_KEY", "LAVA_API_KEY_2", "LAVA_PROXY_URL")
CANARY_TOKEN = "canary_token_0123456789_must_never_be_printed"  # noqa: S105 - a test token
# Every status scripts/contract.py documents, and what the job must then say besides failing.
COULD_NOT_JUDGE = {
    2: "Bad usage",
    3: "check the secret LAVA_BASE_URL",
    4: "set the secret LAVA_API_KEY",
    5: "not a verdict on the server",
    6: "production",
    7: "not as Lava's spend-key API",
    8: "run make contract-cleanup",
    9: "another version of Lava's API",
    130: "interrupted",
}


def test_contract_runs_daily_and_on_demand_one_run_at_a_time_with_least_permissions() -> None:
    workflow = _workflow(CONTRACT)
    triggers = _triggers(workflow)
    assert "workflow_dispatch" in triggers
    minute, hour, *rest = triggers["schedule"][0]["cron"].split()
    assert minute.isdigit(), "not a daily schedule"
    assert hour.isdigit(), "not a daily schedule"
    assert rest == ["*", "*", "*"], "not a daily schedule"
    assert workflow["concurrency"] == {"group": "contract-staging", "cancel-in-progress": False}
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "issues": "write"}


def test_contract_hands_every_secret_to_the_suite_through_env_and_runs_the_script_not_make() -> None:
    step = _step("Run the contract suite", CONTRACT)
    # The secrets, and the version of Lava's API the server speaks, a repository variable (not secret).
    assert step["env"] == {
        **{name: f"${{{{ secrets.{name} }}}}" for name in CONTRACT_SECRETS},
        "LAVA_API_VERSION": "${{ vars.LAVA_API_VERSION }}",
    }
    assert ".venv/bin/python scripts/contract.py" in step["run"]
    assert "make contract" not in step["run"]


def test_every_contract_step_after_the_check_is_skipped_without_the_secrets() -> None:
    steps = _steps(_workflow(CONTRACT))
    assert steps[0]["name"] == "Check the secrets"
    for step in steps[1:]:
        condition = step.get("if", "")
        gated = "steps.secrets.outputs.configured == 'true'" in condition
        assert gated or condition.startswith("steps.contract.outputs.status == "), step


@pytest.mark.parametrize(
    ("base_url", "api_key", "missing"),
    [
        ("", "", "LAVA_BASE_URL LAVA_API_KEY"),
        ("https://staging.example/v1", "", "LAVA_API_KEY"),
        ("", CANARY_TOKEN, "LAVA_BASE_URL"),
    ],
    ids=["neither", "no key", "no url"],
)
def test_without_the_secrets_the_contract_says_which_to_set_and_where_and_succeeds(
    tmp_path: Path, base_url: str, api_key: str, missing: str
) -> None:
    bin_dir = _fake_tools(tmp_path, open_issues="")
    result = _run_step(
        "Check the secrets", tmp_path, bin_dir, CONTRACT, LAVA_BASE_URL=base_url, LAVA_API_KEY=api_key
    )
    assert result.returncode == 0, result.stderr
    assert "configured=false" in (tmp_path / "output").read_text(encoding="utf-8")
    summary = (tmp_path / "summary").read_text(encoding="utf-8")
    for said in (result.stdout, summary):
        assert f"set the repository secrets {missing} (Settings > Secrets and variables > Actions" in said
        assert CANARY_TOKEN not in said


def test_with_both_secrets_the_contract_goes_on_quietly(tmp_path: Path) -> None:
    bin_dir = _fake_tools(tmp_path, open_issues="")
    result = _run_step(
        "Check the secrets",
        tmp_path,
        bin_dir,
        CONTRACT,
        LAVA_BASE_URL="https://staging.example/v1",
        LAVA_API_KEY=CANARY_TOKEN,
    )
    assert result.returncode == 0, result.stderr
    assert "configured=true" in (tmp_path / "output").read_text(encoding="utf-8")
    assert not (tmp_path / "summary").exists()
    assert CANARY_TOKEN not in result.stdout + result.stderr


def _fake_contract(tmp_path: Path, status: int) -> None:
    """A .venv/bin/python that, as scripts/contract.py would, writes the summary and exits with `status`."""
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{tmp_path / "python-args"}"\n'
        "mkdir -p reports\n"
        'echo "# Contract summary: a failure in rotate" > reports/contract-summary.md\n'
        f"exit {status}\n",
        encoding="utf-8",
    )
    python.chmod(0o755)


@pytest.mark.parametrize("status", [0, 1, *COULD_NOT_JUDGE])
def test_the_contract_step_keeps_the_scripts_exit_status_and_publishes_the_summary(
    tmp_path: Path, status: int
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "make").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    (bin_dir / "make").chmod(0o755)
    _fake_contract(tmp_path, status)
    result = _run_step("Run the contract suite", tmp_path, bin_dir, CONTRACT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "python-args").read_text(encoding="utf-8").split() == ["scripts/contract.py"]
    assert f"status={status}\n" in (tmp_path / "output").read_text(encoding="utf-8")
    assert "a failure in rotate" in (tmp_path / "summary").read_text(encoding="utf-8")


def _issue_steps_that_run(status: int) -> list[str]:
    # The two issue steps' conditions are plain comparisons of the contract step's status.
    names = ["Open or update the contract issue", "Close the contract issue once the contract holds"]
    return [
        name
        for name in names
        if _step(name, CONTRACT)["if"] == f"steps.contract.outputs.status == '{status}'"
    ]


def test_only_a_verdict_touches_the_issue() -> None:
    assert _issue_steps_that_run(1) == ["Open or update the contract issue"]
    assert _issue_steps_that_run(0) == ["Close the contract issue once the contract holds"]
    for status in COULD_NOT_JUDGE:
        assert _issue_steps_that_run(status) == [], status


ISSUE_VARIABLES = {
    "ISSUE_LABEL": "contract-broken",
    "ISSUE_TITLE": "Contract broken",
    "RUN_URL": "https://github.example/runs/99",
    "CONTRACT_RUN_ID": "gha-99-1",
}


@pytest.mark.parametrize(
    ("open_issues", "expected"),
    [("", "issue create --title Contract broken --label contract-broken"), ("42", "issue edit 42")],
)
def test_a_broken_contract_opens_one_issue_or_updates_the_open_one_with_the_summary(
    tmp_path: Path, open_issues: str, expected: str
) -> None:
    bin_dir = _fake_tools(tmp_path, open_issues=open_issues)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "contract-summary.md").write_text("# a failure in rotate\n", encoding="utf-8")
    result = _run_step("Open or update the contract issue", tmp_path, bin_dir, CONTRACT, **ISSUE_VARIABLES)
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "gh-calls.log").read_text(encoding="utf-8")
    assert expected in calls
    assert calls.count("issue create") + calls.count("issue edit") == 1
    body = (tmp_path / "contract-issue.md").read_text(encoding="utf-8")
    assert "a failure in rotate" in body
    assert ISSUE_VARIABLES["RUN_URL"] in body


def test_the_contract_issue_is_closed_with_a_comment_once_the_contract_holds(tmp_path: Path) -> None:
    bin_dir = _fake_tools(tmp_path, open_issues="7")
    result = _run_step(
        "Close the contract issue once the contract holds", tmp_path, bin_dir, CONTRACT, **ISSUE_VARIABLES
    )
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "gh-calls.log").read_text(encoding="utf-8")
    assert "issue list --state open --label contract-broken" in calls
    assert (
        f"issue close 7 --comment The staging server honours the contract again: {ISSUE_VARIABLES['RUN_URL']}"
        in calls
    )


def test_the_job_passes_when_the_contract_holds(tmp_path: Path) -> None:
    result = _run_step("Judge the run", tmp_path, tmp_path, CONTRACT, STATUS="0", **ISSUE_VARIABLES)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("status", "said"), [(1, "breaks the contract"), *COULD_NOT_JUDGE.items()])
def test_the_job_fails_with_a_reason_for_every_other_status(tmp_path: Path, status: int, said: str) -> None:
    result = _run_step("Judge the run", tmp_path, tmp_path, CONTRACT, STATUS=str(status), **ISSUE_VARIABLES)
    assert result.returncode == 1
    (error,) = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert said in error
    assert said in (tmp_path / "summary").read_text(encoding="utf-8")


def test_keys_left_behind_name_the_run_to_sweep(tmp_path: Path) -> None:
    result = _run_step("Judge the run", tmp_path, tmp_path, CONTRACT, STATUS="8", **ISSUE_VARIABLES)
    assert "CONTRACT_RUN_ID=gha-99-1" in result.stdout


def test_the_contract_uploads_the_junit_the_summary_and_the_replays_if_there_are_any() -> None:
    upload = _step("Keep the reports", CONTRACT)
    paths = set(upload["with"]["path"].split())
    assert paths == {"reports/contract-summary.md", "reports/contract-junit.xml", "reports/replays/"}
    assert upload["with"]["if-no-files-found"] == "ignore"
    assert upload["if"].startswith("always()")


RELEASE = "release.yml"
SPEC_VERSION = load_spec().version


def test_release_runs_on_version_tags_only_one_at_a_time_with_no_default_permissions() -> None:
    workflow = _workflow(RELEASE)

    assert _triggers(workflow) == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_release_builds_with_make_dist_then_publishes_by_trusted_publishing_then_makes_the_release() -> None:
    jobs = _workflow(RELEASE)["jobs"]

    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert "make dist" in [step.get("run") for step in jobs["build"]["steps"]]
    publish = jobs["publish"]
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    uploads = [step for step in publish["steps"] if "gh-action-pypi-publish" in step.get("uses", "")]
    assert len(uploads) == 1
    # Trusted publishing: the action gets no password or token, only where the files are.
    assert uploads[0]["with"] == {"packages-dir": "dist/"}
    assert jobs["github-release"]["needs"] == "publish"
    assert jobs["github-release"]["permissions"] == {"contents": "write"}
    assert "secrets." not in (WORKFLOWS / RELEASE).read_text(encoding="utf-8")


def test_only_the_publish_job_may_ask_for_an_oidc_token() -> None:
    for name in WORKFLOW_NAMES:
        for job_name, job in _workflow(name)["jobs"].items():
            if (name, job_name) != (RELEASE, "publish"):
                assert "id-token" not in (job.get("permissions") or {}), f"{name}: {job_name}"


def _release_tree(tmp_path: Path, built_version: str) -> Path:
    bin_dir = _fake_tools(tmp_path, open_issues="")
    (tmp_path / "scripts").symlink_to(ROOT / "scripts")
    (tmp_path / "dist").mkdir()
    for name in (f"lava_client-{built_version}-py3-none-any.whl", f"lava_client-{built_version}.tar.gz"):
        (tmp_path / "dist" / name).write_bytes(b"")
    return bin_dir


def test_the_tag_check_passes_when_tag_spec_and_build_agree_and_writes_the_changelog_entry(
    tmp_path: Path,
) -> None:
    bin_dir = _release_tree(tmp_path, SPEC_VERSION)

    result = _run_step("Check the tag", tmp_path, bin_dir, RELEASE, TAG=f"v{SPEC_VERSION}")

    assert result.returncode == 0, result.stderr
    notes = (tmp_path / "release-notes.md").read_text(encoding="utf-8")
    assert notes.strip()
    assert notes in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("tag", "built", "said"),
    [
        (
            "v99.0.0",
            SPEC_VERSION,
            f"the tag is v99.0.0, but the specs' info.version is {SPEC_VERSION}",
        ),
        (f"v{SPEC_VERSION}", "99.0.0", f"is version 99.0.0, not {SPEC_VERSION}"),
    ],
)
def test_the_tag_check_fails_the_release_saying_what_disagrees(
    tmp_path: Path, tag: str, built: str, said: str
) -> None:
    bin_dir = _release_tree(tmp_path, built)

    result = _run_step("Check the tag", tmp_path, bin_dir, RELEASE, TAG=tag)

    assert result.returncode == 1
    assert "Not releasing" in result.stderr
    assert said in result.stderr


def test_the_github_release_carries_the_distributions_and_the_changelog_entry(tmp_path: Path) -> None:
    bin_dir = _release_tree(tmp_path, SPEC_VERSION)
    (tmp_path / "release-notes.md").write_text("notes\n", encoding="utf-8")

    result = _run_step(
        "Create the GitHub release",
        tmp_path,
        bin_dir,
        RELEASE,
        TAG=f"v{SPEC_VERSION}",
        GITHUB_REPOSITORY="o/r",
    )

    assert result.returncode == 0, result.stderr
    call = (tmp_path / "gh-calls.log").read_text(encoding="utf-8")
    assert call.startswith(f"release create v{SPEC_VERSION} dist/lava_client-{SPEC_VERSION}-py3-none-any.whl")
    assert f"--title lava-client {SPEC_VERSION} --notes-file release-notes.md" in call


def test_the_weekly_kill_matrix_runs_and_merges_every_version_of_the_api() -> None:
    jobs = _workflow("mutation.yml")["jobs"]
    assert jobs["shard"]["strategy"]["matrix"]["version"] == list(API_VERSIONS)
    assert jobs["merge"]["strategy"]["matrix"]["version"] == list(API_VERSIONS)
    run_step = next(step for step in jobs["shard"]["steps"] if step.get("name") == "make mutation")
    assert run_step["env"][API_VERSION_VARIABLE] == "${{ matrix.version }}"
    merge_step = next(step for step in jobs["merge"]["steps"] if step.get("name") == "make mutation-merge")
    assert merge_step["env"][API_VERSION_VARIABLE] == "${{ matrix.version }}"
    # Each version's merge downloads only its own shards: a merge refuses another version's shard files.
    download = next(step for step in jobs["merge"]["steps"] if "download-artifact" in step.get("uses", ""))
    assert "${{ matrix.version }}" in download["with"]["pattern"]
