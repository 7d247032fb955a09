"""The suite's pacing: rate, 429 patience and budget, without a network."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from contract_tests.traffic import (
    MAX_RETRIES_AFTER_429,
    MAX_WAIT_SECONDS,
    RequestBudgetExhaustedError,
    Traffic,
    TrafficTransport,
    retry_delay,
)


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


def test_a_server_that_keeps_answering_429_is_given_up_on() -> None:
    traffic = Traffic(sleep=lambda _: None)
    transport = httpx.MockTransport(lambda _: httpx.Response(429, headers={"Retry-After": "1"}))
    with httpx.Client(transport=TrafficTransport(traffic, transport)) as client:
        assert client.get("http://test/").status_code == 429
    assert traffic.retried_after_429 == MAX_RETRIES_AFTER_429
