"""How lava_client sends a request: one Idempotency-Key per call, and retries of transient failures.

A failure is transient when no answer came (the connection failed, dropped or timed out) or the answer
was 408, 429 or 5xx. Such a call is sent again, up to `max_retries` more times, after a wait that
grows exponentially with jitter, or after what `Retry-After` says (seconds or an HTTP date), both
capped. The policy and the loop are httpx-retries' (`Retry`, `retry_request`); this module only
chooses their settings for Lava.

POST is retried too, which is safe only because every POST carries an `Idempotency-Key`, made once
per call before the first attempt and sent unchanged on every retry: Lava answers a repeat with the
first answer and creates (or rotates) nothing new. A key the caller passes is kept.

It does not raise typed errors (`errors` does) or stream: every body is read in full.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from httpx_retries import Retry, aretry_request, retry_request

# Statuses worth another try: request timeout, rate limit, and every server error.
RETRY_STATUSES = frozenset({408, 429, *range(500, 600)})
# Every method the API uses. GET, PUT and DELETE are idempotent; POST is made so by its Idempotency-Key.
RETRY_METHODS = frozenset({"GET", "PUT", "DELETE", "POST"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
# The backoff before retry n (from 1) is `backoff * 2**n` seconds, times a random factor in [0.75, 1].
BACKOFF_JITTER = 0.25


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
        backoff_factor=backoff,
        backoff_jitter=BACKOFF_JITTER,
        respect_retry_after_header=True,
        max_backoff_wait=max_wait,
    )


def send(client: httpx.Client, request: dict[str, Any], retry: Retry) -> httpx.Response:
    """Send `request` (httpx.Client.request's arguments) through `client`, retrying as `retry` says."""
    return retry_request(client, retry=retry, **_with_idempotency_key(request))


async def asend(client: httpx.AsyncClient, request: dict[str, Any], retry: Retry) -> httpx.Response:
    """The async twin of `send`."""
    return await aretry_request(client, retry=retry, **_with_idempotency_key(request))


def _with_idempotency_key(request: dict[str, Any]) -> dict[str, Any]:
    if str(request["method"]).upper() != "POST":
        return request
    headers: dict[str, Any] = dict(request.get("headers") or {})
    if not any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in headers):
        headers[IDEMPOTENCY_HEADER] = str(uuid.uuid4())
    return {**request, "headers": headers}
