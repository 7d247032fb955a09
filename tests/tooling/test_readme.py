"""The README's client examples run as written, against the reference server."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from contract_tests.reference_server import create_app, running_server
from tests.repository import ROOT

TOKEN = "readme_token_not_a_secret"  # noqa: S105 - a test token
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def run_example(example: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "LAVA_API_KEY": TOKEN}
    with running_server(create_app({TOKEN: "wallet_1"})) as base_url:
        environment["LAVA_BASE_URL"] = base_url
        return subprocess.run(  # noqa: S603 - the README's own example, run by the venv's interpreter
            [sys.executable, "-c", example],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def test_the_readme_shows_the_resource_style_client_first_and_the_functions_after() -> None:
    assert len(EXAMPLES) == 2, "the README should hold two Python examples: resources, then functions"
    resources, functions = EXAMPLES
    assert "LavaClient" in resources
    assert "AsyncLavaClient" in resources
    assert "lava_client.api.spend_keys import" in functions


@pytest.mark.parametrize("example", EXAMPLES, ids=["resources", "functions"])
def test_each_readme_client_example_runs_against_the_reference_server(example: str) -> None:
    result = run_example(example)

    assert result.returncode == 0, result.stderr
    assert not re.search(r"lava_sk_[0-9a-f]{20,}", result.stdout), "a raw key was printed"
    assert TOKEN not in result.stdout + result.stderr


def test_the_resource_example_prints_keys_redacted_and_lists_them_by_preview() -> None:
    result = run_example(EXAMPLES[0])

    assert result.returncode == 0, result.stderr
    assert "key='<redacted>'" in result.stdout
    assert "lava_sk_" in result.stdout  # the key_preview of the listed key
    assert "422 " in result.stdout
    assert "revoked" in result.stdout
    assert result.stdout.rstrip().endswith("1 keys left")
