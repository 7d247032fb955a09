"""Run contract tests against a reference server whose clock crosses the ends of cycles while they run.

`python -m tests.suite.cycle_crossing VERSION FOLLOW TEST...` serves VERSION's spec with a `ManualClock`
that every request moves on by `STEP`; every `BLOCK` requests it is set to `BLOCK` / 2 steps before the
next midnight (UTC) of the next kind in turn: a plain day's end, a week's (Sunday to Monday, mid-month), a
month's (the 1st, not a Monday). So each block of requests crosses one end of a cycle, and a key's
current-cycle figures start again at zero in the middle of the tests, as they would in a run across
midnight. The suite's clock (`contract_tests.cycles`) is that clock, and the server's `Date` header shows it
too (FOLLOW `same`: suite and server agree), or the suite's is twelve hours behind and the server sends no
`Date` (`behind`: the suite has no reason to think a cycle ends, so its exact comparisons must catch the
restarts). Runs pytest on TEST in this process and
exits with its status. Used by tests/suite/test_cycle_crossing.py.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Final
from unittest import mock

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract_tests import cycles
from contract_tests.reference_server import ManualClock, create_app
from contract_tests.reference_server.runner import HOST, listening_socket, quiet_server
from contract_tests.target import embedded_tokens, loopback_environment
from lava_spec import API_VERSION_VARIABLE, load_spec, spec_path

BLOCK: Final = 10
STEP: Final = timedelta(milliseconds=50)
# The first crossing's day: the boundaries follow from here.
FIRST_DAY: Final = datetime(2027, 1, 5, tzinfo=UTC)
BEHIND: Final = timedelta(hours=12)


def _kind(midnight: datetime) -> int:
    """0: only a day ends; 1: a week ends too (Monday, not the 1st); 2: a month ends too (not a Monday)."""
    monday, first = midnight.weekday() == 0, midnight.day == 1
    if monday and first:
        return -1
    return 2 if first else 1 if monday else 0


def boundaries(after: datetime) -> Iterator[datetime]:
    """Midnights after `after`: a day's end, then a week's, then a month's, and again."""
    midnight = after.replace(hour=0, minute=0, second=0, microsecond=0)
    for wanted in itertools.cycle((0, 1, 2)):
        midnight += timedelta(days=1)
        while _kind(midnight) != wanted:
            midnight += timedelta(days=1)
        yield midnight


class Crossing:
    """ASGI middleware: moves `clock` on for every request (see the module), and dates each answer by it."""

    def __init__(self, app: ASGIApp, clock: ManualClock, *, dated: bool) -> None:
        self._app = app
        self._clock = clock
        self._dated = dated
        self._count = itertools.count()
        self._boundaries = boundaries(FIRST_DAY)
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        with self._lock:
            if next(self._count) % BLOCK == 0:
                self._clock.set(next(self._boundaries) - STEP * (BLOCK // 2))
            else:
                self._clock.advance(STEP)

        async def dated(message: Message) -> None:
            if self._dated and message["type"] == "http.response.start":
                date = format_datetime(self._clock(), usegmt=True).encode()
                message["headers"] = [*message.get("headers", []), (b"date", date)]
            await send(message)

        await self._app(scope, receive, dated)


def main(argv: list[str]) -> int:
    version, follow, *tests = argv
    os.environ[API_VERSION_VARIABLE] = version
    spec = spec_path(version)
    token, second_token = embedded_tokens(spec)
    clock = ManualClock(FIRST_DAY)
    served = create_app({token: "wallet_1", second_token: "wallet_2"}, spec_path=spec, clock=clock)
    app = Crossing(served, clock, dated=follow == "same")
    sock = listening_socket(HOST, 0)
    port = sock.getsockname()[1]
    server = quiet_server(app, host=HOST, port=port)
    server.config.date_header = False  # uvicorn's would show the real time, not the server's clock
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            return 3
        threading.Event().wait(0.005)
    base_url = f"http://{HOST}:{port}{load_spec(spec).base_path}"
    # The caller's CONTRACT_* settings (examples, where reports go) pass; every other LAVA_* is ours.
    kept = {name: value for name, value in os.environ.items() if name.startswith("CONTRACT_")}
    os.environ.clear()
    os.environ.update(
        loopback_environment(base_url, token, second_token, **{API_VERSION_VARIABLE: version}, **kept)
    )
    suite_clock = clock if follow == "same" else lambda: clock() - BEHIND
    try:
        with mock.patch.object(cycles, "suite_clock", suite_clock):
            # anyio (under starlette) is imported before pytest could rewrite its plugin, as expected here.
            options = [
                "-q",
                "-p",
                "no:randomly",
                "-p",
                "no:cacheprovider",
                "-W",
                "ignore::pytest.PytestAssertRewriteWarning",
            ]
            return int(pytest.main([*options, *tests]))
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
