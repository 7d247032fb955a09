"""Every seeded fault is a real deviation that a client knowing only the spec and Lava's docs can see.

For each fault there is one contract check (`CHECKS`): a short request sequence that asserts one rule
of the spec or the docs. The conforming server passes every check; each faulty server fails its own.
Further tests pin down that a fault does what its description says (and no more than it needs to),
and the registry and the command line around them.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from contract_tests import reference_server
from contract_tests.reference_server import FAULTS, Fault, create_app, dev_token
from contract_tests.reference_server.__main__ import main
from contract_tests.reference_server.faults import FAULT_CLASSES, faults_for
from contract_tests.reference_server.runner import server_process
from lava_spec import API_VERSIONS, Spec, load_spec, spec_path
from tests.reference_server.api import (
    AUTH,
    COLLECTION,
    JSON,
    RELATIVE_COLLECTION,
    SPEC,
    TOKEN_A,
    TOKEN_B,
    Api,
    TestClient,
    bearer,
)

ROOT = Path(__file__).resolve().parents[2]
# The names other code (the mutation report, `make serve FAULT=...`) refers to.
EXPECTED_FAULTS = {
    "shape": {
        "missing_key_preview",
        "current_requests_as_string",
        "null_name",
        "status_outside_enum",
        "created_at_malformed",
        "current_spend_as_number",
        "negative_current_requests",
    },
    "status": {
        "create_answers_200",
        "server_error_on_paused",
        "text_plain_content_type",
        "error_without_envelope",
        "revoke_answers_204",
    },
    "validation": {
        "accepts_long_name",
        "accepts_empty_name",
        "accepts_limit_over_100",
        "accepts_rpm_zero",
        "accepts_unknown_status",
        "accepts_malformed_json",
    },
    "auth": {"accepts_missing_token", "accepts_wrong_token", "cross_wallet_visibility"},
    "semantics": {
        "truncates_name",
        "strips_name",
        "update_not_kept",
        "rotate_returns_old_key",
        "rotate_drops_settings",
        "rotate_resets_usage",
        "revoke_not_done",
        "preview_mismatch",
        "key_shown_again",
        "pagination_repeats",
        "pagination_skips",
        "pagination_ignores_limit",
        "pagination_cycles",
        "pagination_endless",
        "idempotency_ignored",
        "created_at_changes",
        "old_key_works_after_rotate",
        "revoked_key_still_proxies",
        "totals_decrease",
        "total_below_current",
        "request_shape_not_kept",
        "default_not_applied",
    },
}
# The faults about what only v2's spec declares (its totals, `request_shape` and its default).
V2_ONLY = {"totals_decrease", "total_below_current", "request_shape_not_kept", "default_not_applied"}
# Each usage total, and the current-cycle figure it is never below (where the spec shows both).
TOTALS = {"total_spend": "current_spend", "total_requests": "current_requests"}
FIGURES = (*TOTALS, *TOTALS.values())
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
# A walk through the pages stops after this many, so that a server that never ends a walk fails.
MAX_PAGES = 20


@pytest.fixture
def server() -> Callable[[str | None], Api]:
    """Return a factory: the unchecked client of wallet A on a fresh server with the fault (or none)."""
    return lambda fault: _server(SPEC, fault)


def _server(spec: Spec, fault: str | None) -> Api:
    """The unchecked client of wallet A on a fresh server of `spec` with the fault (or none)."""
    wallets = {dev_token(spec, TOKEN_A): "wallet_a", dev_token(spec, TOKEN_B): "wallet_b"}
    app = create_app(wallets, spec_path=spec.path, fault=fault)
    return Api(TestClient(app), bearer(dev_token(spec, TOKEN_A)), check=False, spec=spec)


def _as_b(api: Api) -> Api:
    return Api(api.client, bearer(dev_token(api.spec, TOKEN_B)), check=False, spec=api.spec)


def _name_max(api: Api) -> int:
    """The longest name the spec allows."""
    maximum = api.spec.constraints("SpendKeyName").max_length
    assert maximum is not None
    return maximum


def _create_schema(api: Api) -> Any:
    return api.spec.operation("create_spend_key").request_schema


def _created(api: Api, body: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    response = api.create(body, **kwargs)
    assert response.status_code in {200, 201}, response.text
    return response.json()  # type: ignore[no-any-return]


def _got(api: Api, spend_key_id: str) -> dict[str, Any]:
    response = api.get(spend_key_id)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _walk(api: Api, limit: int) -> list[str]:
    """Follow `next_cursor` from the first page to the last; return every id seen, in order."""
    seen: list[str] = []
    params = {"limit": str(limit)}
    for _ in range(MAX_PAGES):
        page = api.list_page(**params).json()
        seen += [spend_key["spend_key_id"] for spend_key in page["data"]]
        if not page["has_more"]:
            return seen
        params = {"limit": str(limit), "cursor": page["next_cursor"]}
    raise AssertionError(f"the walk did not end within {MAX_PAGES} pages")


# --- one contract check per fault: passes on the conforming server, fails on the faulty one ---------
# Each takes the unchecked client of wallet A on a fresh server and asserts one documented rule.


def key_preview_is_in_every_spend_key(api: Api) -> None:
    created = _created(api)
    assert "key_preview" in created
    assert "key_preview" in _got(api, created["spend_key_id"])


def current_requests_is_an_integer(api: Api) -> None:
    created = _created(api)
    for spend_key in (created, _got(api, created["spend_key_id"])):
        assert type(spend_key["current_requests"]) is int


def get_shows_the_name(api: Api) -> None:
    assert _got(api, _created(api, {"name": "named"})["spend_key_id"])["name"] == "named"


def status_is_active_or_paused(api: Api) -> None:
    created = _created(api)
    assert created["status"] == "active"
    assert _got(api, created["spend_key_id"])["status"] == "active"


def created_at_is_rfc3339(api: Api) -> None:
    created = _created(api)
    assert RFC3339.fullmatch(created["created_at"]), created["created_at"]


def current_spend_is_a_decimal_string(api: Api) -> None:
    created = _created(api)
    assert created["current_spend"] == "0"
    assert _got(api, created["spend_key_id"])["current_spend"] == "0"


def list_items_have_no_negative_counts(api: Api) -> None:
    _created(api)
    assert all(spend_key["current_requests"] >= 0 for spend_key in api.list_page().json()["data"])


def create_answers_201(api: Api) -> None:
    assert api.create().status_code == 201


def a_paused_key_can_be_created(api: Api) -> None:
    response = api.create({"name": "k", "status": "paused"})
    assert response.status_code == 201
    assert response.json()["status"] == "paused"


def success_is_application_json(api: Api) -> None:
    assert api.create().headers["content-type"] == "application/json"


def a_404_carries_the_error_envelope(api: Api) -> None:
    response = api.get("sk_000000000001abcdef")
    assert response.status_code == 404
    envelope = response.json()
    assert set(envelope) == {"error"}
    assert envelope["error"]["code"] == "not_found"


def revoke_answers_200_success(api: Api) -> None:
    response = api.revoke(_created(api)["spend_key_id"])
    assert response.status_code == 200
    assert response.json() == {"success": True}


def a_name_over_the_maximum_is_rejected(api: Api) -> None:
    assert api.create({"name": "x" * (_name_max(api) + 1)}).status_code == 422
    assert api.ids() == []


def an_empty_name_is_rejected(api: Api) -> None:
    assert api.create({"name": ""}).status_code == 422
    assert api.ids() == []


def a_limit_over_the_maximum_is_rejected(api: Api) -> None:
    highest = api.spec.operation("list_spend_keys").parameter("limit").constraints.highest
    assert highest is not None
    assert api.list_page(limit=str(highest + 1)).status_code == 400


def limits_below_1_are_rejected(api: Api) -> None:
    for body in (
        {"name": "k", "rate_limit": {"rpm": 0}},
        {"name": "k", "rate_limit": {"rpm": 5, "burst": 0}},
        {"name": "k", "request_limit": {"count": 0, "cycle": "daily"}},
    ):
        assert api.create(body).status_code == 422, body
    assert api.ids() == []


def a_status_outside_the_enum_is_rejected(api: Api) -> None:
    assert api.create({"name": "k", "status": "enabled"}).status_code == 422
    assert api.ids() == []


def malformed_json_is_rejected(api: Api) -> None:
    response = api.request("POST", api.paths.collection, content=b'{"name": "k"', headers=JSON)
    assert response.status_code == 400
    assert api.ids() == []


def no_authorization_is_401(api: Api) -> None:
    assert api.client.get(api.paths.collection).status_code == 401
    assert api.client.post(api.paths.collection, json={"name": "k"}).status_code == 401


def an_unknown_token_is_401(api: Api) -> None:
    # A token of the spec's kind (a merchant secret key where the spec states prefixes), unknown here.
    unknown = bearer(dev_token(api.spec, "not_a_known_token"))
    assert api.client.get(api.paths.collection, headers=unknown).status_code == 401


def another_wallets_key_is_invisible(api: Api) -> None:
    spend_key_id = _created(api)["spend_key_id"]
    other = _as_b(api)
    assert other.get(spend_key_id).status_code == 404
    assert other.ids() == []


def a_name_of_the_maximum_length_is_kept(api: Api) -> None:
    name = "n" * _name_max(api)
    assert _got(api, _created(api, {"name": name})["spend_key_id"])["name"] == name


def a_name_is_kept_exactly_as_sent(api: Api) -> None:
    name = "  padded name\t"
    created = _created(api, {"name": name})
    assert created["name"] == name
    assert _got(api, created["spend_key_id"])["name"] == name


def an_update_is_kept(api: Api) -> None:
    spend_key_id = _created(api, {"name": "before"})["spend_key_id"]
    assert api.update(spend_key_id, {"name": "after"}).json()["name"] == "after"
    assert _got(api, spend_key_id)["name"] == "after"


def rotate_issues_a_new_key(api: Api) -> None:
    created = _created(api)
    rotated = api.rotate(created["spend_key_id"]).json()
    assert rotated["key"] != created["key"]


def rotate_keeps_the_settings(api: Api) -> None:
    created = _created(
        api,
        {
            "name": "k",
            "allowed_models": ["gpt-4o"],
            "spend_limit": {"amount": "10", "cycle": "monthly"},
            "request_limit": {"count": 5, "cycle": "daily"},
            "rate_limit": {"rpm": 60, "burst": 10},
        },
    )
    api.rotate(created["spend_key_id"])
    after = _got(api, created["spend_key_id"])
    for name in ("allowed_models", "spend_limit", "request_limit", "rate_limit"):
        assert after.get(name) == created[name], name


def rotate_keeps_the_usage(api: Api) -> None:
    created = _created(api)
    assert api.proxy(created["key"]).status_code == 200
    rotated = api.rotate(created["spend_key_id"]).json()
    assert (rotated["current_spend"], rotated["current_requests"]) == ("0.0125", 1)
    assert rotated["last_used_at"] is not None


def a_revoked_key_is_gone(api: Api) -> None:
    spend_key_id = _created(api)["spend_key_id"]
    api.revoke(spend_key_id)
    assert api.get(spend_key_id).status_code == 404


def key_preview_previews_the_key(api: Api) -> None:
    created = _created(api)
    assert created["key_preview"] == created["key"][:16] + "****"
    rotated = api.rotate(created["spend_key_id"]).json()
    assert rotated["key_preview"] == rotated["key"][:16] + "****"


def get_and_list_never_show_the_raw_key(api: Api) -> None:
    spend_key_id = _created(api)["spend_key_id"]
    assert "key" not in _got(api, spend_key_id)
    assert all("key" not in spend_key for spend_key in api.list_page().json()["data"])


def pages_visit_every_key_once(api: Api) -> None:
    ids = [_created(api)["spend_key_id"] for _ in range(5)]
    assert _walk(api, limit=2) == ids


def a_page_holds_at_most_limit_keys(api: Api) -> None:
    for _ in range(3):
        _created(api)
    assert len(api.list_page(limit="1").json()["data"]) == 1


def a_retry_with_the_same_idempotency_key_creates_nothing_new(api: Api) -> None:
    first = _created(api, headers={"Idempotency-Key": "retry-1"})
    again = _created(api, headers={"Idempotency-Key": "retry-1"})
    assert again["spend_key_id"] == first["spend_key_id"]
    assert api.ids() == [first["spend_key_id"]]


def created_at_never_changes(api: Api) -> None:
    created = _created(api)
    moment = datetime.fromisoformat(created["created_at"])
    assert datetime.fromisoformat(_got(api, created["spend_key_id"])["created_at"]) == moment
    listed = api.list_page().json()["data"][0]["created_at"]
    assert datetime.fromisoformat(listed) == moment


def the_old_key_stops_at_once_after_rotate(api: Api) -> None:
    created = _created(api)
    api.rotate(created["spend_key_id"])
    assert api.proxy(created["key"]).status_code == 401


def a_revoked_key_stops_at_once(api: Api) -> None:
    created = _created(api)
    api.revoke(created["spend_key_id"])
    assert api.proxy(created["key"]).status_code == 401


def _figures(spend_key: dict[str, Any]) -> dict[str, Decimal]:
    return {name: Decimal(str(spend_key[name])) for name in FIGURES}


def the_totals_never_decrease(api: Api) -> None:
    created = _created(api)
    assert api.proxy(created["key"]).status_code == 200
    assert api.proxy(created["key"]).status_code == 200
    before = _figures(_got(api, created["spend_key_id"]))
    rotated = api.rotate(created["spend_key_id"]).json()
    assert api.proxy(rotated["key"]).status_code == 200
    for after in (_figures(rotated), _figures(_got(api, created["spend_key_id"]))):
        for total in TOTALS:
            assert after[total] >= before[total], (total, before, after)


def a_total_is_never_below_its_current_figure(api: Api) -> None:
    created = _created(api)
    assert api.proxy(created["key"]).status_code == 200
    for spend_key in (_got(api, created["spend_key_id"]), api.list_page().json()["data"][0]):
        figures = _figures(spend_key)
        for total, current in TOTALS.items():
            assert figures[total] >= figures[current], figures


def _request_shapes(api: Api) -> tuple[str, str]:
    """The spec's default request_shape and another value its enum allows."""
    default = str(api.spec.constraints(_create_schema(api), "request_shape").default)
    other = next(str(shape) for shape in api.spec.enum("RequestShape") if shape != default)
    return default, other


