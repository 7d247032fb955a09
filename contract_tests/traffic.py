"""How fast, how much and how patiently the suite talks to the target.

One `Traffic` per run is shared by both ways the suite sends requests: the generated client (httpx, via
`TrafficTransport`) and schemathesis (requests, via `TrafficAdapter`). It
- spaces requests to at most `rate` per second (default: unlimited on the embedded server, 10/s
  elsewhere; `CONTRACT_RATE_LIMIT`);
- on a 429, waits as `Retry-After` (seconds or an HTTP date) or `X-RateLimit-Reset` say, up to a cap,
  and sends the request again, a few times at most;
- stops the run with `RequestBudgetExhausted` once `budget` requests were sent (`CONTRACT_REQUEST_BUDGET`);
- counts what it sent, for the run's report.
Timeouts stay with each client (30 s per request). It never looks inside a request or a response body.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests
from requests.adapters import HTTPAdapter

MAX_WAIT_SECONDS = 60.0
MAX_RETRIES_AFTER_429 = 5


class RequestBudgetExhaustedError(RuntimeError):
    """The run sent as many requests as it was allowed to."""


@dataclass
class Traffic:
    """A shared rate limit, 429 patience, request budget and request count."""

    rate: float | None = None  # requests per second; None: no limit
    budget: int | None = None
    sleep: Callable[[float], None] = time.sleep
    sent: int = 0
    retried_after_429: int = 0
    waited_seconds: float = 0.0
    _next_slot: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def before_request(self) -> None:
        """Wait for this request's slot; count it; stop the run if the budget is spent."""
        with self._lock:
            if self.budget is not None and self.sent >= self.budget:
                raise RequestBudgetExhaustedError(
                    f"the request budget of {self.budget} is spent; "
                    "raise CONTRACT_REQUEST_BUDGET to send more"
                )
            self.sent += 1
            now = time.monotonic()
            wait = 0.0
            if self.rate:
                wait = max(0.0, self._next_slot - now)
                self._next_slot = max(now, self._next_slot) + 1.0 / self.rate
        if wait:
            self.sleep(wait)

    def wait_after_429(self, headers: Mapping[str, str], attempt: int) -> bool:
        """After a 429: wait as the server asks and say whether to retry (False: give up)."""
        if attempt >= MAX_RETRIES_AFTER_429:
            return False
        delay = retry_delay(headers)
        with self._lock:
            self.retried_after_429 += 1
            self.waited_seconds += delay
        self.sleep(delay)
        return True

    def summary(self) -> str:
        """One line for the run's report."""
        return (
            f"{self.sent} requests sent"
            + (f" (at most {self.rate:g}/s)" if self.rate else "")
            + f"; {self.retried_after_429} retried after a 429, {self.waited_seconds:.1f} s waited"
        )


def retry_delay(headers: Mapping[str, str]) -> float:
    """Seconds to wait after a 429: Retry-After (seconds or HTTP date), else X-RateLimit-Reset, else 1."""
    lowered = {name.lower(): value for name, value in headers.items()}
    retry_after = lowered.get("retry-after", "").strip()
    delay: float | None = None
    if retry_after.isdigit():
        delay = float(retry_after)
    elif retry_after:
        try:
            moment = email.utils.parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            delay = moment.timestamp() - time.time()
    if delay is None:
        reset = lowered.get("x-ratelimit-reset", "").strip()
        if reset.isdigit():
            delay = float(reset) - time.time()
    return min(max(delay if delay is not None else 1.0, 0.0), MAX_WAIT_SECONDS)


class TrafficTransport(httpx.BaseTransport):
    """An httpx transport that sends through `traffic`'s limits."""

    def __init__(self, traffic: Traffic, inner: httpx.BaseTransport | None = None) -> None:
        self._traffic = traffic
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send, waiting out 429s."""
        attempt = 0
        while True:
            self._traffic.before_request()
            response = self._inner.handle_request(request)
            if response.status_code != 429 or not self._traffic.wait_after_429(response.headers, attempt):
                return response
            response.read()
            response.close()
            attempt += 1

    def close(self) -> None:
        """Close the inner transport."""
        self._inner.close()


class TrafficAdapter(HTTPAdapter):
    """A requests adapter (what schemathesis sends with) that sends through `traffic`'s limits."""

    def __init__(self, traffic: Traffic) -> None:
        super().__init__()
        self._traffic = traffic

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # noqa: ANN401
        """Send, waiting out 429s."""
        attempt = 0
        while True:
            self._traffic.before_request()
            response = super().send(request, *args, **kwargs)
            if response.status_code != 429 or not self._traffic.wait_after_429(response.headers, attempt):
                return response
            attempt += 1


@contextmanager
def traffic_session(traffic: Traffic) -> Iterator[requests.Session]:
    """A requests session whose every request goes through `traffic`."""
    with requests.Session() as session:
        adapter = TrafficAdapter(traffic)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        yield session
