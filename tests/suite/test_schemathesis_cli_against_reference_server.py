"""The plain schemathesis CLI, every check and phase on, finds nothing wrong with `make serve`.

This is the reference server as a user meets it: started by the same command `make serve` runs, in its
own process, tested by the CLI over HTTP. A failure prints the CLI's own report.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from contract_tests.reference_server import DEFAULT_DEV_TOKEN
from lava_spec import SPEC_PATH
from tests.repository import ROOT

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
START_TIMEOUT_SECONDS = 20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, "the reference server exited during start-up"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            time.sleep(0.05)
        else:
            return
    raise AssertionError(f"the reference server did not listen on {port} within {START_TIMEOUT_SECONDS} s")


def test_schemathesis_cli_with_every_check_finds_no_failure(tmp_path: Path) -> None:
    port = _free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LAVA_")}
    server = subprocess.Popen(  # noqa: S603 - our own module, run by the venv's interpreter
        [sys.executable, "-m", "contract_tests.reference_server", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, server)
        result = subprocess.run(  # noqa: S603 - the venv's schemathesis
            [
                str(SCHEMATHESIS),
                "run",
                str(SPEC_PATH),
                "--url",
                f"http://127.0.0.1:{port}/v1",
                "--header",
                f"Authorization: Bearer {DEFAULT_DEV_TOKEN}",
                "--checks",
                "all",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--mode",
                "all",
                "--max-examples",
                "30",
                "--report-dir",
                str(tmp_path),
            ],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout, result.stdout[-3000:]