def the_request_shape_sent_is_kept(api: Api) -> None:
    default, other = _request_shapes(api)
    created = _created(api, {"name": "k", "request_shape": other})
    assert created["request_shape"] == other
    assert _got(api, created["spend_key_id"])["request_shape"] == other
    assert api.update(created["spend_key_id"], {"request_shape": default}).json()["request_shape"] == default
    assert _got(api, created["spend_key_id"])["request_shape"] == default


def a_request_shape_left_out_is_the_default(api: Api) -> None:
    default, _ = _request_shapes(api)
    created = _created(api, {"name": "k"})
    assert created["request_shape"] == default
    assert _got(api, created["spend_key_id"])["request_shape"] == default


CHECKS: dict[str, Callable[[Api], None]] = {
    "missing_key_preview": key_preview_is_in_every_spend_key,
    "current_requests_as_string": current_requests_is_an_integer,
    "null_name": get_shows_the_name,
    "status_outside_enum": status_is_active_or_paused,
    "created_at_malformed": created_at_is_rfc3339,
    "current_spend_as_number": current_spend_is_a_decimal_string,
    "negative_current_requests": list_items_have_no_negative_counts,
    "create_answers_200": create_answers_201,
    "server_error_on_paused": a_paused_key_can_be_created,
    "text_plain_content_type": success_is_application_json,
    "error_without_envelope": a_404_carries_the_error_envelope,
    "revoke_answers_204": revoke_answers_200_success,
    "accepts_long_name": a_name_over_the_maximum_is_rejected,
    "accepts_empty_name": an_empty_name_is_rejected,
    "accepts_limit_over_100": a_limit_over_the_maximum_is_rejected,
    "accepts_rpm_zero": limits_below_1_are_rejected,
    "accepts_unknown_status": a_status_outside_the_enum_is_rejected,
    "accepts_malformed_json": malformed_json_is_rejected,
    "accepts_missing_token": no_authorization_is_401,
    "accepts_wrong_token": an_unknown_token_is_401,
    "cross_wallet_visibility": another_wallets_key_is_invisible,
    "truncates_name": a_name_of_the_maximum_length_is_kept,
    "strips_name": a_name_is_kept_exactly_as_sent,
    "update_not_kept": an_update_is_kept,
    "rotate_returns_old_key": rotate_issues_a_new_key,
    "rotate_drops_settings": rotate_keeps_the_settings,
    "rotate_resets_usage": rotate_keeps_the_usage,
    "revoke_not_done": a_revoked_key_is_gone,
    "preview_mismatch": key_preview_previews_the_key,
    "key_shown_again": get_and_list_never_show_the_raw_key,
    "pagination_repeats": pages_visit_every_key_once,
    "pagination_skips": pages_visit_every_key_once,
    "pagination_ignores_limit": a_page_holds_at_most_limit_keys,
    "pagination_cycles": pages_visit_every_key_once,
    "pagination_endless": pages_visit_every_key_once,
    "idempotency_ignored": a_retry_with_the_same_idempotency_key_creates_nothing_new,
    "created_at_changes": created_at_never_changes,
    "old_key_works_after_rotate": the_old_key_stops_at_once_after_rotate,
    "revoked_key_still_proxies": a_revoked_key_stops_at_once,
    "totals_decrease": the_totals_never_decrease,
    "total_below_current": a_total_is_never_below_its_current_figure,
    "request_shape_not_kept": the_request_shape_sent_is_kept,
    "default_not_applied": a_request_shape_left_out_is_the_default,
}


