"""Lava's own Node SDK (npm @lavapayments/nodejs, pinned by interop/node_sdk/) against the reference server.

scripts/node_sdk.py (`make node-sdk`) installs the SDK with `npm ci` into a temporary copy, serves one
version's spec, and runs the SDK's six spend-key methods through one key's life (interop/node_sdk/
lifecycle.mjs), one JSON line per method. It runs once per version here, and each method is a test.

- v2, the API the SDK is written for, with the SDK's own paths under the spec's server URL and a slash
  (nothing added): each method answers, the lifecycle holds, and each answer has the shape the SDK's
  TypeScript types promise.
- v0, the seed, with the base URL ending in `/manage/`: each method answers and the lifecycle holds; the
  SDK's types are v2's, so its answers may only lack fields that v0's spec does not require.

Skipped, saying why, only where no Node.js 18+ with npm is on PATH (the script's exit status 3). An
unreachable package registry is a failure with npm's message, not a skip.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import node_sdk  # scripts/node_sdk.py: this folder's conftest puts scripts/ on the path
import pytest

from lava_spec import load_spec
from lava_spec.versions import spec_path
from tests.repository import SCRIPTS

METHODS = ("create", "list", "retrieve", "update", "rotate", "revoke")
EXIT_NO_NODE = 3
# What a raw spend key or a v2 test key would look like if one were printed.
SECRET = re.compile(r"lava_sk_[0-9a-f]{20,}|aks_(?:test|live)_[0-9a-f]{16,}")


@dataclass(frozen=True)
class Run:
    """One run of scripts/node_sdk.py: its output, and its JSON line for each method."""

    output: str
    base_url: str
    records: dict[str, dict[str, Any]]
    status: int

    def record(self, method: str) -> dict[str, Any]:
        assert method in self.records, f"{method}: no result line from lifecycle.mjs\n{self.output}"
        return self.records[method]


def run_node_sdk(version: str) -> Run:
    finished = subprocess.run(  # noqa: S603 - our own script, by this interpreter
        [sys.executable, SCRIPTS / "node_sdk.py", "--version", version],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = finished.stdout + finished.stderr
    if finished.returncode == EXIT_NO_NODE:
        pytest.skip(f"Lava's Node SDK cannot run here: {finished.stderr.strip()}")
    assert SECRET.search(output) is None, "scripts/node_sdk.py printed a key"
    records = {}
    base_url = ""
    for line in finished.stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            records[record["method"]] = record
        elif " baseUrl " in line:
            base_url = line.rsplit(" ", 1)[1]
    assert records, f"scripts/node_sdk.py ran no method (exit status {finished.returncode}):\n{output}"
    return Run(output, base_url, records, finished.returncode)


def why(record: dict[str, Any]) -> str:
    """The SDK's error, or the answers' mismatches with its types, in one message."""
    mismatches = "; ".join(
        f"{m['type']}.{m['field']} {m['problem']}" + (f" ({m['value']!r})" if "value" in m else "")
        for m in record.get("mismatches", [])
    )
    return " / ".join(part for part in (record.get("error", ""), mismatches) if part)


@pytest.fixture(scope="module")
def v2_run() -> Run:
    return run_node_sdk("v2")


@pytest.fixture(scope="module")
def v0_run() -> Run:
    return run_node_sdk("v0")


def test_the_sdk_is_given_the_v2_server_url_and_a_slash_nothing_more(v2_run: Run) -> None:
    assert urlsplit(v2_run.base_url).path == load_spec(spec_path("v2")).base_path + "/", v2_run.output


@pytest.mark.parametrize("method", METHODS)
def test_each_method_of_the_node_sdk_works_against_the_v2_server(v2_run: Run, method: str) -> None:
    record = v2_run.record(method)

    assert record["outcome"] == "ok", f"lava.spendKeys.{method}: {record['outcome']}: {why(record)}"


@pytest.mark.parametrize("method", METHODS)
def test_each_method_of_the_node_sdk_runs_against_the_v0_server_under_manage(
    v0_run: Run, method: str
) -> None:
    required = load_spec(spec_path("v0")).required("SpendKey")
    record = v0_run.record(method)

    assert record["outcome"] in {"ok", "mismatch"}, (
        f"lava.spendKeys.{method}: {record['outcome']}: {why(record)}"
    )
    beyond_v0 = [
        m for m in record.get("mismatches", []) if m["problem"] != "missing" or m["field"] in required
    ]
    assert beyond_v0 == [], f"lava.spendKeys.{method}: answers break v0's own spec: {why(record)}"


def test_make_node_sdk_on_v0_exits_0_and_names_the_fields_v0_does_not_require(v0_run: Run) -> None:
    # `make node-sdk` with no LAVA_API_VERSION is this run: its answers lack only v2's additions.
    assert v0_run.status == 0, v0_run.output
    assert "node-sdk: 6 of 6 methods ok (answering without " in v0_run.output
    assert "request_shape" in v0_run.output.rsplit("node-sdk: ", 1)[1]


MISSING_V2_FIELD = {"type": "RestSpendKey", "field": "total_spend", "problem": "missing"}


@pytest.mark.parametrize(
    ("record", "fails"),
    [
        ({"method": "list", "outcome": "ok"}, False),
        ({"method": "list", "outcome": "mismatch", "mismatches": [MISSING_V2_FIELD]}, False),
        (
            {
                "method": "list",
                "outcome": "mismatch",
                "mismatches": [{"type": "RestSpendKey", "field": "name", "problem": "missing"}],
            },
            True,
        ),
        (
            {
                "method": "list",
                "outcome": "mismatch",
                "mismatches": [{"type": "RestSpendKey", "field": "total_spend", "problem": "mistyped"}],
            },
            True,
        ),
        ({"method": "list", "outcome": "error", "error": "fetch failed"}, True),
    ],
    ids=["ok", "lacks-a-field-v0-does-not-require", "lacks-a-required-field", "mistyped", "error"],
)
def test_against_v0_only_a_missing_field_v0_does_not_require_is_forgiven(
    record: dict[str, Any], *, fails: bool
) -> None:
    assert node_sdk.beyond_the_spec(record, load_spec(spec_path("v0"))) is fails
    # v2 is what the SDK's types describe: a missing field of theirs is a failure there.
    assert node_sdk.beyond_the_spec(record, load_spec(spec_path("v2"))) is (record["outcome"] != "ok")


def test_without_node_on_path_the_program_says_what_to_install_and_exits_3() -> None:
    finished = subprocess.run(  # noqa: S603 - our own script, by this interpreter
        [sys.executable, SCRIPTS / "node_sdk.py", "--version", "v2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": str(Path(sys.executable).parent)},
    )

    assert finished.returncode == EXIT_NO_NODE, finished.stdout + finished.stderr
    assert "not on PATH: install Node.js 18 or later" in finished.stderr
    assert finished.stdout == ""
