"""Faults seeded into authentication: subclasses of `Authenticator` that let the wrong caller in.

A caller let in wrongly acts for the first wallet of the mapping the server was built with (the
one a fresh `create_app()` or `make serve` opens with the development token). Cross-wallet
visibility is a store fault (`store.CrossWalletVisibility`), since the authenticator is right
about who is calling there.

This module does not register faults (see `registry`), and it never writes a token anywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

from contract_tests.reference_server.auth import Authenticator, Caller, bearer_token
from contract_tests.reference_server.errors import ApiError


class _LetsInAsFirstWallet(Authenticator):
    def __init__(self, wallets: Mapping[str, str], key_prefixes: Iterable[str] = ()) -> None:
        super().__init__(wallets, key_prefixes)
        self._first_wallet_id = next(iter(wallets.values()))

    def _as_first_wallet(self, token: str) -> Caller:
        # The token's own digest, so rate limits and Idempotency-Key scopes stay per token.
        return Caller(wallet_id=self._first_wallet_id, token_digest=hashlib.sha256(token.encode()).digest())


class AcceptsMissingToken(_LetsInAsFirstWallet):
    """`accepts_missing_token`: a request with no `Authorization` header acts for the first wallet."""

    def authenticate(self, authorization: Sequence[str]) -> Caller:
        """Let a request without the header in as the first wallet; check any other as usual."""
        if not authorization:
            return self._as_first_wallet("")
        return super().authenticate(authorization)


class AcceptsWrongToken(_LetsInAsFirstWallet):
    """`accepts_wrong_token`: a well-formed bearer token that opens no wallet acts for the first wallet.

    A missing or malformed header is still a 401.
    """

    def authenticate(self, authorization: Sequence[str]) -> Caller:
        """Check the header as usual, but let an unknown token in as the first wallet."""
        token = bearer_token(authorization)
        try:
            return super().authenticate(authorization)
        except ApiError:
            return self._as_first_wallet(token)
