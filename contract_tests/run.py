"""This run's identity on a shared target: the name prefix of its keys, and the ids it may change.

Against staging the suite shares a wallet with other people's keys. Every key a run creates is named
`lava-contract-<run id>-...`, so that the run can sweep up after itself by name and `make
contract-cleanup` can sweep up after a run that was killed. Update, rotate and revoke may only aim at ids
this run created (`Ownership`); anything else is replaced by an id that cannot exist before the request
is sent, so a pre-existing key is never changed, whatever schemathesis draws.

The run id comes from `CONTRACT_RUN_ID` when set (to resume or sweep a known run), else it is random
(`settings.Settings.run_id`); it is asked for when a name is first made, not at import, so that a bad
setting is named by conftest.py's `pytest_configure` rather than by an import. The longest valid name is
the spec's (`bounds.Bounds.name_max_length`).

`Ownership.require` is the one guard of a change: the typed operations and raw requests of
`SpendKeyApi` both call it before they send.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from contract_tests.bounds import bounds
from contract_tests.drift import ObservedDrift
from contract_tests.redaction import Redactor
from contract_tests.report import RunReport
from contract_tests.settings import current
from contract_tests.traffic import Traffic
from lava_spec import Operation

SWEEP_PREFIX = "lava-contract-"


def run_id() -> str:
    """This run's id (`CONTRACT_RUN_ID`, else random)."""
    return current().run_id


def name_prefix() -> str:
    """What every key name of this run starts with."""
    return f"{SWEEP_PREFIX}{run_id()}-"


def not_ours_id() -> str:
    """An id no server issues: what a change aimed at a key of someone else is pointed at instead."""
    return f"{SWEEP_PREFIX}not-ours-{run_id()}"


def named(suffix: str) -> str:
    """A key name of this run: the prefix, then `suffix`."""
    return name_prefix() + suffix


def prefixed(name: str) -> str:
    """`name` with this run's prefix, for a drawn request body.

    A valid name (up to the spec's maxLength) stays valid: it is cut to leave room for the prefix. An
    empty name or an over-long one stays invalid, so a negative case still tests what it was drawn to test.
    """
    prefix, longest = name_prefix(), bounds().name_max_length
    if not name or name.startswith(prefix):
        return name
    if len(name) > longest:
        return prefix + name
    return (prefix + name)[:longest]


def changes_a_key(operation: Operation) -> bool:
    """Whether `operation` changes the key its path names: every operation on one key but reading it."""
    return operation.method != "GET" and bool(operation.path_parameters)


class NotOursError(RuntimeError):
    """The suite was about to change a key this run did not create: a bug of the suite, never sent."""


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
        return spend_key_id if self.owns(spend_key_id) else not_ours_id()

    def require(self, operation: Operation, path_parameters: Mapping[str, str]) -> None:
        """Refuse (`NotOursError`) a request of `operation` that would change a key this run did not create.

        Every operation on one key but reading it changes it (update, rotate, revoke: a method other than
        GET with a path parameter). `not_ours_id()` is allowed: no server issues it, so nothing changes.
        """
        if not changes_a_key(operation):
            return
        for name in operation.path_parameters:
            spend_key_id = path_parameters.get(name, "")
            if spend_key_id != not_ours_id() and not self.owns(spend_key_id):
                # Only keys this run created are ever changed: on a shared wallet, others are not ours.
                raise NotOursError(
                    f"refusing {operation.label}: this run did not create spend key {spend_key_id!r}, and a "
                    "run only changes keys it created (create one first, or use run.not_ours_id() for an "
                    "unknown id)"
                )


OWNERSHIP = Ownership()


@dataclass(frozen=True)
class RunContext:
    """The pieces one run shares between its clients, its hooks and its reports."""

    redactor: Redactor
    traffic: Traffic
    drift: ObservedDrift
    report: RunReport
    ownership: Ownership = OWNERSHIP
