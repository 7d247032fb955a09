"""What the docs promise beyond response shapes, checked through the generated client.

Each test drives real requests through `lava_client` against the target server; `SpendKeyApi` also
checks, on every response, that `current_requests` is never negative and that no raw key appears where it
must not. Schema checks (test_schema_conformance.py) cannot see these properties: a server that truncates
names, or creates a key and then answers 422, sends responses of the right shape.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from contract_tests import strategies
from contract_tests.applicability import applies_if
from contract_tests.bounds import bounds
from contract_tests.run import named
from contract_tests.spend_key_api import SpendKeyApi, expect
from contract_tests.spend_key_json import created_with, figure, mask_problem, settings_of, usage_of
from contract_tests.typed_client import RevokeResult, SpendKey, SpendKeyWithSecret

BOUNDS = bounds()
# The most characters the spec allows a name, the run's prefix included.
LONGEST = bounds().name_max_length
RAW_KEY = bounds().raw_key_field
ROOM = LONGEST - len(named(""))


def _created(api: SpendKeyApi, body: dict[str, Any]) -> dict[str, Any]:
    return expect(api.create(body), 201, SpendKeyWithSecret).to_dict()


def _assert_masked(spend_key: dict[str, Any]) -> None:
    problem = mask_problem(spend_key[RAW_KEY], spend_key["key_preview"])
    assert problem is None, problem


@given(body=strategies.create_bodies())
def test_a_create_retried_with_the_same_idempotency_key_creates_one_key(
    spend_key_api: SpendKeyApi, body: dict[str, Any]
) -> None:
    with spend_key_api.scratch():
        before = spend_key_api.count()
        idempotency_key = f"contract-{uuid.uuid4()}"
        first = expect(spend_key_api.create(body, idempotency_key), 201, SpendKeyWithSecret)
        again = expect(spend_key_api.create(body, idempotency_key), 201, SpendKeyWithSecret)
        assert again.spend_key_id == first.spend_key_id, "the retry created a second key"
        assert again.key == first.key, "the retry answered with another raw key"
        assert spend_key_api.count() == before + 1, "the retry created a second key"


@given(name=strategies.valid_names())
# The boundaries, every run: a server that cuts names short is caught whatever Hypothesis draws.
@example(name=named("n"))
@example(name=named("n" * ROOM))
@example(name=named("é" * ROOM))
@example(name=named(" 🔑 spaced and non-ASCII 🔑 "))
def test_any_name_up_to_the_specs_max_length_is_accepted_and_echoed(
    spend_key_api: SpendKeyApi, name: str
) -> None:
    with spend_key_api.scratch():
        created = _created(spend_key_api, {"name": name})
        assert created["name"] == name
        assert expect(spend_key_api.get(created["spend_key_id"]), 200, SpendKey).name == name


@given(name=strategies.over_long_names())
# The boundary, every run: one character over the spec's maxLength.
@example(name=named("n" * (ROOM + 1)))
def test_a_name_over_the_specs_max_length_is_rejected_and_nothing_is_created(
    spend_key_api: SpendKeyApi, name: str
) -> None:
    with spend_key_api.scratch():
        before = spend_key_api.count()
        response = spend_key_api.create({"name": name})
        assert 400 <= response.status_code < 500, f"create answered {int(response.status_code)}, expected 4xx"
        assert spend_key_api.count() == before, "a rejected create still created a spend key"


@given(body=strategies.create_bodies())
def test_create_returns_the_raw_key_once_and_later_reads_never_show_it(
    spend_key_api: SpendKeyApi, body: dict[str, Any]
) -> None:
    with spend_key_api.scratch():
        created = _created(spend_key_api, body)
        _assert_masked(created)
        assert created["current_requests"] == 0
        assert float(created["current_spend"]) == 0
        for total in BOUNDS.totals.values():
            assert figure(created[total]) == 0, f"a new key's {total} is {created[total]}"
        assert settings_of(created) == created_with(body)
        spend_key_id = created["spend_key_id"]
        # SpendKeyApi fails any of these reads that carries `key` or the raw key's text.
        assert expect(spend_key_api.get(spend_key_id), 200, SpendKey).key_preview == created["key_preview"]
        listed = [item for item in spend_key_api.iter_all() if item.spend_key_id == spend_key_id]
        assert len(listed) == 1, "a created key is not listed exactly once"
        expect(spend_key_api.update(spend_key_id, {}), 200, SpendKey)


@applies_if(BOUNDS.create_defaults, "the spec's SpendKeyCreate states no `default` for any field")
@pytest.mark.parametrize("field", list(BOUNDS.create_defaults) or ["(none)"])
def test_a_create_field_left_out_takes_the_specs_default_and_each_value_sent_is_echoed_everywhere(
    spend_key_api: SpendKeyApi, field: str
) -> None:
    default = BOUNDS.create_defaults[field]
    # Every value the spec allows where it is an enum (v2's `request_shape`), else the default itself.
    values = BOUNDS.setting_enums.get(field, (default,))
    with spend_key_api.scratch():
        left_out = _created(spend_key_api, {"name": named(f"left-out-{field}")})
        held = {left_out["spend_key_id"]: default}
        assert left_out[field] == default, f"a create that left {field} out holds {left_out[field]!r}"
        for value in values:
            created = _created(spend_key_api, {"name": named(f"sent-{field}"), field: value})
            assert created[field] == value, f"create did not echo {field}={value!r}"
            held[created["spend_key_id"]] = value
        assert _shown(spend_key_api, held, field) == held, f"get or list did not show the {field} created"
        # Each key to the next value, then an update that leaves the field out: the key keeps it.
        for spend_key_id, value in held.items():
            other = values[(values.index(value) + 1) % len(values)] if value in values else default
            updated = expect(spend_key_api.update(spend_key_id, {field: other}), 200, SpendKey).to_dict()
            assert updated[field] == other, f"update did not echo {field}={other!r}"
            kept = expect(spend_key_api.update(spend_key_id, {}), 200, SpendKey).to_dict()
            assert kept[field] == other, f"an update that left {field} out changed it from {other!r}"
            held[spend_key_id] = other
        assert _shown(spend_key_api, held, field) == held, f"get or list did not show the {field} updated"


def _shown(api: SpendKeyApi, keys: dict[str, object], field: str) -> dict[str, object]:
    """`field` of each of `keys` as get shows it, once the list has been seen to show the same."""
    listed = {item.spend_key_id: item.to_dict().get(field) for item in api.iter_all()}
    fetched = {key: expect(api.get(key), 200, SpendKey).to_dict().get(field) for key in keys}
    assert {key: listed.get(key) for key in keys} == fetched, f"the list and get disagree on {field}"
    return fetched


@given(body=strategies.create_bodies())
def test_rotate_changes_the_key_and_keeps_settings_and_usage(
    spend_key_api: SpendKeyApi, body: dict[str, Any]
) -> None:
    with spend_key_api.scratch():
        created = _created(spend_key_api, body)
        rotated = expect(spend_key_api.rotate(created["spend_key_id"]), 200, SpendKeyWithSecret).to_dict()
        _assert_masked(rotated)
        assert rotated[RAW_KEY] != created[RAW_KEY], "rotate returned the old raw key"
        assert settings_of(rotated) == settings_of(created)
        assert usage_of(rotated) == usage_of(created)
        fetched = expect(spend_key_api.get(created["spend_key_id"]), 200, SpendKey).to_dict()
        assert fetched["key_preview"] == rotated["key_preview"]
        assert settings_of(fetched) == settings_of(created)


@given(body=strategies.create_bodies(), change=strategies.update_bodies())
def test_update_changes_only_the_fields_it_is_sent(
    spend_key_api: SpendKeyApi, body: dict[str, Any], change: dict[str, Any]
) -> None:
    with spend_key_api.scratch():
        created = _created(spend_key_api, body)
        updated = expect(spend_key_api.update(created["spend_key_id"], change), 200, SpendKey)
        expected = settings_of({**created, **change})
        assert settings_of(updated.to_dict()) == expected
        assert (
            settings_of(expect(spend_key_api.get(created["spend_key_id"]), 200, SpendKey).to_dict())
            == expected
        )


@given(body=strategies.create_bodies())
def test_revoke_removes_the_key_from_get_and_list_and_a_second_revoke_is_404(
    spend_key_api: SpendKeyApi, body: dict[str, Any]
) -> None:
    with spend_key_api.scratch():
        spend_key_id = _created(spend_key_api, body)["spend_key_id"]
        assert expect(spend_key_api.revoke(spend_key_id), 200, RevokeResult).success is True
        assert spend_key_api.get(spend_key_id).status_code == 404
        assert all(item.spend_key_id != spend_key_id for item in spend_key_api.iter_all())
        assert spend_key_api.revoke(spend_key_id).status_code == 404


@given(limit=st.integers(min_value=1, max_value=7), extra=st.integers(min_value=0, max_value=12))
def test_pagination_visits_every_key_once_in_a_stable_order(
    spend_key_api: SpendKeyApi, limit: int, extra: int
) -> None:
    with spend_key_api.scratch():
        for index in range(extra):
            _created(spend_key_api, {"name": named(f"page-{index}")})
        everything = [item.spend_key_id for item in spend_key_api.iter_all()]
        # Page the newest keys with a small limit, starting from the cursor the docs define: the id of the
        # last item before them. The window keeps the test's cost independent of how many keys exist.
        start = max(0, len(everything) - extra - limit)
        cursor = everything[start - 1] if start else None
        seen: list[str] = []
        for page in spend_key_api.pages(cursor, limit=limit):
            assert len(page.data) <= limit, f"a page of limit={limit} held {len(page.data)} keys"
            seen.extend(item.spend_key_id for item in page.data)
        assert seen == everything[start:], "paging with a small limit skipped, repeated or reordered keys"
