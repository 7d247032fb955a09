"""Usage, and keys that must stop working: what only spending a raw key can show.

Lava's docs promise that rotate keeps a key's usage and that the replaced key "stops working at once", and
that a revoked key stops working for proxy requests at once. Usage exists only once a key has been spent
through the proxy, so these tests need a target with one (`LAVA_PROXY_URL`; the embedded server has it).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contract_tests import strategies
from contract_tests.bounds import ACTIVE_STATUS, bounds
from contract_tests.spend_key_api import SpendKeyApi, expect
from contract_tests.spend_key_json import usage_of
from contract_tests.typed_client import RevokeResult, SpendKey, SpendKeyWithSecret

# Spendable whatever else was drawn: active, and no expiry.
SPENDABLE = {"status": ACTIVE_STATUS, "expires_at": None}
RAW_KEY = bounds().raw_key_field


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
