"""`make mutation`'s program: its report says what was killed, and bad input is a usage error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from contract_tests.reference_server import FAULTS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import mutation  # noqa: E402 - a script, importable once scripts/ is on the path


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
    killed = mutation.Outcome(killed=True, caught_by="test_x: ST101 boom", seconds=1.5)
    survived = mutation.Outcome(killed=False, caught_by="", seconds=9.0)
    rows = [
        mutation.Row("fault_a", "shape", killed, survived),
        mutation.Row("fault_b", "auth", survived, killed),
    ]
    markdown = mutation.render_markdown(rows, [survived, killed], [1, 2])
    assert "Suite: 1/2 faults killed (50%); slowest detection 9.0 s." in markdown
    assert "Baseline (schemathesis CLI, default settings): 1/2 killed (50%)." in markdown
    assert "FALSE ALARMS under seeds [2]" in markdown
    assert "| fault_b | auth | SURVIVED |" in markdown
