"""Usage, and keys that must stop working: what only spending a raw key can show.

Lava's docs promise that rotate keeps a key's usage and that the replaced key "stops working at once", and
that a revoked key stops working for proxy requests at once; v2's add a key's totals, "tracked across
completed and current cycles", which count every request and never fall below the current cycle's
figures. Usage exists only once a key has been spent through the proxy, so these tests need a target with
one (`LAVA_PROXY_URL`; the embedded server has it). A current-cycle figure is compared by cycles.py's rule:
exactly, unless a cycle of its limit may have ended in between; the totals always exactly.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contract_tests import strategies
from contract_tests.applicability import applies_if
from contract_tests.bounds import ACTIVE_STATUS, bounds
from contract_tests.cycles import Counting, added_by, figures_of
from contract_tests.spend_key_api import SpendKeyApi, expect
from contract_tests.spend_key_json import usage_of
from contract_tests.typed_client import RevokeResult, SpendKey, SpendKeyWithSecret

# Spendable whatever else was drawn: active, and no expiry.
SPENDABLE = {"status": ACTIVE_STATUS, "expires_at": None}
BOUNDS = bounds()
RAW_KEY = BOUNDS.raw_key_field


def _judged(judgement_problems: tuple[str, ...], what: str) -> None:
    assert not judgement_problems, f"{what}: {'; '.join(judgement_problems)}"


@given(body=strategies.create_bodies(), uses=st.integers(min_value=1, max_value=3))
def test_rotate_keeps_usage_and_the_old_key_stops_working_at_once(
    proxy_api: SpendKeyApi, body: dict[str, Any], uses: int
) -> None:
    with proxy_api.scratch():
        settings = {**body, **SPENDABLE}
        started = proxy_api.clock.now()
        created = expect(proxy_api.create(settings), 201, SpendKeyWithSecret).to_dict()
        counting = Counting.started(BOUNDS, settings, started)
        for _ in range(uses):
            assert proxy_api.spend(created[RAW_KEY]).status_code == 200, "a new, active key was refused"
        used = expect(proxy_api.get(created["spend_key_id"]), 200, SpendKey).to_dict()
        judgement = counting.judge(
            figures_of(created, BOUNDS),
            figures_of(used, BOUNDS),
            added_by(uses),
            settings=settings,
            clock=proxy_api.clock,
        )
        _judged(judgement.problems, "the proxy's requests were not counted")
        rotated = expect(proxy_api.rotate(created["spend_key_id"]), 200, SpendKeyWithSecret).to_dict()
        # Rotate keeps the usage: the figures by the rule (a cycle may end in between), the rest exactly.
        judgement = counting.judge(
            figures_of(used, BOUNDS),
            figures_of(rotated, BOUNDS),
            added_by(0),
            settings=settings,
            clock=proxy_api.clock,
        )
        _judged(judgement.problems, "rotate changed the key's usage")
        assert _beside_figures(usage_of(rotated)) == _beside_figures(usage_of(used)), (
            "rotate changed the key's usage"
        )
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


def _beside_figures(usage: dict[str, Any]) -> dict[str, Any]:
    """`usage` less the current-cycle figures, which cycles.py compares."""
    return {name: value for name, value in usage.items() if name not in BOUNDS.figure_cycles}


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
        settings = {**body, **SPENDABLE}
        started = proxy_api.clock.now()
        created = expect(proxy_api.create(settings), 201, SpendKeyWithSecret).to_dict()
        counting = Counting.started(BOUNDS, settings, started)
        before = figures_of(created, BOUNDS)
        assert all(value == 0 for value in before.values()), f"a new key's figures are {before}"
        # A served request adds the same to the cycle's figure and to the total; the figure alone may start
        # again at zero where its cycle may have ended (cycles.py).
        for _ in range(uses):
            assert proxy_api.spend(created[RAW_KEY]).status_code == 200, "a new, active key was refused"
            after = figures_of(
                expect(proxy_api.get(created["spend_key_id"]), 200, SpendKey).to_dict(), BOUNDS
            )
            judgement = counting.judge(before, after, added_by(1), settings=settings, clock=proxy_api.clock)
            _judged(judgement.problems, "a served request")
            before = after
        updated = expect(proxy_api.update(created["spend_key_id"], change), 200, SpendKey).to_dict()
        settings = {**settings, **change}
        counting.held(settings)
        for answer, what in (
            (updated, "an update changed the key's figures"),
            (
                expect(proxy_api.rotate(created["spend_key_id"]), 200, SpendKeyWithSecret).to_dict(),
                "rotate changed the key's figures",
            ),
            (
                expect(proxy_api.get(created["spend_key_id"]), 200, SpendKey).to_dict(),
                "the figures changed after update and rotate",
            ),
        ):
            after = figures_of(answer, BOUNDS)
            _judged(
                counting.judge(before, after, added_by(0), settings=settings, clock=proxy_api.clock).problems,
                what,
            )
            before = after
