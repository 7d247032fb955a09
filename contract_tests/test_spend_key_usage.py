"""Usage, and keys that must stop working: what only spending a raw key can show.

Lava's docs promise that rotate keeps a key's usage and that the replaced key "stops working at once", and
that a revoked key stops working for proxy requests at once; v2's add a key's totals, "tracked across
completed and current cycles", which count every request and never fall below the current cycle's
figures. Usage exists only once a key has been spent through the proxy, so these tests need a target with
one (`LAVA_PROXY_URL`; the embedded server has it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contract_tests import strategies
from contract_tests.applicability import applies_if
from contract_tests.bounds import ACTIVE_STATUS, bounds
from contract_tests.spend_key_api import SpendKeyApi, expect
from contract_tests.spend_key_json import usage_of
from contract_tests.typed_client import RevokeResult, SpendKey, SpendKeyWithSecret

# Spendable whatever else was drawn: active, and no expiry.
SPENDABLE = {"status": ACTIVE_STATUS, "expires_at": None}
BOUNDS = bounds()
RAW_KEY = BOUNDS.raw_key_field


@given(body=strategies.create_bodies(), uses=st.integers(min_value=1, max_value=3))
def test_rotate_keeps_usage_and_the_old_key_stops_working_at_once(
    proxy_api: SpendKeyApi, body: dict[str, Any], uses: int
) -> None:
    with proxy_api.scratch():
        created = expect(proxy_api.create({**body, **SPENDABLE}), 201, SpendKeyWithSecret).to_dict()
        for _ in range(uses):
            assert proxy_api.spend(created[RAW_KEY]).status_code == 200, "a new, active key was refused"
        used = expect(proxy_api.get(created["spend_key_id"]), 200, SpendKey).to_dict()
        assert used["current_requests"] == uses, "the proxy's requests were not counted"
        rotated = expect(proxy_api.rotate(created["spend_key_id"]), 200, SpendKeyWithSecret).to_dict()
        assert usage_of(rotated) == usage_of(used)
        assert proxy_api.spend(created[RAW_KEY]).status_code == 401, "the replaced key still works"
        assert proxy_api.spend(rotated[RAW_KEY]).status_code == 200, "the new key does not work"


@given(body=strategies.create_bodies())
def test_a_revoked_key_stops_working_for_proxy_requests_at_once(
    proxy_api: SpendKeyApi, body: dict[str, Any]
) -> None:
    with proxy_api.scratch():
        created = expect(proxy_api.create({**body, **SPENDABLE}), 201, SpendKeyWithSecret).to_dict()
        assert proxy_api.spend(created[RAW_KEY]).status_code == 200, "a new, active key was refused"
        expect(proxy_api.revoke(created["spend_key_id"]), 200, RevokeResult)
        assert proxy_api.spend(created[RAW_KEY]).status_code == 401, "a revoked key still works"


def _figures(spend_key: dict[str, Any]) -> dict[str, Decimal]:
    """Each current-cycle figure and each total of `spend_key`, as numbers (the spec requires them all)."""
    return {name: Decimal(str(spend_key[name])) for pair in BOUNDS.totals.items() for name in pair}


@applies_if(BOUNDS.totals, "the spec's SpendKey shows no totals beside its current-cycle figures")
@given(
    body=strategies.create_bodies(),
    uses=st.integers(min_value=1, max_value=3),
    change=strategies.update_bodies(),
)
def test_totals_count_every_request_and_neither_update_nor_rotate_changes_them(
    proxy_api: SpendKeyApi, body: dict[str, Any], uses: int, change: dict[str, Any]
) -> None:
    with proxy_api.scratch():
        created = expect(proxy_api.create({**body, **SPENDABLE}), 201, SpendKeyWithSecret).to_dict()
        before = _figures(created)
        assert all(value == 0 for value in before.values()), f"a new key's figures are {before}"
        for _ in range(uses):
            assert proxy_api.spend(created[RAW_KEY]).status_code == 200, "a new, active key was refused"
            after = _figures(expect(proxy_api.get(created["spend_key_id"]), 200, SpendKey).to_dict())
            for current, total in BOUNDS.totals.items():
                # A served request adds the same to the cycle's figure and to the total.
                grown, total_grown = after[current] - before[current], after[total] - before[total]
                assert grown > 0, f"a served request did not add to {current}"
                assert total_grown == grown, f"{total} grew by {total_grown} where {current} grew by {grown}"
            before = after
        updated = expect(proxy_api.update(created["spend_key_id"], change), 200, SpendKey).to_dict()
        assert _figures(updated) == before, "an update changed the key's figures"
        rotated = expect(proxy_api.rotate(created["spend_key_id"]), 200, SpendKeyWithSecret).to_dict()
        assert _figures(rotated) == before, "rotate changed the key's figures"
        fetched = expect(proxy_api.get(created["spend_key_id"]), 200, SpendKey).to_dict()
        assert _figures(fetched) == before, "the figures changed after update and rotate"
