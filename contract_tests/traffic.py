"""How fast, how much and how patiently the suite talks to the target.

One `Traffic` per run is shared by both ways the suite sends requests: the generated client (httpx, via
`TrafficTransport`) and schemathesis (requests, via `TrafficAdapter`). It
- spaces requests to at most `rate` per second (default: unlimited on the embedded server, 10/s
  elsewhere; `CONTRACT_RATE_LIMIT`);
- on a 429, waits as `Retry-After` (seconds or an HTTP date) or `X-RateLimit-Reset` say, up to a cap,
  and sends the request again, a few times at most (`Traffic.send`, one loop for both clients);
- stops the run with `RequestBudgetExhausted` once `budget` requests were sent (`CONTRACT_REQUEST_BUDGET`);
- counts what it sent, for the run's report;
- names a target that answers too slowly to be tested in reasonable time: `SLOW_IN_A_ROW` answers in a
  row that each took longer than `slow_seconds` (`CONTRACT_SLOW_ANSWER_SECONDS`, default 2 s) end the
  run with `SlowTargetError`, within seconds of meeting them, instead of after hours of slow answers.
  Slowness is no breach of the spec, so this is a verdict of its own; a request may opt out (the proxy,
  which calls a real model, does: `SLOW_OK`);
- refuses, before counting, a request broken at the HTTP framing level (`framing.refuse_malformed`): a
  tripwire behind the generation filter in schemathesis_hooks.py, so it raises instead of sending.
Schemathesis's checks send requests of their own, and `ignored_auth` deliberately drops the session to
send its probes without credentials; `schemathesis_through` routes those through the same `Traffic` too.
Timeouts stay with each client (30 s per request). It never looks inside a request or a response body
(only at its length, which the tripwire compares with `Content-Length`).

Why a loop of our own beside httpx-retries (the generated client's policy) and urllib3's `Retry`: each of
those retries inside one HTTP library, while the suite sends through two (httpx and requests) and must
count, pace and budget every attempt, retries included, in the one `Traffic`, and wait through an
injectable `sleep` (the tests wait no real time). So `Traffic.send` is the one loop both clients run, a
few lines; what the library does well is reused: `Retry-After` is read by httpx-retries'
`Retry.parse_retry_after` (seconds or an HTTP date). `X-RateLimit-Reset` (an epoch time, which Lava's
docs name and httpx-retries does not read) and the cap stay ours.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import requests
from httpx_retries import Retry
from requests.adapters import HTTPAdapter
from requests.utils import super_len

from contract_tests.framing import refuse_malformed

if TYPE_CHECKING:
    import schemathesis

MAX_WAIT_SECONDS = 60.0
MAX_RETRIES_AFTER_429 = 5
DEFAULT_SLOW_SECONDS = 2.0
SLOW_IN_A_ROW = 3
# An httpx request extension: this request may take as long as it takes (a proxied model call).
SLOW_OK = "lava_contract_slow_ok"
SessionT = TypeVar("SessionT", bound=requests.Session)
Answer = TypeVar("Answer")
# httpx-retries' policy, used here for its reading of Retry-After only (see the module docstring).
_RETRY_AFTER = Retry()


class RequestBudgetExhaustedError(RuntimeError):
    """The run sent as many requests as it was allowed to."""


class SlowTargetError(RuntimeError):
    """The target answered several requests in a row too slowly for the suite to test it."""


class UnpacedSessionError(RuntimeError):
    """Schemathesis was handed a requests session that does not send through the run's `Traffic`."""


@dataclass
class Traffic:
    """A shared rate limit, 429 patience, request budget and request count."""

    rate: float | None = None  # requests per second; None: no limit
    budget: int | None = None
    sleep: Callable[[float], None] = time.sleep
    sent: int = 0
    retried_after_429: int = 0
    waited_seconds: float = 0.0
    # An answer that takes longer than this is slow; None: never.
    slow_seconds: float | None = DEFAULT_SLOW_SECONDS
    _slow_in_a_row: int = 0
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

    def answered(self, what: str, seconds: float) -> None:
        """Note how long an answer took; raise `SlowTargetError` at the `SLOW_IN_A_ROW`th slow in a row."""
        if self.slow_seconds is None:
            return
        with self._lock:
            self._slow_in_a_row = self._slow_in_a_row + 1 if seconds > self.slow_seconds else 0
            slow = self._slow_in_a_row >= SLOW_IN_A_ROW
        if slow:
            raise SlowTargetError(
                f"the target answers too slowly to be tested: {SLOW_IN_A_ROW} answers in a row took over "
                f"{self.slow_seconds:g} s each (the last, {what}, {seconds:.1f} s); check its health, or "
                "raise CONTRACT_SLOW_ANSWER_SECONDS"
            )

    def send(
        self,
        attempt: Callable[[], tuple[Answer, int, Mapping[str, str]]],
        discard: Callable[[Answer], None] = lambda _answer: None,
    ) -> Answer:
        """Send through `attempt` (it returns the answer, its status and headers) in this run's limits.

        Each attempt waits for its slot and counts against the budget; a 429 is waited out
        (`wait_after_429`) and sent again, after `discard` released the refused answer.
        """
        for number in itertools.count():
            self.before_request()
            answer, status, headers = attempt()
            if status != 429 or not self.wait_after_429(headers, number):
                return answer
            discard(answer)
        raise AssertionError("unreachable: itertools.count() does not end")  # pragma: no cover

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


