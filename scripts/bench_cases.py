"""Cases per second: the contract suite beside the plain schemathesis CLI, same server, same spec, one run.

`make bench-cases` calls this program. It starts the conforming reference server in this process behind
a counter of HTTP requests, runs the contract suite (as `make contract` would, against that server) and
then the schemathesis CLI with its default settings, and prints each one's requests, wall time, requests
per second and the ratio suite / CLI. A "case" here is one HTTP request the server answered: the unit
both tools share. Timings vary with the machine; the ratio is what to compare. Both run v0's spec
(`openapi/lava.yaml`), whatever `LAVA_API_VERSION` says, as the suite's environment leaves it unset.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from contract_tests.reference_server import create_app, running_server
from contract_tests.target import loopback_environment
from lava_spec import SPEC_PATH

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TOKEN = "bench_token_wallet_1"  # noqa: S105 - a loopback-only test token
SECOND_TOKEN = "bench_token_wallet_2"  # noqa: S105

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class RequestCounter:
    """ASGI middleware that counts the HTTP requests reaching the app."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self._app = app
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count, then pass the request on."""
        if scope["type"] == "http":
            self.count += 1
        await self._app(scope, receive, send)


def _measure(
    counter: RequestCounter, command: list[str], environment: dict[str, str], cwd: Path
) -> tuple[int, float, int]:
    before = counter.count
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, check=False)  # noqa: S603
    return counter.count - before, time.perf_counter() - started, completed.returncode


def main() -> int:
    """Run both, print the figures."""
    # The CLI's malformed requests make uvicorn warn "Invalid HTTP request received." by the hundred; a
    # filter, since uvicorn resets its loggers' levels when each server starts.
    logging.getLogger("uvicorn.error").addFilter(
        lambda record: "Invalid HTTP request" not in record.getMessage()
    )
    counter = RequestCounter(create_app({TOKEN: "wallet_1", SECOND_TOKEN: "wallet_2"}, spec_path=SPEC_PATH))
    with running_server(counter) as base_url, tempfile.TemporaryDirectory() as scratch:
        environment = loopback_environment(base_url, TOKEN, SECOND_TOKEN)
        suite = _measure(
            counter,
            [sys.executable, "-m", "pytest", str(ROOT / "contract_tests"), "-q", "-p", "no:cacheprovider"],
            environment,
            ROOT,
        )
        cli = _measure(
            counter,
            [
                str(BIN / "schemathesis"),
                "run",
                str(SPEC_PATH),
                "--url",
                base_url,
                "--header",
                f"Authorization: Bearer {TOKEN}",
            ],
            environment,
            Path(scratch),
        )
    print(f"{'':16} {'requests':>9} {'seconds':>8} {'requests/s':>11}  exit")
    for label, (requests, seconds, status) in (("contract suite", suite), ("schemathesis CLI", cli)):
        print(f"{label:16} {requests:9d} {seconds:8.1f} {requests / seconds:11.0f}  {status}")
    ratio = (suite[0] / suite[1]) / (cli[0] / cli[1])
    print(f"ratio suite/CLI (requests per second): {ratio:.2f}")
    return 0 if suite[2] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
