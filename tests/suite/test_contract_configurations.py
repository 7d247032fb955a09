"""Every documented way to run `make contract` against a conforming server passes.

The README documents one required pair (`LAVA_BASE_URL`, `LAVA_API_KEY`) and two optional variables:
`LAVA_API_KEY_2` (the isolation tests) and `LAVA_PROXY_URL` (the usage tests). Each of the four
combinations is run here as a user runs it, through `scripts/contract.py`, against a conforming
reference server: it must pass, and every test it cannot run must be reported as skipped, in the
terminal and in the JUnit report, with the variable that would turn it on. A skip once crashed pytest's
JUnit writer after going through the redactor, in the README's most common form (neither variable set).

"neither" and "both" run the whole suite. The two with one variable run only the modules a variable
changes (`ONE_VARIABLE_MODULES`: the isolation, usage and lifecycle tests): every other test does the
same with or without either variable, so it runs in "neither" and "both" already.

`LAVA_API_VERSION` is one more variable: `make contract LAVA_API_VERSION=v2` runs the whole suite against
the embedded reference server on v2's spec, where the tests of what only v2 declares run, and a v0 run
deselects them, each with its reason in the terminal and the summary (never a quiet skip).
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.reference_server import create_app, running_server
from contract_tests.target import PROXY_URL_VARIABLE, SECOND_API_KEY_VARIABLE, loopback_environment
from lava_spec import API_VERSION_VARIABLE
from tests.repository import ROOT

TOKEN = "configurations_token_wallet_1"  # noqa: S105 - a loopback test token
SECOND_TOKEN = "configurations_token_wallet_2"  # noqa: S105
COMBINATIONS = {
    "neither": (False, False),
    "LAVA_API_KEY_2 only": (True, False),
    "LAVA_PROXY_URL only": (False, True),
    "both": (True, True),
}
# The modules whose tests use the second wallet or the proxy (conftest.py's `other_wallet_api`,
# `proxy_api` and `SpendKeyApi.can_spend`).
ONE_VARIABLE_MODULES = "test_authentication or test_spend_key_usage or test_spend_key_lifecycle"
# The tests of what v2's spec declares and v0's does not (`applicability.applies_if`).
V2_ONLY = (
    "test_a_list_shorter_than_its_min_items_is_rejected_on_create_and_update_and_changes_nothing",
    "test_a_create_field_left_out_takes_the_specs_default_and_each_value_sent_is_echoed_everywhere",
    "test_totals_count_every_request_and_neither_update_nor_rotate_changes_them",
)


@pytest.fixture(scope="module")
def conforming() -> Iterator[str]:
    with running_server(create_app({TOKEN: "wallet_1", SECOND_TOKEN: "wallet_2"})) as base_url:
        yield base_url


def _skips(junit: Path) -> list[str]:
    """The reason of every skipped test case in a JUnit report."""
    root = ET.parse(junit).getroot()  # noqa: S314 - a report our own run just wrote
    return [skipped.get("message", "") for skipped in root.iter("skipped")]


@pytest.mark.parametrize(("second_wallet", "proxy"), COMBINATIONS.values(), ids=COMBINATIONS.keys())
def test_each_documented_combination_of_optional_variables_passes_and_names_what_it_skipped(
    conforming: str, tmp_path: Path, *, second_wallet: bool, proxy: bool
) -> None:
    environment = loopback_environment(
        conforming,
        TOKEN,
        SECOND_TOKEN if second_wallet else None,
        CONTRACT_MAX_EXAMPLES="1",
        CONTRACT_SUMMARY_PATH=str(tmp_path / "summary.md"),
    )
    if not proxy:
        del environment[PROXY_URL_VARIABLE]
    junit = tmp_path / "junit.xml"
    only = [] if second_wallet == proxy else ["-k", ONE_VARIABLE_MODULES]
    completed = subprocess.run(  # noqa: S603 - our own script, run by this interpreter
        [sys.executable, str(ROOT / "scripts" / "contract.py"), f"--junitxml={junit}", *only],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    assert "INTERNALERROR" not in output
    skips = _skips(junit)
    wanted = [(SECOND_API_KEY_VARIABLE, not second_wallet), (PROXY_URL_VARIABLE, not proxy)]
    for variable, skipped in wanted:
        naming = [reason for reason in skips if variable in reason]
        assert bool(naming) == skipped, (variable, skips)
    # Every skip says which variable would turn the test on.
    assert all(SECOND_API_KEY_VARIABLE in reason or PROXY_URL_VARIABLE in reason for reason in skips), skips
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Contract run")
    if not only:
        # The whole v0 suite: each test of what only v2 declares is deselected, visibly and with a reason.
        said = [line for line in output.splitlines() if line.startswith("not applicable to lava.yaml")]
        listed = summary.split(f"## Not applicable to this spec ({len(V2_ONLY)} tests deselected)")[1]
        for name in V2_ONLY:
            (line,) = [line for line in said if f"::{name}" in line]
            assert line.split("(deselected): ")[1].split(": ", 1)[1].strip(), (
                f"{name} deselected without a reason"
            )
            assert f"::{name}" in listed, name


def test_make_contract_with_lava_api_version_v2_runs_the_whole_suite_against_the_embedded_server_on_v2(
    tmp_path: Path,
) -> None:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LAVA_", "CONTRACT_", "HYPOTHESIS_"))
    }
    environment.update(
        {
            API_VERSION_VARIABLE: "v2",
            "CONTRACT_MAX_EXAMPLES": "1",
            "CONTRACT_SUMMARY_PATH": str(tmp_path / "summary.md"),
        }
    )
    junit = tmp_path / "junit.xml"
    completed = subprocess.run(  # noqa: S603 - our own script, run by this interpreter
        [sys.executable, str(ROOT / "scripts" / "contract.py"), f"--junitxml={junit}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    assert "testing the embedded reference server as Lava's v2 API" in completed.stdout
    assert "not applicable" not in output
    assert _skips(junit) == []
    cases = ET.parse(junit).getroot().iter("testcase")  # noqa: S314 - a report our own run just wrote
    passed = {case.get("name", "").split("[")[0] for case in cases if not list(case)}
    assert set(V2_ONLY) <= passed, sorted(passed)
