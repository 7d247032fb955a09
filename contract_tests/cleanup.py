"""Revoking every key a run created, and an account of what could not be revoked.

`clean_up` ends every session client's life (conftest.py): it revokes by id (every id the run's
`Ownership` holds) and by name (every listed key whose name starts with the run's prefix, which also
catches a key whose create answer was lost), then lists again to verify. It never raises: when the
target fails along the way (a revoke refused, a list that breaks or never ends), the `Cleanup` it
returns says what failed and holds every id that may still be there, for the run's verdict (outcome.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contract_tests.redaction import Redactor
from contract_tests.run import Ownership

if TYPE_CHECKING:
    from contract_tests.spend_key_api import SpendKeyApi

_EXCERPT = 300


@dataclass(frozen=True)
class Cleanup:
    """What cleanup left: the ids of this run's keys that may still exist, and what went wrong."""

    left: tuple[str, ...]
    problems: tuple[str, ...]
    # Whether a list after the revokes confirmed `left` (False: `left` is what the run could not rule out).
    verified: bool


def clean_up(api: SpendKeyApi, ownership: Ownership, redactor: Redactor, name_prefix: str) -> Cleanup:
    """Revoke, through `api`, every key of the run (by id and by name), then list to verify."""
    problems: list[str] = []

    def revoke(spend_key_id: str) -> None:
        try:
            response = api.revoke(spend_key_id)
        except Exception as error:  # noqa: BLE001 - cleanup must end with an account, whatever the target did
            problems.append(f"revoking {spend_key_id} failed: {redactor.redact(str(error))[:_EXCERPT]}")
            return
        if response.status_code not in (200, 404):
            problems.append(f"revoking {spend_key_id} answered {int(response.status_code)}")

    for spend_key_id in ownership.live_ids():
        revoke(spend_key_id)
    try:
        for spend_key in list(api.iter_all()):
            if spend_key.name.startswith(name_prefix):
                ownership.add(spend_key.spend_key_id)
                revoke(spend_key.spend_key_id)
        left = [key.spend_key_id for key in api.iter_all() if key.name.startswith(name_prefix)]
    except Exception as error:  # noqa: BLE001 - see above
        problems.append(f"could not list the keys to verify: {redactor.redact(str(error))[:_EXCERPT]}")
        left = ownership.live_ids()
    api.created_ids.clear()
    return Cleanup(left=tuple(sorted(set(left))), problems=tuple(problems), verified=len(problems) == 0)
