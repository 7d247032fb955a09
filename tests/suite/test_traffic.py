"""The suite's pacing: rate, 429 patience and budget, and that every request of a run goes through it.

Most tests need no network; the last ones send schemathesis's requests, its checks' own included, to a
loopback reference server that counts what it receives.
"""

from __future__ import annotations

import email.utils
import io
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from schemathesis.transport.requests import REQUESTS_TRANSPORT
from starlette.types import ASGIApp, Receive, Scope, Send

from contract_tests.reference_server import DEFAULT_DEV_TOKEN, StagingConditions, create_app, running_server
from contract_tests.target import PREFLIGHT_DONE_VARIABLE, loopback_environment
from contract_tests.traffic import (
    MAX_RETRIES_AFTER_429,
    MAX_WAIT_SECONDS,
    RequestBudgetExhaustedError,
    Traffic,
    TrafficTransport,
    UnpacedSessionError,
    retry_delay,
    schemathesis_through,
    traffic_session,
)
from lava_spec import SPEC_PATH, load_spec
from tests.repository import ROOT

SPEC = SPEC_PATH
LIST = load_spec().operation("list_spend_keys")


def test_retry_after_in_seconds_is_honoured() -> None:
    assert retry_delay({"Retry-After": "7"}) == 7


def test_retry_after_as_an_http_date_is_honoured() -> None:
    later = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 15 <= retry_delay({"retry-after": later}) <= 20


def test_x_ratelimit_reset_is_the_fallback_and_waits_are_capped() -> None:
    assert 8 <= retry_delay({"X-RateLimit-Reset": str(int(time.time()) + 10)}) <= 10
    assert retry_delay({"Retry-After": "100000"}) == MAX_WAIT_SECONDS
    assert retry_delay({}) == 1


def test_requests_are_spaced_to_the_rate() -> None:
    waits: list[float] = []
    traffic = Traffic(rate=4, sleep=waits.append)
    for _ in range(5):
        traffic.before_request()
    assert traffic.sent == 5
    assert sum(waits) >= 0.9  # four gaps of a quarter second, less the time the loop took


def test_the_budget_stops_the_run_with_a_message_that_says_what_to_raise() -> None:
    traffic = Traffic(budget=2)
    traffic.before_request()
    traffic.before_request()
    with pytest.raises(RequestBudgetExhaustedError, match="CONTRACT_REQUEST_BUDGET"):
        traffic.before_request()


def test_a_429_is_waited_out_and_the_request_sent_again() -> None:
    answers = iter([429, 429, 200])

    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers), headers={"Retry-After": "3"})

    waits: list[float] = []
    traffic = Traffic(sleep=waits.append)
    with httpx.Client(transport=TrafficTransport(traffic, httpx.MockTransport(handler))) as client:
        assert client.get("http://test/").status_code == 200
    assert (traffic.sent, traffic.retried_after_429, waits) == (3, 2, [3.0, 3.0])


def test_schemathesis_requests_wait_out_a_429_in_the_same_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    statuses = iter([429, 200])

    def answer(*_args: Any, **_kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = next(statuses)
        response.headers["Retry-After"] = "2"
        response.raw = io.BytesIO(b"")
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", answer)
    waits: list[float] = []
    traffic = Traffic(sleep=waits.append)
    with traffic_session(traffic) as session:
        assert session.get("http://test/").status_code == 200
    assert (traffic.sent, traffic.retried_after_429, waits) == (2, 1, [2.0])


def test_a_server_that_keeps_answering_429_is_given_up_on() -> None:
    traffic = Traffic(sleep=lambda _: None)
    transport = httpx.MockTransport(lambda _: httpx.Response(429, headers={"Retry-After": "1"}))
    with httpx.Client(transport=TrafficTransport(traffic, transport)) as client:
        assert client.get("http://test/").status_code == 429
    assert traffic.retried_after_429 == MAX_RETRIES_AFTER_429


class _CountingServer:
    """ASGI middleware: counts the HTTP requests that reach the app, and those without the run's token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.authorization = f"Bearer {token}".encode()
        self.received = 0
        self.without_token = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.received += 1
            if (b"authorization", self.authorization) not in scope["headers"]:
                self.without_token += 1
        await self.app(scope, receive, send)


@pytest.fixture
def counting_server() -> Iterator[tuple[str, _CountingServer]]:
    # Every 40th request per token is a 429 (Retry-After: 0), to show those are waited out and counted too.
    app = create_app(staging=StagingConditions(throttle_every=40, retry_after_seconds=0))
    counting = _CountingServer(app, DEFAULT_DEV_TOKEN)
    with running_server(counting) as base_url:
        yield base_url, counting


def _list_case(base_url: str) -> schemathesis.Case[Any]:
    config = schemathesis.Config.from_dict({"base-url": base_url})
    operation = schemathesis.openapi.from_path(SPEC, config=config)[LIST.path][LIST.method]
    return operation.Case(headers={"Authorization": f"Bearer {DEFAULT_DEV_TOKEN}"})


def test_a_check_that_sends_without_the_session_still_goes_through_traffic(
    counting_server: tuple[str, _CountingServer],
) -> None:
    base_url, counting = counting_server
    traffic = Traffic()
    with schemathesis_through(traffic):
        # What ignored_auth does with its probes: the transport directly, the session left out on purpose.
        response = REQUESTS_TRANSPORT.send(_list_case(base_url))
    assert (response.status_code, traffic.sent, counting.received) == (200, 1, 1)
    assert "send" not in vars(REQUESTS_TRANSPORT)  # schemathesis's own transport again, once closed


def test_a_session_that_is_not_paced_is_refused_before_anything_is_sent(
    counting_server: tuple[str, _CountingServer],
) -> None:
    base_url, counting = counting_server
    traffic = Traffic()
    case = _list_case(base_url)
    with schemathesis_through(traffic), requests.Session() as unpaced, traffic_session(Traffic()) as foreign:
        for session in (unpaced, foreign):
            with pytest.raises(UnpacedSessionError, match="traffic_session"):
                case.call(session=session)
    assert (traffic.sent, counting.received) == (0, 0)


def test_every_request_of_the_schemathesis_tests_checks_included_is_paced_and_counted(
    counting_server: tuple[str, _CountingServer], tmp_path: Path
) -> None:
    base_url, counting = counting_server
    settings = {
        "CONTRACT_MAX_EXAMPLES": "10",
        "CONTRACT_SUMMARY_PATH": str(tmp_path / "summary.md"),
        # The preflight's few requests are its own (plain httpx, before any test): not what is measured here.
        PREFLIGHT_DONE_VARIABLE: "1",
    }
    environment = loopback_environment(base_url, DEFAULT_DEV_TOKEN, **settings)
    modules = ["contract_tests/test_linked_workflows.py", "contract_tests/test_schema_conformance.py"]
    result = subprocess.run(  # noqa: S603 - our own test modules, run by this interpreter
        [sys.executable, "-m", "pytest", *modules, "-p", "no:cacheprovider", "-q"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    summary = re.search(r"(\d+) requests sent; (\d+) retried after a 429", result.stdout)
    assert summary is not None, result.stdout[-2000:]
    sent, retried = int(summary[1]), int(summary[2])
    # Equal: none bypassed Traffic, and none was refused by the server's HTTP layer before reaching the app.
    assert counting.received == sent
    # The requests that used to bypass Traffic: ignored_auth's probes, sent without the token.
    assert counting.without_token > 0
    assert retried > 0
