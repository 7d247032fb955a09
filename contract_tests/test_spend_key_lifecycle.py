"""Random sequences of create, get, list, update, rotate, revoke and spend, checked against a model.

Hypothesis drives the generated client through the lifecycle of a few keys and keeps, beside the server,
a model of what it should contain: each key's settings, its raw key, preview, creation time and usage.
After every step the server must agree with the model: settings stay as last sent, `created_at` never
moves, rotate changes the key and nothing else, a revoked key is gone, an Idempotency-Key retry creates
nothing, and (where the target has a proxy) a rotated or revoked key stops working at once. Where the
spec's SpendKey shows totals (v2), the model holds them too: a served request adds to each total what it
adds to the current figure, and nothing else changes them. A current-cycle figure may start again at zero
only where a cycle of its limit may have ended in between (cycles.py); then the model takes what it sees.

Schema checks cannot see any of this: every response here may be perfectly shaped and still wrong.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from dateutil.parser import isoparse
from hypothesis import settings
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from contract_tests import cycles, strategies
from contract_tests.bounds import ACTIVE_STATUS, bounds
from contract_tests.cycles import Counting, added_by, figures_of
from contract_tests.spend_key_api import SpendKeyApi, expect
from contract_tests.spend_key_json import created_with, mask_problem, settings_of
from contract_tests.typed_client import RevokeResult, SpendKey, SpendKeyWithSecret

STEPS = 20
BOUNDS = bounds()
RAW_KEY = BOUNDS.raw_key_field


@dataclass
class ModelKey:
    """What the server should hold for one key."""

    settings: dict[str, Any]
    raw_key: str
    key_preview: str
    created_at: dt.datetime
    # Since when each current figure counts, and under which cycles (cycles.py).
    counting: Counting
    replaced_keys: list[str] = field(default_factory=list)
    # Each current-cycle figure and each total (v2), as last seen.
    figures: dict[str, Decimal] = field(
        default_factory=lambda: dict.fromkeys((*BOUNDS.figure_cycles, *BOUNDS.totals.values()), Decimal(0))
    )
    last_used_at: dt.datetime | None = None


class SpendKeyLifecycle(RuleBasedStateMachine):
    """The model-based test: rules act on the server and the model alike; invariants compare them."""

    api: SpendKeyApi  # set by the test below, before Hypothesis runs the machine

    keys = Bundle("keys")
    revoked = Bundle("revoked")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, ModelKey] = {}
        self.revoked_ids: set[str] = set()

    # Rules ---------------------------------------------------------------------------------------------

    @rule(target=keys, body=strategies.create_bodies())
    def create(self, body: dict[str, Any]) -> str:
        started = self.api.clock.now()
        created = expect(self.api.create(body), 201, SpendKeyWithSecret)
        self._assert_fresh_secret(created.to_dict())
        self.model[created.spend_key_id] = ModelKey(
            settings=created_with(body),
            raw_key=created.key,
            key_preview=created.key_preview,
            created_at=created.created_at,
            counting=Counting.started(BOUNDS, created_with(body), started),
        )
        self._assert_matches(created.to_dict())
        return created.spend_key_id

    @rule(target=keys, body=strategies.create_bodies())
    def create_retried_with_the_same_idempotency_key(self, body: dict[str, Any]) -> str:
        idempotency_key = f"contract-{uuid.uuid4()}"
        started = self.api.clock.now()
        first = expect(self.api.create(body, idempotency_key), 201, SpendKeyWithSecret)
        count = len(self._listed())
        again = expect(self.api.create(body, idempotency_key), 201, SpendKeyWithSecret)
        assert again.spend_key_id == first.spend_key_id, "a retried create made a second key"
        assert again.key == first.key, "a retried create answered with another raw key"
        assert len(self._listed()) == count, "a retried create made a second key"
        self.model[first.spend_key_id] = ModelKey(
            settings=created_with(body),
            raw_key=first.key,
            key_preview=first.key_preview,
            created_at=first.created_at,
            counting=Counting.started(BOUNDS, created_with(body), started),
        )
        return first.spend_key_id

    @rule(spend_key_id=keys)
    def get(self, spend_key_id: str) -> None:
        self._assert_matches(expect(self.api.get(spend_key_id), 200, SpendKey).to_dict())

    @rule(spend_key_id=keys, change=strategies.update_bodies())
    def update(self, spend_key_id: str, change: dict[str, Any]) -> None:
        updated = expect(self.api.update(spend_key_id, change), 200, SpendKey)
        model = self.model[spend_key_id]
        model.settings = settings_of({**model.settings, **change})
        model.counting.held(model.settings)
        self._assert_matches(updated.to_dict())

    @rule(spend_key_id=keys)
    def rotate(self, spend_key_id: str) -> None:
        rotated = expect(self.api.rotate(spend_key_id), 200, SpendKeyWithSecret).to_dict()
        model = self.model[spend_key_id]
        assert rotated[RAW_KEY] != model.raw_key, "rotate returned the key it was meant to replace"
        assert rotated[RAW_KEY] not in model.replaced_keys, "rotate returned an earlier key"
        self._assert_fresh_secret(rotated)
        model.replaced_keys.append(model.raw_key)
        model.raw_key, model.key_preview = rotated[RAW_KEY], rotated["key_preview"]
        self._assert_matches(rotated)

    @rule(target=revoked, spend_key_id=consumes(keys))
    def revoke(self, spend_key_id: str) -> str:
        assert expect(self.api.revoke(spend_key_id), 200, RevokeResult).success is True
        model = self.model.pop(spend_key_id)
        self.revoked_ids.add(spend_key_id)
        if self.api.can_spend:
            assert self.api.spend(model.raw_key).status_code == 401, "a revoked key still works"
        return spend_key_id

    @rule(spend_key_id=revoked)
    def a_revoked_key_stays_gone(self, spend_key_id: str) -> None:
        assert self.api.get(spend_key_id).status_code == 404, "a revoked key can still be read"
        assert self.api.revoke(spend_key_id).status_code == 404, "a revoked key can be revoked again"

    @precondition(lambda self: self.api.can_spend)
    @rule(spend_key_id=keys)
    def spend(self, spend_key_id: str) -> None:
        model = self.model[spend_key_id]
        for replaced in model.replaced_keys[-1:]:
            assert self.api.spend(replaced).status_code == 401, "a rotated-away key still works"
        response = self.api.spend(model.raw_key)
        if model.settings["status"] != ACTIVE_STATUS or self._expired(model):
            assert response.status_code in (401, 403), f"a paused or expired key was served: {response}"
            return
        assert response.status_code == 200, f"an active key was refused: {response.status_code}"
        fetched = expect(self.api.get(spend_key_id), 200, SpendKey).to_dict()
        assert fetched.get("last_used_at") is not None, "a used key has no last_used_at"
        self._assert_figures(
            fetched, added_by(1), "a served request was not counted as one request of some cost"
        )
        model.last_used_at = isoparse(fetched["last_used_at"])

    def teardown(self) -> None:
        """Revoke what this run created, so the next run (and a shared wallet) starts as it found it."""
        for spend_key_id in list(self.model):
            self.api.revoke(spend_key_id)

    # Invariants ----------------------------------------------------------------------------------------

    @invariant()
    def the_list_holds_exactly_the_live_keys_as_the_model_says(self) -> None:
        listed = self._listed()
        known = self.model.keys() | self.revoked_ids
        ours = [item for item in listed if item["spend_key_id"] in known]
        ids = [item["spend_key_id"] for item in ours]
        assert len(ids) == len(set(ids)), "the list shows a key twice"
        assert set(ids) == set(self.model), "the list and the model disagree on which keys exist"
        for item in ours:
            self._assert_matches(item)

    # Helpers -------------------------------------------------------------------------------------------

    def _listed(self) -> list[dict[str, Any]]:
        return [item.to_dict() for item in self.api.iter_all()]

    def _assert_matches(self, spend_key: dict[str, Any]) -> None:
        model = self.model[spend_key["spend_key_id"]]
        assert settings_of(spend_key) == model.settings, "a key's settings differ from those last sent"
        assert spend_key["key_preview"] == model.key_preview, "key_preview changed without a rotate"
        assert isoparse(spend_key["created_at"]) == model.created_at, "created_at changed"
        self._assert_figures(spend_key, added_by(0), "a key's usage changed without use")
        last_used = spend_key.get("last_used_at")
        assert (isoparse(last_used) if last_used else None) == model.last_used_at, "last_used_at changed"

    def _assert_figures(self, spend_key: dict[str, Any], added: dict[str, Decimal | None], what: str) -> None:
        """The key's figures moved from the model's by `added`, or (cycles.py) started again; take them."""
        model = self.model[spend_key["spend_key_id"]]
        after = figures_of(spend_key, BOUNDS)
        judgement = model.counting.judge(
            model.figures, after, added, settings=model.settings, clock=self.api.clock
        )
        assert not judgement.problems, f"{what}: {'; '.join(judgement.problems)}"
        model.figures = after

    @staticmethod
    def _assert_fresh_secret(spend_key: dict[str, Any]) -> None:
        problem = mask_problem(spend_key[RAW_KEY], spend_key["key_preview"])
        assert problem is None, problem

    @staticmethod
    def _expired(model: ModelKey) -> bool:
        expires_at = model.settings["expires_at"]
        return isinstance(expires_at, dt.datetime) and expires_at <= cycles.now()


@pytest.mark.usefixtures("target")
def test_random_lifecycles_keep_the_server_and_the_model_in_agreement(spend_key_api: SpendKeyApi) -> None:
    SpendKeyLifecycle.api = spend_key_api
    examples = max(5, settings().max_examples // 2)
    run_state_machine_as_test(
        SpendKeyLifecycle, settings=settings(stateful_step_count=STEPS, max_examples=examples)
    )
