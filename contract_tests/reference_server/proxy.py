"""A simulated model proxy, so that spend keys have usage: a test double, not part of the spec.

`openapi/lava.yaml` covers only the management API. Lava's docs also say what a spend key is for
(proxy requests to AI models) and what management does to that use: a revoked key "stops working
for proxy requests at once", a rotated key's "old key stops working at once", and get and list
show the usage (`current_spend`, `current_requests`, `last_used_at`). Without a proxy none of that
can be seen, so this module serves one OpenAI-compatible path, as Lava proxies it:

    POST /v1/chat/completions    Authorization: Bearer <raw spend key from create or rotate>

(`/v1` is the spec's server path, `Spec.base_path`; the rest is Lava's OpenAI-compatible path.)

It answers, in this order (the first that applies):

- 405 `method_not_allowed` with `Allow: POST` for any other method.
- 401 `unauthorized` (error envelope, `WWW-Authenticate: Bearer`) for a missing or malformed
  header, or a key that matches no live spend key: unknown, revoked, or rotated away. The three
  read the same.
- 403 `spend_key_expired` if the key's `expires_at` has passed. It comes before `paused`, because
  un-pausing an expired key would not make it work.
- 403 `spend_key_paused` if the key's status is `paused`.
- 200 `{"object": "chat.completion", "spend_key_id": ..., "cost": "0.0125"}`, after recording one
  request of cost 0.0125 against the key (see `SpendKeyStore.record_usage`).

It deliberately does not read the request body (any body, or none, is accepted), call a model,
check allowed models or providers, enforce spend, request or rate limits, count the management
API's rate limit, or send `X-RateLimit-*` headers.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from contract_tests.reference_server.auth import bearer_token
from contract_tests.reference_server.clock import Clock, system_clock
from contract_tests.reference_server.errors import (
    ApiError,
    method_not_allowed,
    spend_key_expired,
    spend_key_paused,
    unauthorized,
)
from contract_tests.reference_server.responses import json_response
from contract_tests.reference_server.store import SpendKey, SpendKeyStore

# Under the spec's server path (`/v1`), as Lava serves it; the spec itself does not declare it.
PROXY_PATH: Final = "/chat/completions"
COST_PER_REQUEST: Final = Decimal("0.0125")

# RFC 3339 allows a leap second (:60) and a lower-case `t` and `z`; Python's parser takes neither.
_LEAP_SECOND = re.compile(r"(T\d\d:\d\d):60")


class ChatCompletionsProxy:
    """`POST /v1/chat/completions`, authenticated by a raw spend key, metering usage into a store."""

    def __init__(self, store: SpendKeyStore, *, base_path: str, clock: Clock = system_clock) -> None:
        """Find keys in, and record usage into, `store` (the management API's own store).

        It serves `PROXY_PATH` under `base_path`, the spec's server path (`Spec.base_path`), and
        asks `clock` whether a key has expired.
        """
        self._store = store
        self._clock = clock
        self.path = base_path + PROXY_PATH

    def __repr__(self) -> str:
        return f"ChatCompletionsProxy({self.path})"

    async def respond(self, request: Request) -> Response:
        """Answer one request to `self.path`."""
        try:
            if request.method != "POST":
                raise method_not_allowed("POST")
            spend_key = self._usable_key(bearer_token(request.headers.getlist("authorization")))
        except ApiError as error:
            return error.to_response()
        self._store.record_usage(spend_key, COST_PER_REQUEST)
        return json_response(
            200,
            {
                "object": "chat.completion",
                "spend_key_id": spend_key.spend_key_id,
                "cost": format(COST_PER_REQUEST, "f"),
            },
        )

    def _usable_key(self, raw_key: str) -> SpendKey:
        spend_key = self._store.find_by_raw_key(raw_key)
        if spend_key is None:
            raise unauthorized("Invalid spend key: it is unknown, revoked or replaced by a rotation.")
        expires_at = spend_key.settings.expires_at
        if expires_at is not None and rfc3339_instant(expires_at) <= self._clock():
            raise spend_key_expired()
        if spend_key.settings.status == "paused":
            raise spend_key_paused()
        return spend_key


def rfc3339_instant(text: str) -> datetime:
    """Return the instant of an RFC 3339 date-time that the spec's `date-time` format admitted.

    A leap second is read as the second before it, which is close enough to decide expiry.
    """
    return datetime.fromisoformat(_LEAP_SECOND.sub(r"\1:59", text.upper()))