def retry_delay(headers: Mapping[str, str], *, cap: float = MAX_WAIT_SECONDS, default: float = 1.0) -> float:
    """Seconds to wait after a 429: Retry-After, else X-RateLimit-Reset, else `default`; at most `cap`.

    Retry-After (seconds or an HTTP date) is read by httpx-retries; X-RateLimit-Reset is an epoch time.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    retry_after = lowered.get("retry-after", "").strip()
    delay: float | None = None
    if retry_after:
        try:
            delay = _RETRY_AFTER.parse_retry_after(retry_after)
        except ValueError:
            delay = None
    if delay is None:
        reset = lowered.get("x-ratelimit-reset", "").strip()
        if reset.isdigit():
            delay = float(reset) - time.time()
    return min(max(delay if delay is not None else default, 0.0), cap)


class TrafficTransport(httpx.BaseTransport):
    """An httpx transport that sends through `traffic`'s limits."""

    def __init__(self, traffic: Traffic, inner: httpx.BaseTransport | None = None) -> None:
        self._traffic = traffic
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send, waiting out 429s; refuse a request broken at the framing level."""
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]
        # The suite's bodies are small JSON documents: reading one (a no-op once read) costs nothing.
        refuse_malformed(str(request.url), headers, len(request.read()))

        def attempt() -> tuple[httpx.Response, int, Mapping[str, str]]:
            started = time.monotonic()
            response = self._inner.handle_request(request)
            if not request.extensions.get(SLOW_OK):
                self._traffic.answered(f"{request.method} {request.url.path}", time.monotonic() - started)
            return response, response.status_code, response.headers

        def discard(response: httpx.Response) -> None:
            response.read()
            response.close()

        return self._traffic.send(attempt, discard)

    def close(self) -> None:
        """Close the inner transport."""
        self._inner.close()


class TrafficAdapter(HTTPAdapter):
    """A requests adapter (what schemathesis sends with) that sends through `traffic`'s limits."""

    def __init__(self, traffic: Traffic) -> None:
        super().__init__()
        self.traffic = traffic

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # noqa: ANN401
        """Send, waiting out 429s; refuse a request broken at the framing level."""
        headers = [(_text(name), _text(value)) for name, value in request.headers.items()]
        refuse_malformed(request.url or "", headers, 0 if request.body is None else super_len(request.body))

        def attempt() -> tuple[requests.Response, int, Mapping[str, str]]:
            response = super(TrafficAdapter, self).send(request, *args, **kwargs)
            self.traffic.answered(f"{request.method} {request.path_url}", response.elapsed.total_seconds())
            return response, response.status_code, response.headers

        return self.traffic.send(attempt, lambda response: response.close())


def _text(header: str | bytes) -> str:
    """A header name or value as it goes on the wire (requests accepts both types)."""
    return header.decode("latin-1") if isinstance(header, bytes) else str(header)


def paced(session: SessionT, traffic: Traffic) -> SessionT:
    """`session`, with every request it sends (over http or https) going through `traffic`."""
    adapter = TrafficAdapter(traffic)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def sends_through(session: requests.Session, traffic: Traffic) -> bool:
    """Whether every adapter of `session` sends through `traffic`."""
    return all(
        isinstance(adapter, TrafficAdapter) and adapter.traffic is traffic
        for adapter in session.adapters.values()
    )


@contextmanager
def traffic_session(traffic: Traffic) -> Iterator[requests.Session]:
    """A requests session whose every request goes through `traffic`."""
    with paced(requests.Session(), traffic) as session:
        yield session


@contextmanager
def schemathesis_through(traffic: Traffic) -> Iterator[None]:
    """While open, every request schemathesis sends over requests goes through `traffic`.

    The suite hands schemathesis a paced session for its cases, but some checks send without one:
    `ignored_auth` drops the session on purpose (a session may hold credentials) and sends its probes
    through a fresh, unpaced one. Here a send without a session gets a fresh session as schemathesis
    would make it, only paced; a send with a session that is not paced by `traffic` is refused
    (`UnpacedSessionError`), since the suite never means to send one.
    """
    # Imported here: the generated client's users of this module (spend_key_api.py, run.py) need not load
    # schemathesis, which doubles their import time.
    from schemathesis.transport.requests import REQUESTS_TRANSPORT, SameHostRedirectsSession  # noqa: PLC0415

    transport = REQUESTS_TRANSPORT
    send_unpaced = transport.send
    replaced = transport.__dict__.get("send")  # an enclosing `schemathesis_through`, restored after

    def send(
        case: schemathesis.Case[Any],
        *,
        session: requests.Session | None = None,
        **kwargs: Any,  # noqa: ANN401 - whatever schemathesis passes on to requests
    ) -> schemathesis.Response:
        if session is None:
            with paced(SameHostRedirectsSession(), traffic) as fresh:
                return send_unpaced(case, session=fresh, **kwargs)
        if not sends_through(session, traffic):
            message = (
                f"suite bug: schemathesis was given a requests session for {case.operation.label} that does "
                "not send through the run's Traffic; pass the `traffic_session` fixture"
            )
            raise UnpacedSessionError(message)
        return send_unpaced(case, session=session, **kwargs)

    # The transport is one module-level object that every schema without an ASGI/WSGI app sends with,
    # whether through `Case.call` or a check's own `transport.send`: the one place every request passes.
    transport.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        if replaced is None:
            del transport.send
        else:
            transport.send = replaced  # type: ignore[method-assign]
