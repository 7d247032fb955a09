"""Every failure leaves a record that replays it, and no record, report or output holds a secret.

The suite runs as a user runs it (`scripts/contract.py` with LAVA_BASE_URL and canary tokens) against
reference servers with a seeded fault that fails tests and puts raw keys where they do not belong
(`key_shown_again`: get and list show them; `rotate_returns_old_key`: rotate reveals the old one again).
The records it writes must replay the failure: the pytest file fails against the same faulty server and
passes against a conforming one. The schemathesis CLI, run with schemathesis.toml and every file report
on against a server whose failing answers carry raw keys, must leak nothing either. Tokens and raw keys
are looked for in every file the runs wrote, NDJSON's and HAR's base64 bodies decoded.
"""

from __future__ import annotations

import base64
import binascii
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.reference_server import create_app, running_server
from contract_tests.target import loopback_environment
from tests.repository import ROOT

CANARY = "canary_replay_token_7d2b_must_never_appear"
CANARY_2 = "canary_replay_token_2_e41a_must_never_appear"
RAW_KEY = re.compile(r"lava_sk_[0-9a-f]{20,}")
WALLETS = {CANARY: "wallet_1", CANARY_2: "wallet_2"}
# Long enough to hold any base64 body that could carry a raw key (lava_sk_ and 20 hex digits).
_BASE64 = re.compile(r"[A-Za-z0-9+/]{36,}={0,2}")


@pytest.fixture
def servers(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """A faulty server (the parameter names the fault) and a conforming one, both with canary tokens."""
    with (
        running_server(create_app(WALLETS, fault=request.param)) as faulty,
        running_server(create_app(WALLETS)) as conforming,
    ):
        yield faulty, conforming


def _leaks(text: str) -> list[str]:
    """The secrets in `text`, also inside base64 (NDJSON and HAR store bodies that way)."""
    texts = [text]
    for chunk in _BASE64.findall(text):
        try:
            texts.append(base64.b64decode(chunk + "=" * (-len(chunk) % 4)).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            continue
    found = [secret for secret in (CANARY, CANARY_2) for each in texts if secret in each]
    return found + [match.group() for each in texts for match in RAW_KEY.finditer(each)]


def _assert_nothing_leaks(directory: Path, *outputs: str) -> int:
    files = [path for path in directory.rglob("*") if path.is_file()]
    for path in files:
        assert not _leaks(path.read_text(encoding="utf-8", errors="replace")), path
    for output in outputs:
        assert not _leaks(output), output[-3000:]
    return len(files)


def _replay(record: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own test file, written by the suite
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(record / "test_replay.py")],
        env=loopback_environment(base_url, CANARY, CANARY_2),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("servers", "failing_test"),
    [
        ("key_shown_again", "test_create_returns_the_raw_key_once_and_later_reads_never_show_it"),
        ("rotate_returns_old_key", "test_rotate_changes_the_key_and_keeps_settings_and_usage"),
    ],
    indirect=["servers"],
)
def test_a_failed_run_leaves_replays_that_fail_the_same_way_and_no_secret_anywhere(
    servers: tuple[str, str], failing_test: str, tmp_path: Path
) -> None:
    faulty, conforming = servers
    reports = tmp_path / "reports"
    environment = loopback_environment(
        faulty,
        CANARY,
        CANARY_2,
        CONTRACT_MAX_EXAMPLES="3",
        CONTRACT_SUMMARY_PATH=str(reports / "contract-summary.md"),
        CONTRACT_REPLAY_DIR=str(reports / "replays"),
    )
    result = subprocess.run(  # noqa: S603 - our own script
        [
            sys.executable,
            str(ROOT / "scripts" / "contract.py"),
            f"--junitxml={reports / 'contract-junit.xml'}",
            "-k",
            "semantics",
        ],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-4000:] + result.stderr[-2000:]
    # (a) a record for each failure, named in the summary.
    records = {path.parent for path in (reports / "replays").glob("*/test_replay.py")}
    failed = re.findall(r"^FAILED (\S+)", result.stdout, flags=re.MULTILINE)
    assert failed
    assert len(records) == len(failed), (sorted(records), failed)
    summary = (reports / "contract-summary.md").read_text(encoding="utf-8")
    record = next(path for path in records if path.name.endswith(failing_test))
    assert f"replay: {record}/test_replay.py" in summary
    assert (record / "replay.sh").read_text(encoding="utf-8").count("curl ") >= 2
    # (b) the pytest file fails against the faulty server as the suite did, and passes against a good one.
    again = _replay(record, faulty)
    assert again.returncode == 1, again.stdout[-3000:]
    assert "AssertionError" in again.stdout
    assert _replay(record, conforming).returncode == 0
    # (c) no canary and no raw key in any file under the reports directory, nor in the output.
    assert _assert_nothing_leaks(reports, result.stdout, result.stderr, again.stdout, again.stderr) > len(
        failed
    )


@pytest.mark.parametrize("servers", ["create_answers_200"], indirect=True)
def test_the_schemathesis_cli_with_every_file_report_leaks_no_token_and_no_raw_key(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    faulty, _ = servers
    # A create that answers 200 fails status_code_conformance, so its body, raw key and all, is what the
    # CLI prints and reports as the failure.
    reports = tmp_path / "schemathesis"
    result = subprocess.run(  # noqa: S603 - the CLI of our own virtualenv
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            "openapi/lava.yaml",
            "--url",
            faulty,
            "--max-examples",
            "2",
            # Only the pace differs from schemathesis.toml: a loopback server of our own needs none.
            "--rate-limit",
            "1000/s",
            "--report",
            "junit,vcr,har,ndjson",
            "--report-dir",
            str(reports),
        ],
        env=loopback_environment(faulty, CANARY, CANARY_2),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-4000:]
    assert "Undocumented status code" in result.stdout
    assert "lava_sk_" in result.stdout  # the failing create's body is shown, its key masked
    assert {path.suffix for path in reports.iterdir()} == {".xml", ".yaml", ".json", ".ndjson"}
    assert _assert_nothing_leaks(reports, result.stdout, result.stderr) == 4
