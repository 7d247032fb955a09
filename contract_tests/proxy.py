"""Spending a raw key through the target's proxy: the only way to give a key usage.

`Proxy` sends one chat completion paid by a raw key to `Target.proxy_url` (an OpenAI-compatible URL,
`LAVA_PROXY_URL`), through the run's client and so its `Traffic`. A proxy call belongs to no operation of
the spec, so no answer of it is checked against one; tests assert on its status (200 served, 401 a key
that stopped working). It never logs the raw key it is given.
"""

from __future__ import annotations

import httpx

from contract_tests.traffic import SLOW_OK


class NoProxyError(RuntimeError):
    """The target has no proxy URL, so nothing can be spent (tests that need one skip without it)."""


class Proxy:
    """The target's proxy, reached through `client`."""

    def __init__(self, client: httpx.Client, proxy_url: str | None) -> None:
        self._client = client
        self.url = proxy_url

    def __repr__(self) -> str:
        return f"Proxy({self.url!r})"

    @property
    def available(self) -> bool:
        """Whether the target has a proxy where raw keys can be spent."""
        return self.url is not None

    def spend(self, raw_key: str) -> httpx.Response:
        """One proxied chat completion paid by `raw_key`."""
        if self.url is None:
            raise NoProxyError("this target has no proxy URL (LAVA_PROXY_URL)")
        return self._client.post(
            self.url,
            headers={"Authorization": f"Bearer {raw_key}"},
            json={"model": "contract-test", "messages": [{"role": "user", "content": "ping"}]},
            # A real proxy calls a model, which may take a while: no answer of it counts as slow.
            extensions={SLOW_OK: True},
        )
