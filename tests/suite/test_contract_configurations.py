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
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.reference_server import create_app, running_server
from contract_tests.target import PROXY_URL_VARIABLE, SECOND_API_KEY_VARIABLE, loopback_environment
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
    assert (tmp_path / "summary.md").read_text(encoding="utf-8").startswith("# Contract run")