def test_every_fault_has_a_contract_check() -> None:
    assert set(CHECKS) == set(FAULTS)


@pytest.mark.parametrize(
    ("version", "name"),
    [(version, name) for version in API_VERSIONS for name in faults_for(load_spec(spec_path(version)))],
)
def test_the_fault_breaks_its_check_and_the_conforming_server_passes_it(version: str, name: str) -> None:
    spec = load_spec(spec_path(version))
    check = CHECKS[name]
    check(_server(spec, None))
    with pytest.raises(AssertionError):
        check(_server(spec, name))


# --- each fault does what its description says --------------------------------------------------------


def test_missing_key_preview_leaves_it_out_of_list_items_too(server: Callable[[str | None], Api]) -> None:
    api = server("missing_key_preview")
    _created(api)
    assert "key_preview" not in api.list_page().json()["data"][0]


def test_null_name_is_only_in_get(server: Callable[[str | None], Api]) -> None:
    api = server("null_name")
    created = _created(api, {"name": "k"})
    assert created["name"] == "k"
    assert api.list_page().json()["data"][0]["name"] == "k"
    assert _got(api, created["spend_key_id"])["name"] is None


def test_created_at_malformed_writes_day_month_year(server: Callable[[str | None], Api]) -> None:
    created_at = _created(server("created_at_malformed"))["created_at"]
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", created_at), created_at


