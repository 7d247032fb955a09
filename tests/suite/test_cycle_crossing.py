"""The contract suite across the ends of cycles: no false alarm where the server's clock crosses midnight.

tests/suite/cycle_crossing.py serves each version with a clock that crosses a day's, a week's and a
month's end (UTC) every few requests while the lifecycle and usage tests run, so the server starts
current-cycle figures again at zero in the middle of them. With the suite's clock agreeing with the
server's, the suite passes; with the suite's clock twelve hours behind (no `Date` header to tell it
otherwise), the same restarts break its exact comparisons, which proves the run really crossed them and
that the rule (contract_tests/cycles.py) is what lets them through.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lava_spec import API_VERSIONS
from tests.repository import ROOT

LIFECYCLE = "contract_tests/test_spend_key_lifecycle.py"
USAGE = "contract_tests/test_spend_key_usage.py"
# The message of cycles.py for a drop that no end of a cycle explains.
NO_END = "no cycle of its limit ended"


def _crossing(
    version: str, follow: str, tmp_path: Path, examples: int, *tests: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("LAVA_", "CONTRACT_"))},
        "CONTRACT_MAX_EXAMPLES": str(examples),
        # A database of its own: no example another run saved is replayed here.
        "CONTRACT_DATABASE_DIR": str(tmp_path / "examples"),
        "CONTRACT_SUMMARY_PATH": str(tmp_path / "summary.md"),
        "CONTRACT_REPLAY_DIR": str(tmp_path / "replays"),
    }
    return subprocess.run(  # noqa: S603 - our own module, run by this interpreter
        [sys.executable, "-m", "tests.suite.cycle_crossing", version, follow, *tests],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("version", API_VERSIONS)
def test_the_lifecycle_and_usage_tests_pass_while_the_servers_clock_crosses_the_ends_of_cycles(
    version: str, tmp_path: Path
) -> None:
    run = _crossing(version, "same", tmp_path, 10, LIFECYCLE, USAGE)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert NO_END not in run.stdout


# One version is enough for the control: the restarts it shows come from the server's one store.
@pytest.mark.parametrize("version", ["v2"])
def test_the_same_crossings_fail_the_exact_comparisons_when_the_suite_believes_no_cycle_ended(
    version: str, tmp_path: Path
) -> None:
    # More examples than above: each draws its limits, and only a key with a cycle that ends and some usage
    # shows a restart (16 runs of 16 failed so at 20, each in under 2 s).
    run = _crossing(version, "behind", tmp_path, 20, LIFECYCLE, USAGE)
    assert run.returncode == 1, run.stdout[-4000:] + run.stderr[-2000:]
    assert NO_END in run.stdout
