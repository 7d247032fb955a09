"""`make bench` runs end to end and prints every figure and ratio it promises (not the timings themselves)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from lava_spec import API_VERSION_VARIABLE
from tests.repository import ROOT

BENCH = ROOT / "scripts" / "bench.py"


def run(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(BENCH), *args],
        env={**os.environ, **environment},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_bench_prints_each_operation_mode_and_way_with_ratios_and_a_verdict() -> None:
    result = run("--calls", "3", "--budget", "1000")

    assert result.returncode == 0, result.stderr
    rows = {
        tuple(line.split()[:2]) for line in result.stdout.splitlines() if re.match(r"^(sync|async) ", line)
    }
    assert rows == {(mode, op) for mode in ("sync", "async") for op in ("get", "list", "update", "all")}
    assert "raw httpx us" in result.stdout
    assert "plain generated us" in result.stdout
    assert "lava_client us" in result.stdout
    assert "LavaClient us" in result.stdout
    for way in ("lava_client", "LavaClient"):
        assert re.search(
            rf"^{way} / raw httpx: sync \d+\.\d{{3}}, async \d+\.\d{{3}}: within the budget",
            result.stdout,
            flags=re.MULTILINE,
        ), way


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_the_bench_measures_v0_whatever_lava_api_version_says(version: str) -> None:
    # A shell that exported LAVA_API_VERSION for `make contract` (v2, or a typo) runs the bench unchanged.
    result = run("--calls", "3", "--budget", "1000", **{API_VERSION_VARIABLE: version})

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_a_ratio_over_the_budget_exits_1_and_says_so() -> None:
    result = run("--calls", "3", "--budget", "0.01")

    assert result.returncode == 1
    assert "OVER the budget of 0.01" in result.stdout


def test_a_bad_flag_exits_2_with_usage() -> None:
    result = run("--calls", "0")

    assert result.returncode == 2
    assert "must be 1 or more" in result.stderr
