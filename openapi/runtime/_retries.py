"""How lava_client sends a request: one Idempotency-Key per call, and retries of transient failures.

A failure is transient when no answer came (the connection failed, dropped or timed out) or the answer
was 408, 429 or 5xx. Such a call is sent again, up to `max_retries` more times, after a wait that
grows exponentially with jitter, or after what `Retry-After` says (seconds or an HTTP date), both
capped. The policy is httpx-retries' `Retry` (backoff, jitter, Retry-After, the cap, the sleeps);
this module chooses its settings for Lava and runs the loop, so that the first attempt of a call is
a plain `httpx.Client.send` and only a failed attempt pays for the policy.

POST is retried too, which is safe only because every POST carries an `Idempotency-Key`, made once
per call before the first attempt and sent unchanged on every retry: Lava answers a repeat with the
first answer and creates (or rotates) nothing new. A key the caller passes is kept.

It does not raise typed errors (`errors` does) or stream: every body is read in full.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from httpx_retries import Retry

# What an attempt ends in: an answer, or the exception that stood for none.
Outcome = httpx.Response | Exception

# Statuses worth another try: request timeout, rate limit, and every server error.
RETRY_STATUSES = frozenset({408, 429, *range(500, 600)})
# No answer: the connection failed, dropped or timed out (httpx-retries' own default list).
RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# Every method the API uses. GET, PUT and DELETE are idempotent; POST is made so by its Idempotency-Key.
RETRY_METHODS = frozenset({"GET", "PUT", "DELETE", "POST"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
# The backoff before retry n (from 1) is `backoff * 2**n` seconds, times a random factor in [0.75, 1].
BACKOFF_JITTER = 0.25

_LOG = logging.getLogger("lava_client")


def retry_policy(max_retries: int, *, backoff: float, max_wait: float) -> Retry:
    """The retry policy for one call: at most `max_retries` retries, no single wait above `max_wait`.

    Raises:
        ValueError: a negative `max_retries` or `backoff`, or a `max_wait` that is not positive.
    """
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
    return Retry(
        total=max_retries,
        allowed_methods=RETRY_METHODS,
        status_forcelist=RETRY_STATUSES,
        retry_on_exceptions=RETRY_EXCEPTIONS,
        backoff_factor=backoff,
        backoff_jitter=BACKOFF_JITTER,
        respect_retry_after_header=True,
        max_backoff_wait=max_wait,
    )


def send(
    client: httpx.Client,
    request: dict[str, Any],
    retry_policy: Callable[[int | None], Retry],
    max_retries: int | None,
) -> httpx.Response:
    """Send `request` (httpx.Client.request's arguments) through `client`; retry a transient failure.

    The first attempt is a plain `client.send`: the policy, `retry_policy(max_retries)`, is asked for
    only once an attempt has failed, so a call that succeeds pays for nothing else.
    """
    prepared = client.build_request(**_with_idempotency_key(request))
    try:
        response = client.send(prepared)
    except RETRY_EXCEPTIONS as exc:
        return _retry(client, prepared, retry_policy(max_retries), exc)
    if response.status_code in RETRY_STATUSES:
        return _retry(client, prepared, retry_policy(max_retries), response)
    return response


async def asend(
    client: httpx.AsyncClient,
    request: dict[str, Any],
    retry_policy: Callable[[int | None], Retry],
    max_retries: int | None,
) -> httpx.Response:
    """The async twin of `send`."""
    prepared = client.build_request(**_with_idempotency_key(request))
    try:
        response = await client.send(prepared)
    except RETRY_EXCEPTIONS as exc:
        return await _aretry(client, prepared, retry_policy(max_retries), exc)
    if response.status_code in RETRY_STATUSES:
        return await _aretry(client, prepared, retry_policy(max_retries), response)
    return response


def _retry(client: httpx.Client, request: httpx.Request, retry: Retry, failed: Outcome) -> httpx.Response:
    """Send `request` again while `retry` allows and the outcome is transient; the last outcome stands."""
    outcome = failed
    while retry.is_retryable_method(request.method) and not retry.is_exhausted():
        if isinstance(outcome, httpx.Response):
            outcome.close()
        retry = retry.increment()
        _log_retry(request, outcome, retry)
        retry.sleep(outcome)
        try:
            outcome = client.send(request)
        except Exception as exc:
            if not retry.is_retryable_exception(exc):
                raise
            outcome = exc
            continue
        if not retry.is_retryable_status_code(outcome.status_code):
            break
    return _final(outcome)


async def _aretry(
    client: httpx.AsyncClient, request: httpx.Request, retry: Retry, failed: Outcome
) -> httpx.Response:
    """The async twin of `_retry`."""
    outcome = failed
    while retry.is_retryable_method(request.method) and not retry.is_exhausted():
        if isinstance(outcome, httpx.Response):
            await outcome.aclose()
        retry = retry.increment()
        _log_retry(request, outcome, retry)
        await retry.asleep(outcome)
        try:
            outcome = await client.send(request)
        except Exception as exc:
            if not retry.is_retryable_exception(exc):
                raise
            outcome = exc
            continue
        if not retry.is_retryable_status_code(outcome.status_code):
            break
    return _final(outcome)


def _log_retry(request: httpx.Request, failed: Outcome, retry: Retry) -> None:
    # The method and path only: no header (the token), no body (a raw key), no query string.
    why = f"HTTP {failed.status_code}" if isinstance(failed, httpx.Response) else type(failed).__name__
    _LOG.info(
        "retry %d of %d for %s %s after %s",
        retry.attempts_made,
        retry.total,
        request.method,
        request.url.path,
        why,
    )


def _final(outcome: Outcome) -> httpx.Response:
    """The answer to return, or the exception of the last attempt, raised."""
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _with_idempotency_key(request: dict[str, Any]) -> dict[str, Any]:
    if str(request["method"]).upper() != "POST":
        return request
    headers: dict[str, Any] = dict(request.get("headers") or {})
    if not any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in headers):
        headers[IDEMPOTENCY_HEADER] = str(uuid.uuid4())
    return {**request, "headers": headers}
