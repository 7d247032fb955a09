"""The README's client examples run as written, each against the reference server of its version."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from contract_tests.reference_server import create_app, running_server
from lava_spec import load_spec
from lava_spec.versions import DEFAULT_API_VERSION, spec_path
from tests.repository import ROOT

TOKEN = "readme_token_not_a_secret"  # noqa: S105 - a test token
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
# The version of the API an example uses: the first version package it imports.
EXAMPLE_VERSION = re.compile(r"\blava_client\.(v\d+)\b")


def example_version(example: str) -> str:
    match = EXAMPLE_VERSION.search(example)
    return match.group(1) if match else DEFAULT_API_VERSION


def run_example(example: str) -> subprocess.CompletedProcess[str]:
    version = example_version(example)
    # A credential of that version: v2's server takes only tokens with its spec's prefixes.
    token = load_spec(spec_path(version)).key_prefixes.get("test", "") + TOKEN
    environment = {**os.environ, "LAVA_API_KEY": token}
    with running_server(create_app({token: "wallet_1"}, spec_path=spec_path(version))) as base_url:
        environment["LAVA_BASE_URL"] = base_url
        return subprocess.run(  # noqa: S603 - the README's own example, run by the venv's interpreter
            [sys.executable, "-W", "error::DeprecationWarning", "-c", example],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def test_the_readme_shows_the_resource_style_client_the_functions_and_then_v2() -> None:
    assert len(EXAMPLES) == 3, "the README should hold three Python examples: resources, functions, v2"
    resources, functions, v2 = EXAMPLES
    assert "LavaClient" in resources
    assert "AsyncLavaClient" in resources
    assert ".api.spend_keys import" in functions
    assert [example_version(example) for example in EXAMPLES] == ["v0", "v0", "v2"]
    assert "from lava_client.v2 import LavaClient" in v2


@pytest.mark.parametrize("example", EXAMPLES, ids=["resources", "functions", "v2"])
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


def test_the_v2_example_calls_v2_paths_and_catches_the_shared_not_found_error() -> None:
    result = run_example(EXAMPLES[2])

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "not found: not_found"
