"""Which server the contract suite talks to, and with which credentials.

By default the suite starts the embedded reference server in a thread and talks to it over real HTTP on
127.0.0.1. With `LAVA_BASE_URL` and `LAVA_API_KEY` set it talks to that server instead; `LAVA_API_KEY_2`
names a second wallet's key (for the isolation tests) and `LAVA_PROXY_URL` the URL where a raw spend
key is spent (for the usage tests); tests that need either are skipped, with that reason, without it.
This module reads the environment and never prints a token: a `Target`'s repr shows the URL only.

It refuses production unless `LAVA_ALLOW_PRODUCTION=1` (`--allow-production`), before any request is
sent: Lava's production hosts (the servers every version's spec marks `x-lava-environment: production`,
and the host Lava's Node SDK uses for live keys), and, whatever the URL, a live merchant key (the `live`
prefix of a spec's `x-lava-key-prefixes`, `aks_live_`), which acts on production wherever it is sent.
Lava's sandbox host (`x-lava-environment: sandbox`) is a target like any other. It does not start
servers (`contract_tests.reference_server.runner` does).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from contract_tests.reference_server import create_app, dev_token, running_server
from lava_spec import API_VERSIONS, load_spec, spec_path

BASE_URL_VARIABLE = "LAVA_BASE_URL"
API_KEY_VARIABLE = "LAVA_API_KEY"
SECOND_API_KEY_VARIABLE = "LAVA_API_KEY_2"
PROXY_URL_VARIABLE = "LAVA_PROXY_URL"
ALLOW_PRODUCTION_VARIABLE = "LAVA_ALLOW_PRODUCTION"
RATE_LIMIT_VARIABLE = "CONTRACT_RATE_LIMIT"
BUDGET_VARIABLE = "CONTRACT_REQUEST_BUDGET"
SLOW_ANSWER_VARIABLE = "CONTRACT_SLOW_ANSWER_SECONDS"
# An answer slower than this is slow (a few in a row end the run: traffic.py); "0" means never.
DEFAULT_SLOW_ANSWER_SECONDS = 2.0
# Set by scripts/contract.py once `preflight` passed, so that the suite does not ask again.
PREFLIGHT_DONE_VARIABLE = "CONTRACT_PREFLIGHT_DONE"
# The suite creates, rotates and revokes keys, so it refuses production unless told. Production is
# production whichever version a run speaks: its hosts and its live keys are gathered from every version's
# spec (`production_hosts`, `live_key_prefixes`). Beside them, the host Lava's Node SDK sends live keys to
# (npm @lavapayments/nodejs 11.2.0: https://api.lavapayments.com/v1/), which no spec states.
PRODUCTION_ENVIRONMENT = "production"
LIVE_KEY_KIND = "live"
SDK_PRODUCTION_HOSTS = frozenset({"api.lavapayments.com"})
# Against a real server: well under Lava's documented 1000 requests a minute per key, and a ceiling.
DEFAULT_REMOTE_RATE = 10.0
DEFAULT_REMOTE_BUDGET = 20_000
# The second wallet of the embedded server. Not a secret: it only opens a loopback test server.
EMBEDDED_SECOND_TOKEN = "lava_dev_token_second_wallet_not_a_secret"  # noqa: S105 - a loopback test token


class TargetConfigurationError(Exception):
    """The environment names a target the suite cannot use; the message says what to set."""


class ProductionTargetError(TargetConfigurationError):
    """The target is a production host and the run was not told that this is intended."""


@dataclass(frozen=True)
class Target:
    """A server under test: its base URL (ending in `/v1`) and the tokens that open it."""

    base_url: str
    token: str = field(repr=False)
    second_token: str | None = field(default=None, repr=False)
    # Where a raw spend key is spent (an OpenAI-compatible chat completions URL), if the target has one:
    # usage and "the old key stops working" can only be seen through it.
    proxy_url: str | None = None
    embedded: bool = False
    # Requests per second (None: no limit) and the most requests the run may send (None: no limit).
    rate: float | None = None
    budget: int | None = None
    # Seconds after which an answer counts as slow (None: never).
    slow_seconds: float | None = DEFAULT_SLOW_ANSWER_SECONDS

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every credential of this target, for redaction."""
        return tuple(secret for secret in (self.token, self.second_token) if secret)


