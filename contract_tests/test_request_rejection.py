"""What the spec forbids is rejected with a 4xx and the error envelope, and nothing is created or changed.

Schemathesis draws invalid requests at random and would find these too, given time; the docs name some
constraints explicitly (the name's maximum length, the enums of the settings and the cycles, the limits'
minimums, `limit`'s range, and in v2 a list of models with at least one entry), so each gets a request
of its own here, and a server that lets one through is caught on the first try. Every bound, enum and
path is the spec's (`bounds.Bounds`): the requests here break whatever the spec says, one step past it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from contract_tests.applicability import applies_if
from contract_tests.bounds import ACTIVE_STATUS, bounds
from contract_tests.run import named, not_ours_id
from contract_tests.spend_key_api import SpendKeyApi

BOUNDS = bounds()
COLLECTION = BOUNDS.collection_path
JSON = {"Content-Type": "application/json"}
# A name one character over the spec's maxLength, the run's prefix included.
OVER_LONG_NAME = named("n" * (BOUNDS.name_max_length + 1 - len(named(""))))
A_CYCLE = BOUNDS.cycles[0]
# The lists of names whose spec asks for at least one entry (v2's `allowed_models`), with their minItems.
SHORT_LISTS = {
    field: list_bounds for field, list_bounds in BOUNDS.name_lists.items() if list_bounds.min_items
}


def outside(options: tuple[str, ...]) -> str:
    """A value outside an enum: every option of it joined, which none of them equals."""
    return "-".join(options) + "-not"


OUTSIDE_CYCLES = outside(BOUNDS.cycles)


def _json(body: object) -> dict[str, Any]:
    return {"content": json.dumps(body).encode(), "headers": JSON}


FORBIDDEN_CREATES: dict[str, dict[str, Any]] = {
    "name missing": _json({"status": ACTIVE_STATUS}),
    "name empty": _json({"name": ""}),
    "name one over maxLength": _json({"name": OVER_LONG_NAME}),
    "name not a string": _json({"name": BOUNDS.name_max_length}),
    **{
        f"{field} outside the enum": _json({"name": named("x"), field: outside(options)})
        for field, options in BOUNDS.setting_enums.items()
    },
    "rate_limit.rpm under its minimum": _json(
        {"name": named("x"), "rate_limit": {"rpm": BOUNDS.rpm_lowest - 1}}
    ),
    "rate_limit.burst under its minimum": _json(
        {"name": named("x"), "rate_limit": {"rpm": BOUNDS.rpm_lowest, "burst": BOUNDS.burst_lowest - 1}}
    ),
    "request_limit.count under its minimum": _json(
        {"name": named("x"), "request_limit": {"count": BOUNDS.count_lowest - 1, "cycle": A_CYCLE}}
    ),
    "cycle outside the enum": _json(
        {"name": named("x"), "spend_limit": {"amount": "5", "cycle": OUTSIDE_CYCLES}}
    ),
    "amount not a decimal string": _json(
        {"name": named("x"), "spend_limit": {"amount": "five", "cycle": A_CYCLE}}
    ),
    "amount as a number": _json({"name": named("x"), "spend_limit": {"amount": 5, "cycle": A_CYCLE}}),
    "expires_at not a date-time": _json({"name": named("x"), "expires_at": "next tuesday"}),
    "body not an object": _json(["name", "x"]),
    "malformed JSON": {"content": b'{"name": named("x")', "headers": JSON},
    "empty body": {"content": b"", "headers": JSON},
    "not JSON at all": {
        "content": b"name=" + named("x").encode(),
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    },
}


def _assert_error_envelope(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, f"answered {response.status_code}, expected a 4xx"
    assert response.headers.get("content-type", "").startswith("application/json")
    error = response.json().get("error")
    assert isinstance(error, dict), "a 4xx without the documented {error: {...}} envelope"
    assert isinstance(error.get("message"), str)
    assert isinstance(error.get("code"), str)
    assert error.get("status") == response.status_code


@pytest.mark.parametrize("request_parts", FORBIDDEN_CREATES.values(), ids=FORBIDDEN_CREATES.keys())
def test_create_rejects_what_the_spec_forbids_and_creates_nothing(
    spend_key_api: SpendKeyApi, request_parts: dict[str, Any]
) -> None:
    before = spend_key_api.count()
    response = spend_key_api.send("POST", COLLECTION, **request_parts)
    _assert_error_envelope(response)
    assert spend_key_api.count() == before, "a rejected create still created a spend key"


# One past each end of the spec's range, far past both, and no number at all.
OUTSIDE_LIMITS = {
    "maximum + 1": str(BOUNDS.limit_highest + 1),
    "ten times the maximum": str(BOUNDS.limit_highest * 10),
    "minimum - 1": str(BOUNDS.limit_lowest - 1),
    "minimum - 2": str(BOUNDS.limit_lowest - 2),
    "not a number": "ten",
}


@pytest.mark.parametrize("limit", OUTSIDE_LIMITS.values(), ids=OUTSIDE_LIMITS.keys())
def test_list_rejects_a_limit_outside_the_specs_range(spend_key_api: SpendKeyApi, limit: str) -> None:
    _assert_error_envelope(spend_key_api.send("GET", COLLECTION, params={"limit": limit}))


def test_list_accepts_a_limit_at_each_end_of_the_specs_range(spend_key_api: SpendKeyApi) -> None:
    for limit in (BOUNDS.limit_lowest, BOUNDS.limit_highest):
        response = spend_key_api.send("GET", COLLECTION, params={"limit": str(limit)})
        assert response.status_code == 200, f"limit={limit} answered {response.status_code}"
        assert len(response.json()["data"]) <= limit


def test_update_rejects_an_over_long_name_and_keeps_the_old_one(spend_key_api: SpendKeyApi) -> None:
    created = spend_key_api.send("POST", COLLECTION, **_json({"name": named("kept")}))
    assert created.status_code == 201
    spend_key_id = created.json()["spend_key_id"]
    update = BOUNDS.operation("update_spend_key")
    _assert_error_envelope(
        spend_key_api.send(
            update.method,
            BOUNDS.path_of(update.operation_id, spend_key_id),
            **_json({"name": OVER_LONG_NAME}),
        )
    )
    kept = spend_key_api.send("GET", BOUNDS.path_of("get_spend_key", spend_key_id))
    assert kept.json()["name"] == named("kept")


def _created(spend_key_api: SpendKeyApi, name: str) -> dict[str, Any]:
    created = spend_key_api.send("POST", COLLECTION, **_json({"name": named(name)}))
    assert created.status_code == 201
    body: dict[str, Any] = created.json()
    return body


def _updated(spend_key_api: SpendKeyApi, spend_key_id: str, body: dict[str, Any]) -> httpx.Response:
    update = BOUNDS.operation("update_spend_key")
    return spend_key_api.send(update.method, BOUNDS.path_of(update.operation_id, spend_key_id), **_json(body))


@pytest.mark.parametrize("field", BOUNDS.setting_enums)
def test_an_update_outside_a_settings_enum_is_rejected_and_keeps_the_old_value(
    spend_key_api: SpendKeyApi, field: str
) -> None:
    created = _created(spend_key_api, f"enum-{field}")
    _assert_error_envelope(
        _updated(spend_key_api, created["spend_key_id"], {field: outside(BOUNDS.setting_enums[field])})
    )
    kept = spend_key_api.send("GET", BOUNDS.path_of("get_spend_key", created["spend_key_id"]))
    assert kept.json()[field] == created[field], f"a rejected update changed {field}"


@applies_if(SHORT_LISTS, "no list of names in the spec's SpendKeyCreate asks for a minimum number of entries")
@pytest.mark.parametrize("field", list(SHORT_LISTS) or ["(none)"])
def test_a_list_shorter_than_its_min_items_is_rejected_on_create_and_update_and_changes_nothing(
    spend_key_api: SpendKeyApi, field: str
) -> None:
    too_few = ["contract-model"] * (SHORT_LISTS[field].min_items - 1)
    before = spend_key_api.count()
    _assert_error_envelope(
        spend_key_api.send("POST", COLLECTION, **_json({"name": named("x"), field: too_few}))
    )
    assert spend_key_api.count() == before, f"a create with {field}={too_few} still created a spend key"
    created = _created(spend_key_api, f"short-{field}")
    _assert_error_envelope(_updated(spend_key_api, created["spend_key_id"], {field: too_few}))
    kept = spend_key_api.send("GET", BOUNDS.path_of("get_spend_key", created["spend_key_id"]))
    assert kept.json().get(field) == created.get(field), f"a rejected update changed {field}"


@pytest.mark.parametrize(
    "operation_id", ["get_spend_key", "update_spend_key", "rotate_spend_key", "revoke_spend_key"]
)
def test_an_unknown_id_is_a_404_with_the_envelope(spend_key_api: SpendKeyApi, operation_id: str) -> None:
    operation = BOUNDS.operation(operation_id)
    parts = _json({"name": named("x")}) if operation.request_schema is not None else {}
    response = spend_key_api.send(operation.method, BOUNDS.path_of(operation_id, not_ours_id()), **parts)
    assert response.status_code == 404
    _assert_error_envelope(response)
