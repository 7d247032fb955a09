"""Keep bearer tokens and raw spend keys out of everything the suite prints or writes.

Schemathesis already masks the `Authorization` header in its reproductions, but it prints response bodies
as they came, and a create or rotate response carries a raw key. Every test report passes through
`Redactor.redact` (see conftest.py), which masks the target's tokens and anything shaped like a raw
spend key. It redacts text; it does not stop a secret from being sent to the server under test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A raw spend key as Lava documents it (`key_preview` "lava_sk_a1b2c3d4****"). A key_preview itself ends in
# `****` after 8 characters and is not a secret, but masking it too costs nothing.
RAW_KEY_PATTERN = re.compile(r"lava_sk_[A-Za-z0-9_\-]{9,}")
MASK = "<redacted>"


class Redactor:
    """Masks a fixed set of secrets, plus every raw spend key, in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so that a secret containing another is masked whole.
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._secrets)} secrets>)"

    def add(self, secret: str) -> None:
        """Mask this secret too from now on (e.g. a raw key seen in a response)."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Return `text` with every known secret and every raw-key-shaped string masked."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return RAW_KEY_PATTERN.sub(MASK, text)
