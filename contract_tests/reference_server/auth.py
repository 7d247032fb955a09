"""Bearer-token authentication: which wallet a request acts for.

Every bearer token belongs to one wallet (`Authorization: Bearer <token>`, as on Lava's pages).
The token is hashed with SHA-256 as soon as it arrives, and only the digest is kept. Tokens are
found by their digest, so an attacker gains nothing from comparison timing, and no token is ever
written to a repr, a log line or an error message.

This module does not scope tokens (every token may manage every spend key of its wallet) and
does not count requests (see `rate_limit`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from contract_tests.reference_server.errors import unauthorized

# Named in the README so that a fresh clone can talk to the server. It guards nothing.
DEFAULT_DEV_TOKEN: Final = "lava_dev_token_not_a_secret"  # noqa: S105

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


class Authenticator:
    """Turns an `Authorization` header into a `Caller`, or a 401."""

    def __init__(self, wallets: Mapping[str, str]) -> None:
        """Keep the digest of each token of `wallets` (bearer token -> wallet id)."""
        if not wallets:
            raise ValueError("wallets must map at least one bearer token to a wallet id")
        self._wallets: dict[bytes, str] = {}
        for token, wallet_id in wallets.items():
            # The message names neither the token nor its position, since either could give it away.
            if not isinstance(token, str) or _B64TOKEN.fullmatch(token) is None:
                raise ValueError("every bearer token must be a non-empty RFC 6750 b64token")
            if not isinstance(wallet_id, str) or not wallet_id:
                raise ValueError("every wallet id must be a non-empty string")
            self._wallets[_digest(token)] = wallet_id

    def __repr__(self) -> str:
        return f"Authenticator(<{len(self._wallets)} tokens>)"

    def authenticate(self, authorization: Sequence[str]) -> Caller:
        """Return the caller named by the values of the `Authorization` header, or raise a 401."""
        digest = _digest(bearer_token(authorization))
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
