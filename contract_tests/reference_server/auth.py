"""Bearer-token authentication: which wallet a request acts for.

Every bearer token belongs to one wallet (`Authorization: Bearer <token>`, as on Lava's pages).
The token is hashed with SHA-256 as soon as it arrives, and only the digest is kept. Tokens are
found by their digest, so an attacker gains nothing from comparison timing, and no token is ever
written to a repr, a log line or an error message.

Where the spec states the prefixes of its credential (`Spec.key_prefixes`: v2's merchant secret
keys, `aks_live_*` and `aks_test_*`), only a token with one of them is a credential: any other (a
wallet key, `lava_wk_*`, say) is a 401 that says which keys are taken, and a server cannot be built
with a token that lacks them. The development tokens (`DEFAULT_DEV_TOKEN`, and the suite's second
one) become credentials of such a spec by taking its test prefix (`dev_token`).

This module does not scope tokens (every token may manage every spend key of its wallet) and
does not count requests (see `rate_limit`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from contract_tests.reference_server.errors import unauthorized
from lava_spec import Spec

# Named in the README so that a fresh clone can talk to the server. It guards nothing. Under a spec
# that states its credential's prefixes, the token the server opens is this with the test prefix
# (`dev_token`).
DEFAULT_DEV_TOKEN: Final = "lava_dev_token_not_a_secret"  # noqa: S105
# The kind of credential (`Spec.key_prefixes`) a development token takes the prefix of: a test key
# (Lava's sandbox), never a live one.
DEV_KEY_KIND: Final = "test"

# RFC 6750 section 2.1: the scheme is case-insensitive, and the token is a b64token.
_BEARER = re.compile(r"bearer +([A-Za-z0-9\-._~+/]+=*) *", re.IGNORECASE)
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a request: the wallet it acts for, and the token's digest (for per-token limits)."""

    wallet_id: str
    token_digest: bytes = field(repr=False)


def dev_token(spec: Spec, token: str = DEFAULT_DEV_TOKEN) -> str:
    """`token` (a development token, by default `DEFAULT_DEV_TOKEN`) as a credential of `spec`'s API.

    Unchanged when the spec states no prefixes for its credential (v0); otherwise the spec's test
    prefix followed by `token` (v2: `aks_test_` + `token`), so that the server built for that spec
    accepts it.

    Raises:
        ValueError: the spec states prefixes, but none for test keys.
    """
    prefixes = spec.key_prefixes
    if not prefixes:
        return token
    prefix = prefixes.get(DEV_KEY_KIND)
    if prefix is None:
        raise ValueError(
            f"the spec ({spec.path.name}) states the prefixes of its keys ({', '.join(prefixes)}) but none "
            f"for {DEV_KEY_KIND} keys, which development tokens take"
        )
    return token if token.startswith(prefix) else prefix + token


def credential_kinds(key_prefixes: Iterable[str]) -> str:
    """The prefixes a credential must start with, as a person reads them: "aks_live_* or aks_test_*"."""
    return " or ".join(f"{prefix}*" for prefix in key_prefixes)


class Authenticator:
    """Turns an `Authorization` header into a `Caller`, or a 401."""

    def __init__(self, wallets: Mapping[str, str], key_prefixes: Iterable[str] = ()) -> None:
        """Keep the digest of each token of `wallets` (bearer token -> wallet id).

        `key_prefixes`, when any are given (the spec's `Spec.key_prefixes`), are the prefixes a
        credential starts with: every token of `wallets` must have one, and a request with a token
        that has none is refused whatever the token.
        """
        if not wallets:
            raise ValueError("wallets must map at least one bearer token to a wallet id")
        self._prefixes = tuple(key_prefixes)
        self._wallets: dict[bytes, str] = {}
        for token, wallet_id in wallets.items():
            # The message names neither the token nor its position, since either could give it away.
            if not isinstance(token, str) or _B64TOKEN.fullmatch(token) is None:
                raise ValueError("every bearer token must be a non-empty RFC 6750 b64token")
            if self._prefixes and not token.startswith(self._prefixes):
                raise ValueError(
                    "every bearer token must be a merchant secret key of this API, starting with "
                    f"{credential_kinds(self._prefixes)}"
                )
            if not isinstance(wallet_id, str) or not wallet_id:
                raise ValueError("every wallet id must be a non-empty string")
            self._wallets[_digest(token)] = wallet_id

    def __repr__(self) -> str:
        return f"Authenticator(<{len(self._wallets)} tokens>)"

    def authenticate(self, authorization: Sequence[str]) -> Caller:
        """Return the caller named by the values of the `Authorization` header, or raise a 401."""
        token = bearer_token(authorization)
        if self._prefixes and not token.startswith(self._prefixes):
            raise unauthorized(
                f"This API requires a merchant secret key ({credential_kinds(self._prefixes)}) as the bearer "
                "token; wallet API keys and other tokens are refused."
            )
        digest = _digest(token)
        wallet_id = self._wallets.get(digest)
        if wallet_id is None:
            raise unauthorized("Invalid API key.")
        return Caller(wallet_id=wallet_id, token_digest=digest)


def bearer_token(authorization: Sequence[str]) -> str:
    """Return the token of the one well-formed `Authorization: Bearer` header, or raise a 401.

    Shared by the management API (a wallet's API key) and the simulated proxy (a raw spend key).
    """
    if not authorization:
        raise unauthorized("Missing Authorization header: send `Authorization: Bearer <API key>`.")
    match = _BEARER.fullmatch(authorization[0]) if len(authorization) == 1 else None
    if match is None:
        raise unauthorized("Malformed Authorization header: expected `Bearer <API key>`.")
    return match.group(1)
