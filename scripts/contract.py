"""Run the contract suite: `make contract` calls this program.

With no `LAVA_BASE_URL` the suite starts the embedded reference server itself and needs no credentials.
With `LAVA_BASE_URL` and `LAVA_API_KEY` set it first checks, with one request, that the server answers
and accepts the token, so that a typo ends in one clear sentence rather than hundreds of failed tests.
Any other arguments go to pytest unchanged (`make contract ARGS="-k rotate -x"`).

Exit statuses (distinct, so CI can tell them apart):
  0  the server honours the contract
  1  the server broke the contract: the report names each operation, check and request
  2  bad usage: an unknown flag, or an environment that names an incomplete target
  3  the target server could not be reached
  4  the target server rejected LAVA_API_KEY
  5  the suite itself failed (internal error, interrupted, or no tests collected)
  6  the target is Lava's production API and --allow-production was not given
  130 interrupted (Ctrl-C); the suite still revoked the keys it had created
It never prints a token.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from contract_tests.target import (
    ALLOW_PRODUCTION_VARIABLE,
    API_KEY_VARIABLE,
    BASE_URL_VARIABLE,
    ProductionTargetError,
    Target,
    TargetConfigurationError,
    configured_target,
)

EXIT_OK = 0
EXIT_CONTRACT_BROKEN = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_TOKEN_REJECTED = 4
EXIT_SUITE_ERROR = 5
EXIT_PRODUCTION_REFUSED = 6
EXIT_INTERRUPTED = 130
PREFLIGHT_TIMEOUT_SECONDS = 15.0
ROOT = Path(__file__).resolve().parents[1]


def preflight(target: Target) -> int:
    """One list request: is the server there, and does it take the token?"""
    try:
        response = httpx.get(
            f"{target.base_url}/manage/spend_keys",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {target.token}"},
            timeout=PREFLIGHT_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as error:
        print(
            f"contract: cannot reach {BASE_URL_VARIABLE}={target.base_url} ({type(error).__name__}). "
            "Check the URL (it ends in the API version, e.g. /v1) and that the server is up.",
            file=sys.stderr,
        )
        return EXIT_UNREACHABLE
    if response.status_code in (401, 403):
        print(
            f"contract: {target.base_url} rejected {API_KEY_VARIABLE} with {response.status_code}. "
            f"Set {API_KEY_VARIABLE} to a management API key of that server (it is not shown here).",
            file=sys.stderr,
        )
        return EXIT_TOKEN_REJECTED
    return EXIT_OK


def main(argv: list[str]) -> int:
    """Check the target, then run pytest over contract_tests/ with `argv` appended."""
    if "--allow-production" in argv:
        argv = [arg for arg in argv if arg != "--allow-production"]
        os.environ[ALLOW_PRODUCTION_VARIABLE] = "1"
    try:
        target = configured_target()
    except ProductionTargetError as error:
        print(f"contract: {error}", file=sys.stderr)
        return EXIT_PRODUCTION_REFUSED
    except TargetConfigurationError as error:
        print(f"contract: {error}", file=sys.stderr)
        return EXIT_USAGE
    if target is not None:
        status = preflight(target)
        if status != EXIT_OK:
            return status
        print(f"contract: testing {target.base_url}")
    else:
        print("contract: testing the embedded reference server (set LAVA_BASE_URL to test another)")
    reports = ROOT / "reports"
    reports.mkdir(exist_ok=True)
    args = [
        str(ROOT / "contract_tests"),
        f"--rootdir={ROOT}",
        f"--junitxml={reports / 'contract-junit.xml'}",
        "-p",
        "no:cacheprovider",
        *argv,
    ]
    # pytest runs in a process of its own: this one has imported httpx already, and pytest must import
    # the suite's modules itself to rewrite their asserts.
    suite = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=ROOT)  # noqa: S603
    try:
        exit_code = suite.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached pytest too: let it revoke this run's keys before we go.
        print("contract: interrupted; waiting for the suite to revoke this run's keys", file=sys.stderr)
        suite.wait()
        return EXIT_INTERRUPTED
    outcomes: dict[int, int] = {
        pytest.ExitCode.OK: EXIT_OK,
        pytest.ExitCode.TESTS_FAILED: EXIT_CONTRACT_BROKEN,
        pytest.ExitCode.USAGE_ERROR: EXIT_USAGE,
    }
    return outcomes.get(exit_code, EXIT_SUITE_ERROR)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