def configured_target(environ: Mapping[str, str] | None = None) -> Target | None:
    """The target named by the environment, or None when the embedded server should be used."""
    environ = os.environ if environ is None else environ
    base_url = environ.get(BASE_URL_VARIABLE, "").strip()
    token = environ.get(API_KEY_VARIABLE, "").strip()
    second_token = environ.get(SECOND_API_KEY_VARIABLE, "").strip() or None
    proxy_url = environ.get(PROXY_URL_VARIABLE, "").strip() or None
    if not base_url:
        return None
    if not base_url.startswith(("http://", "https://")):
        raise TargetConfigurationError(
            f"{BASE_URL_VARIABLE} must be an http(s) URL ending in the API version, "
            f"e.g. https://staging.example/v1; got {base_url!r}."
        )
    if not token:
        raise TargetConfigurationError(
            f"{BASE_URL_VARIABLE} is set but {API_KEY_VARIABLE} is not: set {API_KEY_VARIABLE} to a "
            "management API key of that server, or unset both to test the embedded reference server."
        )
    if environ.get(ALLOW_PRODUCTION_VARIABLE) != "1":
        refusal = _production(base_url, {API_KEY_VARIABLE: token, SECOND_API_KEY_VARIABLE: second_token})
        if refusal is not None:
            raise ProductionTargetError(
                f"{refusal}, and the suite creates, rotates and revokes keys. It refuses production unless "
                "you pass --allow-production (make contract ARGS=--allow-production) or set "
                f"{ALLOW_PRODUCTION_VARIABLE}=1. Point {BASE_URL_VARIABLE} at staging or Lava's sandbox, "
                "with a test key, instead."
            )
    return Target(
        base_url=base_url.rstrip("/"),
        token=token,
        second_token=second_token,
        proxy_url=proxy_url,
        rate=_number(environ, RATE_LIMIT_VARIABLE, DEFAULT_REMOTE_RATE),
        budget=int(_number(environ, BUDGET_VARIABLE, DEFAULT_REMOTE_BUDGET) or 0) or None,
        slow_seconds=slow_answer_seconds(environ),
    )


def _production(base_url: str, tokens: Mapping[str, str | None]) -> str | None:
    """Why the target is production (its host, or a live key in one of `tokens`), or None.

    The reason names the host or the variable and the prefix, never a token.
    """
    host = (urlsplit(base_url).hostname or "").lower()
    if host in production_hosts():
        return f"{host} is Lava's production API"
    for variable, token in tokens.items():
        live = next((prefix for prefix in live_key_prefixes() if token and token.startswith(prefix)), None)
        if live is not None:
            return f"{variable} is a live merchant key ({live}...), which acts on production whatever the URL"
    return None


@functools.cache
def production_hosts() -> frozenset[str]:
    """Lava's production hosts: every version's spec's production servers, and the Node SDK's."""
    hosts = set(SDK_PRODUCTION_HOSTS)
    for version in API_VERSIONS:
        for url in load_spec(spec_path(version)).server_urls(PRODUCTION_ENVIRONMENT):
            hosts.add((urlsplit(url).hostname or "").lower())
    return frozenset(hosts - {""})


@functools.cache
def live_key_prefixes() -> frozenset[str]:
    """The prefixes of live (production) credentials, as every version's spec declares them."""
    return frozenset(
        prefix
        for version in API_VERSIONS
        for kind, prefix in load_spec(spec_path(version)).key_prefixes.items()
        if kind == LIVE_KEY_KIND
    )


def slow_answer_seconds(environ: Mapping[str, str] | None = None) -> float | None:
    """How long an answer may take before it counts as slow (`CONTRACT_SLOW_ANSWER_SECONDS`)."""
    return _number(
        os.environ if environ is None else environ, SLOW_ANSWER_VARIABLE, DEFAULT_SLOW_ANSWER_SECONDS
    )


def _number(environ: Mapping[str, str], name: str, default: float) -> float | None:
    """A positive number from the environment; "0" or "none" means no limit."""
    raw = environ.get(name, "").strip().lower().removesuffix("/s")
    if not raw:
        return default
    if raw in ("0", "none"):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise TargetConfigurationError(f"{name} must be a number (or 0 for no limit); got {raw!r}") from None
    if value <= 0:
        raise TargetConfigurationError(f"{name} must be positive (or 0 for no limit); got {raw!r}")
    return value


def embedded_tokens(spec: Path | None = None) -> tuple[str, str]:
    """The tokens of the embedded server's two wallets on `spec` (the selected version's when None).

    Each is a development token as a credential of that spec's API (v2's take its test prefix).
    """
    served = load_spec(spec)
    return dev_token(served), dev_token(served, EMBEDDED_SECOND_TOKEN)


@contextmanager
def embedded_target(spec: Path | None = None) -> Iterator[Target]:
    """Start the reference server on `spec` (the selected version's when None) with two wallets."""
    token, second_token = embedded_tokens(spec)
    app = create_app({token: "wallet_1", second_token: "wallet_2"}, spec_path=spec)
    with running_server(app, base_path=load_spec(spec).base_path) as base_url:
        yield Target(
            base_url=base_url,
            token=token,
            second_token=second_token,
            proxy_url=f"{base_url}/chat/completions",
            embedded=True,
            slow_seconds=slow_answer_seconds(),
        )


def loopback_environment(
    base_url: str, token: str, second_token: str | None = None, **settings: str
) -> dict[str, str]:
    """The environment for a subprocess that tests a loopback server of ours (`scripts/contract.py`, pytest).

    This process's environment, less every LAVA_*, CONTRACT_* and HYPOTHESIS_* variable the caller may
    have set, plus the variables that name `base_url` (its proxy included) and its tokens, with no rate
    limit or budget (a server of our own needs no polite pace), and `settings` on top.
    """
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LAVA_", "CONTRACT_", "HYPOTHESIS_"))
    }
    environment.update(
        {
            BASE_URL_VARIABLE: base_url,
            API_KEY_VARIABLE: token,
            PROXY_URL_VARIABLE: f"{base_url}/chat/completions",
            RATE_LIMIT_VARIABLE: "0",
            BUDGET_VARIABLE: "0",
            **({SECOND_API_KEY_VARIABLE: second_token} if second_token else {}),
            **settings,
        }
    )
    return environment
