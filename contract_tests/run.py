"""This run's identity on a shared target: the name prefix of its keys, and the ids it may change.

Against staging the suite shares a wallet with other people's keys. Every key a run creates is named
`lava-contract-<run id>-...`, so that the run can sweep up after itself by name and `make
contract-cleanup` can sweep up after a run that was killed. Update, rotate and revoke may only aim at ids
this run created (`Ownership`); anything else is replaced by an id that cannot exist before the request
is sent, so a pre-existing key is never changed, whatever schemathesis draws.

The run id comes from `CONTRACT_RUN_ID` when set (to resume or sweep a known run), else it is random.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass

from contract_tests.drift import ObservedDrift
from contract_tests.redaction import Redactor
from contract_tests.report import RunReport
from contract_tests.traffic import Traffic

SWEEP_PREFIX = "lava-contract-"
RUN_ID = os.environ.get("CONTRACT_RUN_ID") or secrets.token_hex(4)
NAME_PREFIX = f"{SWEEP_PREFIX}{RUN_ID}-"
NAME_MAX_LENGTH = 255
# An id no server issues: what a destructive call on a key of someone else is pointed at instead.
NOT_OURS_ID = f"{SWEEP_PREFIX}not-ours-{RUN_ID}"


def named(suffix: str) -> str:
    """A key name of this run: the prefix, then `suffix`."""
    return NAME_PREFIX + suffix


def prefixed(name: str) -> str:
    """`name` with this run's prefix, for a drawn request body.

    A valid name (1-255 characters) stays valid: it is cut to leave room for the prefix. An empty name
    or one over 255 characters stays invalid, so a negative case still tests what it was drawn to test.
    """
    if not name or name.startswith(NAME_PREFIX):
        return name
    if len(name) > NAME_MAX_LENGTH:
        return NAME_PREFIX + name
    return (NAME_PREFIX + name)[:NAME_MAX_LENGTH]


class Ownership:
    """The ids of the keys this run created, shared by every client of the run (thread-safe)."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._live: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Ownership(<{len(self._ids)} keys>)"

    def add(self, spend_key_id: str) -> None:
        """Record a key this run created."""
        with self._lock:
            self._ids.add(spend_key_id)
            self._live.add(spend_key_id)

    def retire(self, spend_key_id: str) -> None:
        """Record that a key of this run is revoked (or gone): cleanup need not revoke it again."""
        with self._lock:
            self._live.discard(spend_key_id)

    def live_ids(self) -> list[str]:
        """The ids of this run's keys not yet known to be revoked."""
        with self._lock:
            return list(self._live)

    def owns(self, spend_key_id: str) -> bool:
        """Whether this run created the key."""
        with self._lock:
            return spend_key_id in self._ids

    def guarded(self, spend_key_id: str) -> str:
        """`spend_key_id` if this run owns it, else an id that cannot exist."""
        return spend_key_id if self.owns(spend_key_id) else NOT_OURS_ID


OWNERSHIP = Ownership()


@dataclass(frozen=True)
class RunContext:
    """The pieces one run shares between its clients, its hooks and its reports."""

    redactor: Redactor
    traffic: Traffic
    drift: ObservedDrift
    report: RunReport
    ownership: Ownership = OWNERSHIP
