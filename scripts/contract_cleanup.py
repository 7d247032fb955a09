"""Sweep up the spend keys that contract runs left on a target: `make contract-cleanup` calls this.

A run revokes its own keys when it ends, also when it fails or is interrupted with Ctrl-C. A run that was
killed outright cannot, so this program lists every key the token can see and revokes those whose name
starts with `lava-contract-` (every run's prefix), or with `lava-contract-<id>-` for one run when
`CONTRACT_RUN_ID` is set. It never touches a key with any other name. It then lists again and reports
what is left. Uses the same target variables as `make contract`.

Exit statuses: 0 nothing of ours left; 1 keys could not be revoked; 2 bad usage or configuration;
3 unreachable; 4 token rejected; 6 production refused (see scripts/contract.py).
"""

from __future__ import annotations

import os
import sys

import httpx

from contract_tests.bounds import path_arguments
from contract_tests.run import SWEEP_PREFIX
from contract_tests.target import (
    BASE_URL_VARIABLE,
    ProductionTargetError,
    TargetConfigurationError,
    configured_target,
)
from lava_spec import load_spec

TIMEOUT_SECONDS = 30.0
PAGE = 100


def _ours(client: httpx.Client, prefix: str) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
        listing = load_spec().operation("list_spend_keys")
        response = client.request(listing.method, listing.path_for(), params=params)
        response.raise_for_status()
        page = response.json()
        ids += [key["spend_key_id"] for key in page["data"] if str(key.get("name", "")).startswith(prefix)]
        cursor = page.get("next_cursor")
        if not page.get("has_more") or not cursor:
            return ids


def main() -> int:
    """Sweep; see the module docstring."""
    if "--allow-production" in sys.argv[1:]:
        os.environ["LAVA_ALLOW_PRODUCTION"] = "1"
    try:
        target = configured_target()
    except ProductionTargetError as error:
        print(f"contract-cleanup: {error}", file=sys.stderr)
        return 6
    except TargetConfigurationError as error:
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
    headers = {"Authorization": f"Bearer {target.token}"}
    with httpx.Client(base_url=target.base_url, headers=headers, timeout=TIMEOUT_SECONDS) as client:
        try:
            found = _ours(client, prefix)
            revoke = load_spec().operation("revoke_spend_key")
            for spend_key_id in found:
                client.request(revoke.method, revoke.path_for(**path_arguments(revoke, spend_key_id)))
            left = _ours(client, prefix)
        except httpx.HTTPStatusError as error:
            status = error.response.status_code
            print(f"contract-cleanup: {target.base_url} answered {status}", file=sys.stderr)
            return 4 if status in (401, 403) else 1
        except httpx.HTTPError as error:
            print(
                f"contract-cleanup: cannot reach {target.base_url} ({type(error).__name__})", file=sys.stderr
            )
            return 3
    print(f"contract-cleanup: revoked {len(found) - len(left)} keys named {prefix}*; {len(left)} left")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
