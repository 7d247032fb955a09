"""Faults seeded into the store: subclasses of `SpendKeyStore` that keep or find the wrong keys.

Each subclass uses only the store's public methods and keeps what more it needs in its own
attributes, so the conforming store has no knowledge of any fault. The simulated proxy and the
operations see these stores exactly as they see the conforming one.

This module does not register faults (see `registry`).
"""

from __future__ import annotations

import threading

from contract_tests.reference_server.clock import Clock, system_clock
from contract_tests.reference_server.store import (
    Cycles,
    Page,
    SpendKey,
    SpendKeySettings,
    SpendKeyStore,
    key_preview,
    key_sha256,
    new_raw_key,
)


class PreviewMismatch(SpendKeyStore):
    """`preview_mismatch`: `key_preview` is the preview of another random key, not of the key returned."""

    def create(
        self, wallet_id: str, settings: SpendKeySettings, *, connection_id: str | None = None
    ) -> tuple[SpendKey, str]:
        """Create as usual, with the preview of another key."""
        spend_key, raw_key = super().create(wallet_id, settings, connection_id=connection_id)
        spend_key.key_preview = key_preview(new_raw_key())
        return spend_key, raw_key

    def rotate(self, spend_key: SpendKey) -> str:
        """Rotate as usual, with the preview of another key."""
        raw_key = super().rotate(spend_key)
        spend_key.key_preview = key_preview(new_raw_key())
        return raw_key


class CrossWalletVisibility(SpendKeyStore):
    """`cross_wallet_visibility`: every wallet's keys are found and listed for every wallet."""

    def __init__(self, clock: Clock = system_clock, cycles: Cycles | None = None) -> None:
        super().__init__(clock, cycles)
        self._wallet_of: dict[str, str] = {}
        self._wallet_lock = threading.Lock()

    def create(
        self, wallet_id: str, settings: SpendKeySettings, *, connection_id: str | None = None
    ) -> tuple[SpendKey, str]:
        """Create as usual, and note the key's wallet."""
        spend_key, raw_key = super().create(wallet_id, settings, connection_id=connection_id)
        with self._wallet_lock:
            self._wallet_of[spend_key.spend_key_id] = wallet_id
        return spend_key, raw_key

    def get(self, wallet_id: str, spend_key_id: str) -> SpendKey | None:
        """Return the live key with this id, whichever wallet it is in."""
        with self._wallet_lock:
            owner = self._wallet_of.get(spend_key_id, wallet_id)
        return super().get(owner, spend_key_id)

    def page(self, wallet_id: str, *, after: str | None, limit: int) -> Page:
        """Return a page of every wallet's live keys, merged in id order."""
        with self._wallet_lock:
            wallet_ids = {wallet_id, *self._wallet_of.values()}
        wallet_page = super().page
        # Ids sort in creation order across wallets, so merging each wallet's page keeps the order.
        pages = [wallet_page(owner, after=after, limit=limit) for owner in wallet_ids]
        merged = sorted((key for page in pages for key in page.spend_keys), key=lambda key: key.spend_key_id)
        return Page(
            spend_keys=merged[:limit], has_more=len(merged) > limit or any(page.has_more for page in pages)
        )


class OldKeyWorksAfterRotate(SpendKeyStore):
    """`old_key_works_after_rotate`: a raw key replaced by a rotate still finds its spend key."""

    def __init__(self, clock: Clock = system_clock, cycles: Cycles | None = None) -> None:
        super().__init__(clock, cycles)
        self._replaced: dict[bytes, SpendKey] = {}

    def rotate(self, spend_key: SpendKey) -> str:
        """Rotate as usual, and keep finding the key by its old raw key."""
        self._replaced[spend_key.key_sha256] = spend_key
        return super().rotate(spend_key)

    def find_by_raw_key(self, raw_key: str) -> SpendKey | None:
        """Find the key by its current raw key, or by one a rotate replaced."""
        found = super().find_by_raw_key(raw_key)
        if found is not None:
            return found
        replaced = self._replaced.get(key_sha256(raw_key))
        return None if replaced is None or replaced.revoked else replaced


class RevokedKeyStillProxies(SpendKeyStore):
    """`revoked_key_still_proxies`: a revoked key's raw key still finds it."""

    def __init__(self, clock: Clock = system_clock, cycles: Cycles | None = None) -> None:
        super().__init__(clock, cycles)
        self._revoked: dict[bytes, SpendKey] = {}

    def revoke(self, spend_key: SpendKey) -> None:
        """Revoke as usual, and keep finding the key by its raw key."""
        self._revoked[spend_key.key_sha256] = spend_key
        super().revoke(spend_key)

    def find_by_raw_key(self, raw_key: str) -> SpendKey | None:
        """Find a live key, or a revoked one, by its raw key."""
        return super().find_by_raw_key(raw_key) or self._revoked.get(key_sha256(raw_key))