def test_current_spend_as_number_shows_usage_as_a_number(server: Callable[[str | None], Api]) -> None:
    api = server("current_spend_as_number")
    created = _created(api)
    api.proxy(created["key"])
    assert _got(api, created["spend_key_id"])["current_spend"] == 0.0125


def test_server_error_on_paused_answers_the_envelope_and_creates_nothing(
    server: Callable[[str | None], Api],
) -> None:
    api = server("server_error_on_paused")
    response = api.create({"name": "k", "status": "paused"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert api.ids() == []
    assert api.create({"name": "k", "status": "active"}).status_code == 201
    assert api.create({"name": "k", "status": "bogus"}).status_code == 422


def test_text_plain_content_type_sends_the_same_json(server: Callable[[str | None], Api]) -> None:
    api = server("text_plain_content_type")
    response = api.create({"name": "k"})
    assert response.headers["content-type"].startswith("text/plain")
    assert response.json()["name"] == "k"
    assert api.get("unknown").headers["content-type"] == "application/json"


def test_error_without_envelope_says_detail_on_404_only(server: Callable[[str | None], Api]) -> None:
    api = server("error_without_envelope")
    response = api.get("unknown")
    assert set(response.json()) == {"detail"}
    assert api.create({"name": ""}).json()["error"]["code"] == "validation_error"


def test_revoke_answers_204_with_no_body_and_still_revokes(server: Callable[[str | None], Api]) -> None:
    api = server("revoke_answers_204")
    spend_key_id = _created(api)["spend_key_id"]
    response = api.revoke(spend_key_id)
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers
    assert api.get(spend_key_id).status_code == 404


def test_accepts_limit_over_100_honours_the_limit(server: Callable[[str | None], Api]) -> None:
    api = server("accepts_limit_over_100")
    ids = [_created(api)["spend_key_id"] for _ in range(102)]
    page = api.list_page(limit="101").json()
    assert [spend_key["spend_key_id"] for spend_key in page["data"]] == ids[:101]
    assert (page["has_more"], page["next_cursor"]) == (True, ids[100])
    assert api.list_page(limit="1000").json()["has_more"] is False
    assert api.list_page(limit="1001").status_code == 400
    assert len(api.list_page(limit="2").json()["data"]) == 2


def test_accepts_rpm_zero_stores_what_it_accepted(server: Callable[[str | None], Api]) -> None:
    api = server("accepts_rpm_zero")
    created = _created(api, {"name": "k", "rate_limit": {"rpm": 0, "burst": 0}})
    assert created["rate_limit"] == {"rpm": 0, "burst": 0}
    assert api.create({"name": "k", "rate_limit": {"rpm": "0"}}).status_code == 422


def test_accepts_unknown_status_stores_it(server: Callable[[str | None], Api]) -> None:
    api = server("accepts_unknown_status")
    spend_key_id = _created(api, {"name": "k", "status": "enabled"})["spend_key_id"]
    assert _got(api, spend_key_id)["status"] == "enabled"


@pytest.mark.parametrize("raw", [b"{", b"", b"not json"])
def test_accepts_malformed_json_creates_untitled(server: Callable[[str | None], Api], raw: bytes) -> None:
    api = server("accepts_malformed_json")
    response = api.request("POST", COLLECTION, content=raw, headers=JSON)
    assert response.status_code == 201
    assert response.json()["name"] == "untitled"
    assert api.create({"name": 5}).status_code == 422


@pytest.mark.parametrize("fault", ["accepts_missing_token", "accepts_wrong_token"])
def test_an_auth_fault_lets_the_stranger_act_for_the_first_wallet(
    server: Callable[[str | None], Api], fault: str
) -> None:
    api = server(fault)
    headers = {} if fault == "accepts_missing_token" else {"Authorization": "Bearer stranger"}
    response = api.client.post(COLLECTION, json={"name": "k"}, headers=headers)
    assert response.status_code == 201
    assert response.json()["wallet_id"] == "wallet_a"
    assert api.ids() == [response.json()["spend_key_id"]]
    assert api.client.get(COLLECTION, headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401


def test_accepts_missing_token_still_refuses_an_unknown_token(server: Callable[[str | None], Api]) -> None:
    api = server("accepts_missing_token")
    assert api.client.get(COLLECTION, headers={"Authorization": "Bearer stranger"}).status_code == 401


def test_cross_wallet_visibility_lets_another_wallet_change_and_revoke_a_key(
    server: Callable[[str | None], Api],
) -> None:
    api = server("cross_wallet_visibility")
    mine = _created(api)["spend_key_id"]
    other = _as_b(api)
    theirs = _created(other)["spend_key_id"]
    assert other.ids() == [mine, theirs]
    assert other.update(mine, {"name": "changed by b"}).status_code == 200
    assert other.rotate(mine).status_code == 200
    assert _got(api, mine)["name"] == "changed by b"
    assert other.revoke(mine).status_code == 200
    assert api.get(mine).status_code == 404
    assert _walk(other, limit=1) == [theirs]


def test_truncates_name_keeps_64_characters_in_the_answer_and_the_store(
    server: Callable[[str | None], Api],
) -> None:
    api = server("truncates_name")
    created = _created(api, {"name": "n" * 100})
    assert created["name"] == "n" * 64
    api.update(created["spend_key_id"], {"name": "u" * 70})
    assert _got(api, created["spend_key_id"])["name"] == "u" * 64
    assert api.create({"name": "n" * 256}).status_code == 422


def test_update_not_kept_answers_the_change(server: Callable[[str | None], Api]) -> None:
    api = server("update_not_kept")
    spend_key_id = _created(api, {"name": "before"})["spend_key_id"]
    assert api.update(spend_key_id, {"name": "after", "status": "paused"}).json()["status"] == "paused"
    assert _got(api, spend_key_id)["status"] == "active"
    assert api.update("unknown", {"name": ""}).status_code == 422


def test_rotate_returns_old_key_leaves_the_key_working(server: Callable[[str | None], Api]) -> None:
    api = server("rotate_returns_old_key")
    created = _created(api)
    rotated = api.rotate(created["spend_key_id"]).json()
    assert (rotated["key"], rotated["key_preview"]) == (created["key"], created["key_preview"])
    assert api.proxy(created["key"]).status_code == 200


def test_revoke_not_done_leaves_the_key_usable(server: Callable[[str | None], Api]) -> None:
    api = server("revoke_not_done")
    created = _created(api)
    assert api.revoke(created["spend_key_id"]).json() == {"success": True}
    assert api.ids() == [created["spend_key_id"]]
    assert api.proxy(created["key"]).status_code == 200


def test_key_shown_again_shows_the_current_raw_key(server: Callable[[str | None], Api]) -> None:
    api = server("key_shown_again")
    created = _created(api)
    rotated = api.rotate(created["spend_key_id"]).json()
    assert _got(api, created["spend_key_id"])["key"] == rotated["key"]
    assert api.list_page().json()["data"][0]["key"] == rotated["key"]


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_pagination_repeats_still_reaches_the_end(server: Callable[[str | None], Api], limit: int) -> None:
    api = server("pagination_repeats")
    ids = [_created(api)["spend_key_id"] for _ in range(5)]
    seen = _walk(api, limit=limit)
    assert list(dict.fromkeys(seen)) == ids
    assert len(seen) > len(ids)


def test_pagination_skips_loses_one_key_per_page(server: Callable[[str | None], Api]) -> None:
    api = server("pagination_skips")
    ids = [_created(api)["spend_key_id"] for _ in range(5)]
    assert _walk(api, limit=1) == [ids[0], ids[2], ids[4]]


def test_pagination_ignores_limit_keeps_has_more_and_the_cursor_consistent(
    server: Callable[[str | None], Api],
) -> None:
    api = server("pagination_ignores_limit")
    ids = [_created(api)["spend_key_id"] for _ in range(101)]
    page = api.list_page(limit="1").json()
    assert len(page["data"]) == 100
    assert (page["has_more"], page["next_cursor"]) == (True, ids[99])
    last = api.list_page(limit="1", cursor=ids[99]).json()
    assert ([spend_key["spend_key_id"] for spend_key in last["data"]], last["has_more"]) == (
        [ids[100]],
        False,
    )
    assert last["next_cursor"] is None
    assert api.list_page(limit="0").status_code == 400


def test_idempotency_ignored_also_ignores_an_overlong_key(server: Callable[[str | None], Api]) -> None:
    api = server("idempotency_ignored")
    assert api.create(headers={"Idempotency-Key": "k" * 256}).status_code == 201


def test_created_at_changes_on_every_read(server: Callable[[str | None], Api]) -> None:
    api = server("created_at_changes")
    spend_key_id = _created(api)["spend_key_id"]
    first, second = (_got(api, spend_key_id)["created_at"] for _ in range(2))
    assert first != second
    assert RFC3339.fullmatch(first)


def test_old_key_works_after_rotate_but_not_after_revoke(server: Callable[[str | None], Api]) -> None:
    api = server("old_key_works_after_rotate")
    created = _created(api)
    rotated = api.rotate(created["spend_key_id"]).json()
    assert api.proxy(rotated["key"]).status_code == 200
    assert api.proxy(created["key"]).json()["spend_key_id"] == created["spend_key_id"]
    api.revoke(created["spend_key_id"])
    assert api.proxy(created["key"]).status_code == 401


def test_revoked_key_still_proxies_records_usage_nobody_can_see(server: Callable[[str | None], Api]) -> None:
    api = server("revoked_key_still_proxies")
    created = _created(api)
    api.revoke(created["spend_key_id"])
    assert api.proxy(created["key"]).json()["spend_key_id"] == created["spend_key_id"]
    assert api.get(created["spend_key_id"]).status_code == 404


def _v2_server(fault: str | None) -> Api:
    return _server(load_spec(spec_path("v2")), fault)


def test_totals_decrease_zeroes_the_totals_at_rotate_and_keeps_the_current_figures() -> None:
    api = _v2_server("totals_decrease")
    created = _created(api)
    api.proxy(created["key"])
    api.proxy(created["key"])
    rotated = api.rotate(created["spend_key_id"]).json()
    assert _figures(rotated) == {
        "total_spend": 0,
        "total_requests": 0,
        "current_spend": Decimal("0.025"),
        "current_requests": 2,
    }
    api.proxy(rotated["key"])
    assert _figures(_got(api, created["spend_key_id"]))["total_requests"] == 1


def test_total_below_current_shows_only_completed_cycles_in_every_answer() -> None:
    api = _v2_server("total_below_current")
    created = _created(api)
    api.proxy(created["key"])
    spend_key_id = created["spend_key_id"]
    answers = [
        _got(api, spend_key_id),
        api.list_page().json()["data"][0],
        api.update(spend_key_id, {"name": "renamed"}).json(),
        api.rotate(spend_key_id).json(),
    ]
    for answer in answers:
        assert (answer["total_spend"], answer["total_requests"]) == ("0", 0)
        assert (answer["current_spend"], answer["current_requests"]) == ("0.0125", 1)
    # Still the spec's shapes: a decimal string and an integer, never below zero.
    for answer in answers[:3]:
        assert _v2_problems(answer) == []


def _v2_problems(spend_key: dict[str, Any]) -> list[str]:
    return load_spec(spec_path("v2")).response_problems("get_spend_key", 200, spend_key)


def test_request_shape_not_kept_answers_and_stores_the_default_whatever_was_sent() -> None:
    api = _v2_server("request_shape_not_kept")
    default, other = _request_shapes(api)
    created = _created(api, {"name": "k", "request_shape": other})
    assert created["request_shape"] == default
    updated = api.update(created["spend_key_id"], {"request_shape": other, "name": "renamed"}).json()
    assert (updated["request_shape"], updated["name"]) == (default, "renamed")
    assert _got(api, created["spend_key_id"])["request_shape"] == default


def test_default_not_applied_gives_a_key_left_without_request_shape_another_allowed_value() -> None:
    api = _v2_server("default_not_applied")
    default, other = _request_shapes(api)
    assert _created(api, {"name": "k"})["request_shape"] == other
    # A value sent is kept as sent: only the default is wrong.
    assert _created(api, {"name": "k", "request_shape": default})["request_shape"] == default


# --- where faults apply -------------------------------------------------------------------------------


def test_every_fault_applies_to_v2_and_all_but_v2s_own_to_v0() -> None:
    assert set(faults_for(load_spec(spec_path("v2")))) == set(FAULTS)
    assert set(faults_for(load_spec(spec_path("v0")))) == set(FAULTS) - V2_ONLY


@pytest.mark.parametrize("name", sorted(V2_ONLY))
def test_a_fault_that_does_not_apply_to_the_spec_is_refused_with_the_reason(name: str) -> None:
    with pytest.raises(ValueError, match=f"the fault {name} applies only where") as raised:
        create_app(spec_path=spec_path("v0"), fault=name)
    assert FAULTS[name].applies.where in str(raised.value)


def test_a_schema_fault_applies_only_where_the_spec_has_the_constraint_it_removes(tmp_path: Path) -> None:
    document = yaml.safe_load(spec_path("v2").read_text(encoding="utf-8"))
    del document["components"]["schemas"]["SpendKeyName"]["maxLength"]
    copy = tmp_path / "no-max-length.yaml"
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    spec = load_spec(copy)
    assert not FAULTS["accepts_long_name"].applies_to(spec)
    assert FAULTS["accepts_empty_name"].applies_to(spec)
    with pytest.raises(ValueError, match=re.escape("removes a constraint that no-max-length.yaml lacks")):
        create_app(spec_path=copy, fault="accepts_long_name")


def test_no_description_restates_a_bound_of_the_spec() -> None:
    for fault in FAULTS.values():
        assert not re.search(r"\b(255|100)\b", fault.description), fault.name


# --- the registry --------------------------------------------------------------------------------------


def test_the_registry_holds_exactly_the_named_faults_in_their_classes() -> None:
    assert {name: fault.fault_class for name, fault in FAULTS.items()} == {
        name: fault_class for fault_class, names in EXPECTED_FAULTS.items() for name in names
    }


def test_there_are_at_least_30_faults_and_3_of_every_class() -> None:
    assert len(FAULTS) >= 30
    counts = Counter(fault.fault_class for fault in FAULTS.values())
    assert set(counts) == set(FAULT_CLASSES)
    assert min(counts.values()) >= 3


def test_every_fault_is_filed_under_its_own_unique_name() -> None:
    assert all(name == fault.name for name, fault in FAULTS.items())
    assert len({fault.name for fault in FAULTS.values()}) == len(FAULTS)
    assert all(re.fullmatch(r"[a-z0-9_]+", name) for name in FAULTS)


def test_every_description_is_one_short_line() -> None:
    for fault in FAULTS.values():
        assert fault.description.strip() == fault.description, fault.name
        assert "\n" not in fault.description, fault.name
        assert 20 <= len(fault.description) <= 110, fault.name


def test_the_package_exports_the_registry() -> None:
    assert reference_server.FAULTS is FAULTS
    assert reference_server.Fault is Fault
    assert all(isinstance(fault, Fault) for fault in FAULTS.values())


def test_the_conforming_modules_never_name_a_fault() -> None:
    # Faults are composed in by create_app, never branched on inside the conforming server.
    package = Path(inspect.getfile(reference_server)).parent
    for module in package.glob("*.py"):
        source = module.read_text(encoding="utf-8")
        for name in FAULTS:
            assert name not in source, f"{module.name} names {name}"


def test_an_unknown_fault_is_a_value_error_that_lists_the_faults() -> None:
    with pytest.raises(ValueError, match="unknown fault 'nope'") as raised:
        create_app(fault="nope")
    assert all(name in str(raised.value) for name in FAULTS)


# --- the command line ----------------------------------------------------------------------------------


def test_the_command_line_exits_2_on_an_unknown_fault_and_lists_the_faults() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "contract_tests.reference_server", "--fault", "nope", "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown fault 'nope'" in result.stderr
    assert all(name in result.stderr for name in FAULTS)


def test_the_fault_variable_is_read_when_the_flag_is_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--port", "0"], environ={"LAVA_REFERENCE_FAULT": "nope"})
    assert exited.value.code == 2
    assert "unknown fault 'nope'" in capsys.readouterr().err


def test_an_empty_fault_name_means_the_conforming_server(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str | None] = []

    def create_app_spy(_wallets: dict[str, str], *, fault: str | None = None, **_options: object) -> None:
        built.append(fault)
        raise ValueError("stop here")

    monkeypatch.setattr("contract_tests.reference_server.__main__.create_app", create_app_spy)
    for argv, environ in ((["--fault", ""], {}), ([], {"LAVA_REFERENCE_FAULT": ""}), ([], {})):
        with pytest.raises(SystemExit):
            main(argv, environ=environ)
    with pytest.raises(SystemExit):
        main([], environ={"LAVA_REFERENCE_FAULT": "null_name"})
    with pytest.raises(SystemExit):
        main(["--fault", "strips_name"], environ={"LAVA_REFERENCE_FAULT": "null_name"})
    assert built == [None, None, None, "null_name", "strips_name"]


@pytest.mark.parametrize("version", API_VERSIONS)
def test_list_faults_prints_one_line_per_fault_of_the_version_with_name_class_and_description(
    version: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--list-faults"], environ={"LAVA_API_VERSION": version})
    lines = capsys.readouterr().out.splitlines()
    faults = faults_for(load_spec(spec_path(version)))
    assert len(lines) == len(faults)
    for line, fault in zip(lines, faults.values(), strict=True):
        assert line.split(maxsplit=2) == [fault.name, fault.fault_class, fault.description]


def test_the_command_line_refuses_a_fault_of_another_version_with_status_2_and_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--api-version", "v0", "--fault", "totals_decrease", "--port", "0"], environ={})
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "totals_decrease applies only where the spec's SpendKey shows total_spend" in err
    assert "Traceback" not in err


def test_the_command_line_serves_the_fault_and_says_so() -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LAVA_")}
    with server_process("--fault", "create_answers_200", environ=environment) as served:
        assert "create_answers_200" in served.first_line
        response = httpx.post(f"{served.base_url}{RELATIVE_COLLECTION}", json={"name": "k"}, headers=AUTH)
        assert response.status_code == 200
