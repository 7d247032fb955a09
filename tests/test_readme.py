"""The README's client example runs as written, against the reference server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from contract_tests.reference_server import create_app, running_server

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "readme_token_not_a_secret"  # noqa: S105 - a test token


def test_the_readme_client_example_runs_against_the_reference_server() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert len(blocks) == 1, "the README should hold exactly one Python example"
    environment = {**os.environ, "LAVA_API_KEY": TOKEN}
    with running_server(create_app({TOKEN: "wallet_1"})) as base_url:
        environment["LAVA_BASE_URL"] = base_url
        result = subprocess.run(  # noqa: S603 - the README's own example, run by the venv's interpreter
            [sys.executable, "-c", blocks[0]],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "key='<redacted>'" in result.stdout
    assert "lava_sk_" in result.stdout  # the key_preview of the listed key
    assert not re.search(r"lava_sk_[0-9a-f]{20,}", result.stdout), "a raw key was printed"
    assert TOKEN not in result.stdout + result.stderr
