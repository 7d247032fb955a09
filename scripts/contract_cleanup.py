"""Sweep up the spend keys that contract runs left on a target: `make contract-cleanup` calls this.

A run revokes its own keys when it ends, also when it fails or is interrupted with Ctrl-C. A run that was
killed outright cannot, so this program lists every key the token can see and revokes those whose name
starts with `lava-contract-` (every run's prefix), or with `lava-contract-<id>-` for one run when
`CONTRACT_RUN_ID` is set. It never touches a key with any other name. It then lists again and reports
what is left. Uses the same target variables as `make contract` (`LAVA_API_VERSION` among them), the
generated client of that version (which retries a
429 or a 5xx, as a sweep of a busy staging server needs) and the suite's walk over the list's pages
(`contract_tests.pages`, which names a list that never ends), in pages of the largest `limit` the spec
allows.

Exit statuses: 0 nothing of ours left; 1 keys could not be revoked; 2 bad usage or configuration;
3 unreachable; 4 token rejected; 6 production refused (see scripts/contract.py).
"""

from __future__ import annotations

import os
import sys
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import httpx
from lava_client import APIConnectionError, APIResponseValidationError
from lava_client.client import AuthenticatedClient
from lava_client.types import UNSET, Response

from contract_tests.bounds import bounds
from contract_tests.run import SWEEP_PREFIX
from contract_tests.settings import from_environment
from contract_tests.target import BASE_URL_VARIABLE, ProductionTargetError, TargetConfigurationError

if TYPE_CHECKING:
    from types import ModuleType

TIMEOUT_SECONDS = 30.0
# A revoke that answers one of these left nothing of ours behind (404: revoked meanwhile).
REVOKED = (200, 404)


class SweepError(Exception):
    """The sweep cannot go on: the target refused a request (`status`), or its list cannot be followed."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _operations() -> tuple[ModuleType, ModuleType]:
    """The version's list and revoke operations, imported only once `main` has read and judged the settings.

    `contract_tests.typed_client` (and `pages` and `observation`, which import it) picks its version from
    the run's settings when it is imported: imported at the top of this module, it would read them before
    `main` could turn a bad setting (an unknown LAVA_API_VERSION, a refused production key) into its
    message and exit status, or apply --allow-production.
    """
    from contract_tests.typed_client import list_spend_keys, revoke_spend_key  # noqa: PLC0415 - see above

    return list_spend_keys, revoke_spend_key


def _ours(client: AuthenticatedClient, prefix: str) -> list[str]:
    """The ids of every visible key named `prefix`*, listed in pages as large as the spec allows."""
    from contract_tests.observation import ContractViolation  # noqa: PLC0415 - see _operations
    from contract_tests.pages import walk_pages  # noqa: PLC0415 - see _operations

    list_spend_keys, _ = _operations()

    def list_page(cursor: str | None, limit: int) -> Response[Any]:
        response: Response[Any] = list_spend_keys.sync_detailed(
            client=client, cursor=UNSET if cursor is None else cursor, limit=limit
        )
        if response.status_code != HTTPStatus.OK:
            raise SweepError(f"answered {int(response.status_code)}", int(response.status_code))
        return response

    try:
        return [
            spend_key.spend_key_id
            for page in walk_pages(list_page, None, bounds().limit_highest)
            for spend_key in page.data
            if spend_key.name.startswith(prefix)
        ]
    except (ContractViolation, APIResponseValidationError) as error:
        raise SweepError(f"cannot be listed to the end: {error}") from None


def _sweep(client: AuthenticatedClient, prefix: str) -> tuple[list[str], list[str]]:
    """Revoke every key named `prefix`*; the ids found, and the ids still listed afterwards."""
    _, revoke_spend_key = _operations()
    found = _ours(client, prefix)
    for spend_key_id in found:
        # By position: the path parameter's name is the spec's business, not this script's.
        status = int(revoke_spend_key.sync_detailed(spend_key_id, client=client).status_code)
        if status not in REVOKED:
            raise SweepError(f"answered {status} to a revoke", status)
    return found, _ours(client, prefix)


def main() -> int:
    """Sweep; see the module docstring."""
    if "--allow-production" in sys.argv[1:]:
        os.environ["LAVA_ALLOW_PRODUCTION"] = "1"
    try:
        target = from_environment(os.environ).target
    except ProductionTargetError as error:
        print(f"contract-cleanup: {error}", file=sys.stderr)
        return 6
    except TargetConfigurationError as error:  # SettingsError among them: an unknown LAVA_API_VERSION, say
        print(f"contract-cleanup: {error}", file=sys.stderr)
        return 2
    if target is None:
        print(
            f"contract-cleanup: set {BASE_URL_VARIABLE} and LAVA_API_KEY to the server to sweep; the "
            "embedded server starts empty and needs no sweeping.",
            file=sys.stderr,
        )
        return 2
    run_id = os.environ.get("CONTRACT_RUN_ID")
    prefix = f"{SWEEP_PREFIX}{run_id}-" if run_id else SWEEP_PREFIX
    timeout = httpx.Timeout(TIMEOUT_SECONDS)
    with AuthenticatedClient(base_url=target.base_url, token=target.token, timeout=timeout) as client:
        try:
            found, left = _sweep(client, prefix)
        except SweepError as error:
            print(f"contract-cleanup: {target.base_url} {error}", file=sys.stderr)
            return 4 if error.status in (401, 403) else 1
        except APIConnectionError as error:
            print(
                f"contract-cleanup: cannot reach {target.base_url} ({type(error).__name__})", file=sys.stderr
            )
            return 3
    print(f"contract-cleanup: revoked {len(found) - len(left)} keys named {prefix}*; {len(left)} left")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
