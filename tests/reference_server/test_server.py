"""The reference server behaves as Lava's spend-key management API is documented to behave.

Every response these tests read is also checked against the spec's schema for its operation and
status (`checked`), so a behaviour test doubles as a conformance test.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from starlette.applications import Starlette

from contract_tests import reference_server
from contract_tests.reference_server import DEFAULT_DEV_TOKEN, create_app, running_server
from contract_tests.reference_server.__main__ import main
from contract_tests.reference_server.auth import Authenticator
from contract_tests.reference_server.idempotency import ReplayCache, StoredResponse
from contract_tests.reference_server.rate_limit import RateLimiter
from contract_tests.reference_server.runner import ServerProcess, listening_socket, server_process
from contract_tests.reference_server.store import SpendKeySettings, SpendKeyStore
from lava_spec import SPEC_PATH
from tests.reference_server.api import (
    AUTH,
    AUTH_A,
    AUTH_B,
    COLLECTION,
    JSON,
    RELATIVE_COLLECTION,
    TOKEN_A,
    TOKEN_A2,
    TOKEN_B,
    Api,
    TestClient,
    checked,
    error_of,
    item,
    rotate_path,
)

ROOT = Path(__file__).resolve().parents[2]


# --- public interface --------------------------------------------------------------------------------


def test_package_exports_a_complete_sorted_all() -> None:
    assert reference_server.__all__ == sorted(reference_server.__all__)
    assert set(reference_server.__all__) == {
        "Clock",
        "DEFAULT_DEV_TOKEN",
        "FAULTS",
        "Fault",
        "ManualClock",
        "STAGING_LIKE",
        "StagingConditions",
        "TransientFailures",
        "create_app",
        "dev_token",
        "running_server",
    }
    for name in reference_server.__all__:
        assert hasattr(reference_server, name)


def test_default_dev_token_is_the_documented_value() -> None:
    assert DEFAULT_DEV_TOKEN == "lava_dev_token_not_a_secret"  # noqa: S105 - the documented dev token


def test_create_app_takes_wallets_then_keyword_only_options() -> None:
    parameters = inspect.signature(create_app).parameters
    assert list(parameters) == [
        "wallets",
        "rate_limit",
        "enforce_rate_limit",
        "spec_path",
        "fault",
        "staging",
        "transient",
        "clock",
    ]
    assert parameters["wallets"].default is None
    assert all(parameter.kind is parameter.KEYWORD_ONLY for parameter in list(parameters.values())[1:])
    assert parameters["rate_limit"].default == 1000
    assert parameters["enforce_rate_limit"].default is False
    assert parameters["fault"].default is None
    assert parameters["staging"].default is None
    assert parameters["transient"].default is None


def test_default_app_opens_the_dev_token_for_wallet_dev() -> None:
    api = Api(TestClient(create_app()), AUTH)
    assert api.created()["wallet_id"] == "wallet_dev"


# --- authentication ----------------------------------------------------------------------------------

EVERY_OPERATION = [
    ("POST", COLLECTION),
    ("GET", COLLECTION),
    ("GET", item("sk_1")),
    ("PUT", item("sk_1")),
    ("DELETE", item("sk_1")),
    ("POST", rotate_path("sk_1")),
]


@pytest.mark.parametrize(("method", "path"), EVERY_OPERATION)
def test_every_operation_without_authorization_is_401_with_envelope_and_www_authenticate(
    client: TestClient, method: str, path: str
) -> None:
    response = checked(client.request(method, path, json={"name": "key"}))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert error_of(response)["code"] == "unauthorized"
    assert "x-ratelimit-limit" not in response.headers


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        DEFAULT_DEV_TOKEN,
        f"Token {DEFAULT_DEV_TOKEN}",
        "Bearer a b",
        "",
    ],
)
def test_malformed_authorization_is_401(client: TestClient, authorization: str) -> None:
    response = checked(client.get(COLLECTION, headers={"Authorization": authorization}))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_token_is_401_and_the_message_never_echoes_it(client: TestClient) -> None:
    response = checked(client.get(COLLECTION, headers={"Authorization": "Bearer lava_sk_not_a_real_token"}))
    assert response.status_code == 401
    assert "lava_sk_not_a_real_token" not in response.text


def test_the_bearer_scheme_is_case_insensitive(client: TestClient) -> None:
    response = checked(client.get(COLLECTION, headers={"Authorization": f"bearer {DEFAULT_DEV_TOKEN}"}))
    assert response.status_code == 200


def test_tokens_never_appear_in_reprs_or_configuration_errors() -> None:
    authenticator = Authenticator({"very_secret_token": "wallet"})
    caller = authenticator.authenticate(["Bearer very_secret_token"])
    assert "very_secret_token" not in repr(authenticator)
    assert "very_secret_token" not in repr(caller)
    assert hashlib.sha256(b"very_secret_token").hexdigest() not in repr(caller)
    with pytest.raises(ValueError, match="b64token") as raised:
        create_app({"secret with spaces": "wallet"})
    assert "secret with spaces" not in str(raised.value)


def test_create_app_rejects_no_wallets_and_empty_wallet_ids() -> None:
    with pytest.raises(ValueError, match="at least one"):
        create_app({})
    with pytest.raises(ValueError, match="wallet id"):
        create_app({"token": ""})


def test_two_tokens_of_one_wallet_manage_the_same_keys(client: TestClient) -> None:
    created = Api(client, AUTH_A).created()
    second = Api(client, {"Authorization": f"Bearer {TOKEN_A2}"})
    assert second.get(created["spend_key_id"]).status_code == 200


# --- wallets: ids do not leak --------------------------------------------------------------------------


def test_a_key_of_another_wallet_is_404_for_every_operation(api_a: Api, api_b: Api) -> None:
    spend_key_id = api_a.created()["spend_key_id"]
    responses = [
        api_b.get(spend_key_id),
        api_b.update(spend_key_id, {"name": "taken over"}),
        api_b.rotate(spend_key_id),
        api_b.revoke(spend_key_id),
    ]
    assert [response.status_code for response in responses] == [404, 404, 404, 404]
    assert {error_of(response)["code"] for response in responses} == {"not_found"}
    assert api_a.get(spend_key_id).json()["name"] == "key"


def test_404_for_another_wallets_key_reads_exactly_like_404_for_an_unknown_id(api_a: Api, api_b: Api) -> None:
    spend_key_id = api_a.created()["spend_key_id"]
    assert api_b.get(spend_key_id).json() == api_b.get("sk_999999999999000000").json()


def test_list_shows_only_the_callers_wallet(api_a: Api, api_b: Api) -> None:
    a = api_a.created()["spend_key_id"]
    b = api_b.created()["spend_key_id"]
    assert api_a.all_ids() == [a]
    assert api_b.all_ids() == [b]


def test_list_filtered_by_another_wallet_is_an_empty_page(api_a: Api, api_b: Api) -> None:
    api_a.created()
    api_b.created()
    response = api_a.list_page(wallet_id="wallet_b")
    assert response.json() == {"data": [], "has_more": False, "next_cursor": None}


def test_list_filtered_by_the_callers_own_wallet_lists_its_keys(api_a: Api) -> None:
    spend_key_id = api_a.created()["spend_key_id"]
    assert api_a.ids(wallet_id="wallet_a") == [spend_key_id]


# --- routing: the envelope on unknown paths and methods -------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/v1",
        "/v1/manage",
        "/v2/manage/spend_keys",
        "/v1/manage/spend_keys/sk_1/rotate/now",
        "/v1/spend_keys",
    ],
)
def test_unknown_path_is_404_with_envelope(client: TestClient, path: str) -> None:
    response = client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert error_of(response) == {
        "message": error_of(response)["message"],
        "code": "not_found",
        "status": 404,
    }


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", COLLECTION, "GET, POST"),
        ("DELETE", COLLECTION, "GET, POST"),
        ("PUT", COLLECTION, "GET, POST"),
        ("HEAD", COLLECTION, "GET, POST"),
        ("OPTIONS", COLLECTION, "GET, POST"),
        ("TRACE", COLLECTION, "GET, POST"),
        ("QUERY", COLLECTION, "GET, POST"),
        ("POST", item("sk_1"), "GET, PUT, DELETE"),
        ("PATCH", item("sk_1"), "GET, PUT, DELETE"),
        ("GET", rotate_path("sk_1"), "POST"),
        ("PUT", rotate_path("sk_1"), "POST"),
    ],
)
def test_undeclared_method_is_405_with_allow_and_envelope(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path, headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    if method != "HEAD":
        assert error_of(response)["code"] == "method_not_allowed"
        assert response.headers["content-type"] == "application/json"


def test_405_answers_before_authentication(client: TestClient) -> None:
    assert client.request("PATCH", COLLECTION).status_code == 405


def test_a_percent_encoded_slash_stays_inside_the_id(api: Api) -> None:
    # Decoded first, `sk_1/rotate` would route to rotate, and PUT there would be a 405.
    response = api.request("PUT", f"{COLLECTION}/sk_1%2Frotate", json={"name": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("encoded_id", ["%0A", "a%0Ab", "%0D%0A", "%00", "%FF", "%C2%BC%0A%C3%94"])
def test_an_id_with_control_characters_or_bad_utf8_is_a_json_404(api: Api, encoded_id: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = api.request(method, f"{COLLECTION}/{encoded_id}", json={"name": "x"})
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    assert api.request("POST", f"{COLLECTION}/{encoded_id}/rotate").status_code == 404


def test_a_trailing_slash_is_not_the_collection(api: Api) -> None:
    assert api.request("GET", f"{COLLECTION}/").status_code == 404


def test_an_unexpected_exception_is_a_500_with_envelope(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(SpendKeyStore, "page", broken)
    response = TestClient(app, raise_server_exceptions=False).get(COLLECTION, headers=AUTH)
    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error"
    assert "secret detail" not in response.text


# --- create ------------------------------------------------------------------------------------------


def test_create_returns_201_with_a_fresh_raw_key_and_the_documented_defaults(api: Api) -> None:
    response = api.create({"name": "My key"})
    assert response.status_code == 201
    body = response.json()
    assert body["key"].startswith("lava_sk_")
    assert len(body["key"]) > len("lava_sk_") + 32
    assert body["key_preview"] == body["key"][:16] + "****"
    assert body["spend_key_id"].startswith("sk_")
    assert body["created_at"].endswith("Z")
    assert {
        name: value
        for name, value in body.items()
        if name not in {"key", "key_preview", "spend_key_id", "created_at"}
    } == {
        "name": "My key",
        "status": "active",
        "wallet_id": "wallet_dev",
        "current_spend": "0",
        "current_requests": 0,
        "allowed_models": None,
        "allowed_providers": None,
        "expires_at": None,
        "last_used_at": None,
    }


def test_every_create_gets_its_own_id_and_key(api: Api) -> None:
    first, second = api.created(), api.created()
    assert first["spend_key_id"] != second["spend_key_id"]
    assert first["key"] != second["key"]


def test_create_echoes_every_setting_exactly_as_sent(api: Api) -> None:
    settings = {
        "name": "  Spaced ünïcode name 😀 ",
        "status": "paused",
        "allowed_models": ["gpt-4o", "claude-3-5-sonnet", "gpt-4o"],
        "allowed_providers": [],
        "spend_limit": {"amount": "12.50", "cycle": "monthly"},
        "request_limit": {"count": 5000000, "cycle": "total"},
        "rate_limit": {"rpm": 60, "burst": 10},
        "expires_at": "2030-01-02T03:04:05.678+02:00",
    }
    body = api.created(settings)
    assert {name: body[name] for name in settings} == settings
    assert api.get(body["spend_key_id"]).json() == {
        name: value for name, value in body.items() if name != "key"
    }


def test_unset_limits_are_left_out_of_responses(api: Api) -> None:
    body = api.created({"name": "no limits"})
    assert {"spend_limit", "request_limit", "rate_limit"}.isdisjoint(body)


def test_a_rate_limit_keeps_burst_as_sent_null_or_absent(api: Api) -> None:
    assert api.created({"name": "a", "rate_limit": {"rpm": 5}})["rate_limit"] == {"rpm": 5}
    assert api.created({"name": "b", "rate_limit": {"rpm": 5, "burst": None}})["rate_limit"] == {
        "rpm": 5,
        "burst": None,
    }


def test_create_stores_integral_floats_as_integers(api: Api) -> None:
    body = api.created(
        {
            "name": "floats",
            "request_limit": {"count": 2.0, "cycle": "daily"},
            "rate_limit": {"rpm": 1e2, "burst": 3.0},
        }
    )
    assert body["request_limit"] == {"count": 2, "cycle": "daily"}
    assert body["rate_limit"] == {"rpm": 100, "burst": 3}
    assert '"count":2,' in api.get(body["spend_key_id"]).text


def test_create_rejects_a_name_over_255_chars_and_creates_nothing(api: Api) -> None:
    response = api.create({"name": "x" * 256})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "`name`" in error["message"]
    assert "255" in error["message"]
    assert api.all_ids() == []


def test_create_accepts_a_name_of_exactly_255_chars_counted_in_characters(api: Api) -> None:
    assert api.created({"name": "é" * 255})["name"] == "é" * 255


@pytest.mark.parametrize(
    ("body", "field", "constraint"),
    [
        ({}, "`name`", "required"),
        ({"name": ""}, "`name`", "at least 1"),
        ({"name": 5}, "`name`", "string"),
        ({"name": None}, "`name`", "string"),
        ({"name": "k", "status": "revoked"}, "`status`", '"active", "paused"'),
        ({"name": "k", "allowed_models": [1]}, "`allowed_models[0]`", "string"),
        ({"name": "k", "allowed_providers": "openai"}, "`allowed_providers`", "array"),
        ({"name": "k", "spend_limit": {"amount": "-1", "cycle": "daily"}}, "`spend_limit.amount`", "pattern"),
        (
            {"name": "k", "spend_limit": {"amount": "1e3", "cycle": "daily"}},
            "`spend_limit.amount`",
            "pattern",
        ),
        ({"name": "k", "spend_limit": {"amount": 12, "cycle": "daily"}}, "`spend_limit.amount`", "string"),
        ({"name": "k", "spend_limit": {"amount": "1", "cycle": "yearly"}}, "`spend_limit.cycle`", '"total"'),
        ({"name": "k", "spend_limit": {"amount": "1"}}, "`spend_limit.cycle`", "required"),
        ({"name": "k", "spend_limit": None}, "`spend_limit`", "object"),
        (
            {"name": "k", "request_limit": {"count": 0, "cycle": "daily"}},
            "`request_limit.count`",
            "at least 1",
        ),
        (
            {"name": "k", "request_limit": {"count": 1.5, "cycle": "daily"}},
            "`request_limit.count`",
            "integer",
        ),
        ({"name": "k", "rate_limit": {"burst": 2}}, "`rate_limit.rpm`", "required"),
        ({"name": "k", "rate_limit": {"rpm": 1, "burst": 0}}, "`rate_limit.burst`", "at least 1"),
        ({"name": "k", "rate_limit": {"rpm": True}}, "`rate_limit.rpm`", "integer"),
        ({"name": "k", "expires_at": "tomorrow"}, "`expires_at`", "date-time"),
        ({"name": "k", "expires_at": "2030-01-01T00:00:00"}, "`expires_at`", "date-time"),
        ({"name": "k", "expires_at": 1700000000}, "`expires_at`", "string or null"),
        ({"name": "k", "wallet_id": 7}, "`wallet_id`", "string"),
        ({"name": "k", "connection_id": None}, "`connection_id`", "string"),
        ([], "the body", "object"),
        ("name", "the body", "object"),
        (None, "the body", "object"),
    ],
)
def test_create_rejects_a_schema_violation_with_422_naming_field_and_constraint(
    api: Api, body: object, field: str, constraint: str
) -> None:
    response = api.request("POST", COLLECTION, content=json.dumps(body), headers=JSON)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert field in error["message"]
    assert constraint in error["message"]
    assert api.all_ids() == []


def test_a_422_message_never_repeats_the_value_sent(api: Api) -> None:
    response = api.create(
        {"name": "k", "spend_limit": {"amount": "value-that-must-not-echo", "cycle": "daily"}}
    )
    assert response.status_code == 422
    assert "value-that-must-not-echo" not in response.text


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/merge-patch+json",
        "application/jsonx",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
    ],
)
def test_create_with_a_body_not_sent_as_utf8_json_is_415_and_creates_nothing(
    api: Api, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = api.request("POST", COLLECTION, content=b'{"name": "k"}', headers=headers)
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    assert api.all_ids() == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "Application/JSON",
        'application/json;charset="UTF-8"',
        "application/json; x=y",
    ],
)
def test_create_accepts_application_json_with_parameters(api: Api, content_type: str | None) -> None:
    response = api.request(
        "POST", COLLECTION, content=b'{"name": "k"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   ",
        b"{",
        b'{"name": "k",}',
        b"{'name': 'k'}",
        b'{"name": "\xff\xfe"}',
        b'\xef\xbb\xbf{"name": "k"}',
        b'{"name": "k", "request_limit": {"count": NaN, "cycle": "daily"}}',
        b'{"name": "k", "request_limit": {"count": Infinity, "cycle": "daily"}}',
        b'{"name": "k", "request_limit": {"count": -Infinity, "cycle": "daily"}}',
        b'{"name": "k", "request_limit": {"count": 1e400, "cycle": "daily"}}',
        b'{"name": "k", "request_limit": {"count": ' + b"9" * 5000 + b', "cycle": "daily"}}',
        b'{"name": "\\ud800"}',
        b'{"name": "a\\udc00b"}',
        b'{"name": "k", "\\ud83d": 1}',
        b'{"name": "k", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
    ids=[
        "empty",
        "whitespace",
        "truncated",
        "trailing-comma",
        "single-quotes",
        "not-utf8",
        "utf8-bom",
        "nan",
        "infinity",
        "minus-infinity",
        "float-overflow",
        "5000-digit-integer",
        "lone-high-surrogate",
        "lone-low-surrogate",
        "lone-surrogate-in-a-key",
        "deep-nesting",
    ],
)
def test_create_with_an_unreadable_body_is_400_invalid_json_and_creates_nothing(api: Api, raw: bytes) -> None:
    response = api.request("POST", COLLECTION, content=raw, headers=JSON)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"
    assert api.all_ids() == []


def test_create_echoes_nul_characters_and_surrogate_pairs_faithfully(api: Api) -> None:
    response = api.request("POST", COLLECTION, content=b'{"name": "a\\u0000b \\ud83d\\ude00"}', headers=JSON)
    assert response.status_code == 201
    assert response.json()["name"] == "a\x00b 😀"


def test_create_accepts_the_callers_own_wallet_id(api: Api) -> None:
    assert api.created({"name": "k", "wallet_id": "wallet_dev"})["wallet_id"] == "wallet_dev"


def test_create_in_another_wallet_is_404_wallet_not_found_and_creates_nothing(api_a: Api, api_b: Api) -> None:
    response = api_a.create({"name": "k", "wallet_id": "wallet_b"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "wallet_not_found"
    assert api_a.all_ids() == []
    assert api_b.all_ids() == []


def test_connection_id_is_accepted_and_never_shown(api: Api) -> None:
    body = api.created({"name": "k", "connection_id": "conn_123"})
    assert "conn_123" not in json.dumps(body)
    assert "conn_123" not in api.get(body["spend_key_id"]).text
    assert "conn_123" not in api.list_page().text


def test_properties_the_spec_does_not_name_are_ignored_and_never_echoed(api: Api) -> None:
    body = api.created(
        {
            "name": "k",
            "request_shape": "anthropic",
            "spend_limit": {"amount": "1", "cycle": "daily", "currency": "EUR"},
        }
    )
    assert "request_shape" not in body
    assert body["spend_limit"] == {"amount": "1", "cycle": "daily"}


# --- the raw key is shown once -------------------------------------------------------------------------


def test_no_later_response_carries_the_raw_key(api: Api) -> None:
    created = api.created({"name": "shown once"})
    spend_key_id, raw_key = created["spend_key_id"], created["key"]
    later = [api.get(spend_key_id), api.list_page(), api.update(spend_key_id, {"name": "renamed"})]
    for response in later:
        assert raw_key not in response.text
        assert '"key":' not in response.text


def test_the_store_keeps_only_a_digest_of_the_raw_key() -> None:
    store = SpendKeyStore()
    spend_key, raw_key = store.create("wallet", SpendKeySettings(name="k"))
    assert spend_key.key_sha256 == hashlib.sha256(raw_key.encode()).digest()
    assert raw_key not in repr(spend_key)
    assert raw_key not in repr(store)
    assert all(raw_key not in repr(getattr(spend_key, slot)) for slot in spend_key.__slots__)


# --- ids, list and pagination --------------------------------------------------------------------------


def test_ids_sort_in_creation_order(api: Api) -> None:
    ids = [api.created()["spend_key_id"] for _ in range(12)]
    assert ids == sorted(ids)


def test_list_returns_the_oldest_ten_first_by_default(api: Api) -> None:
    ids = [api.created({"name": f"key {n}"})["spend_key_id"] for n in range(12)]
    response = api.list_page()
    body = response.json()
    assert [spend_key["spend_key_id"] for spend_key in body["data"]] == ids[:10]
    assert body["has_more"] is True
    assert body["next_cursor"] == ids[9]


def test_the_last_page_has_no_more_and_a_null_cursor(api: Api) -> None:
    ids = [api.created()["spend_key_id"] for _ in range(3)]
    body = api.list_page(limit="3").json()
    assert [spend_key["spend_key_id"] for spend_key in body["data"]] == ids
    assert body["has_more"] is False
    assert body["next_cursor"] is None


def test_list_items_never_carry_a_key(api: Api) -> None:
    api.created()
    assert all("key" not in spend_key for spend_key in api.list_page().json()["data"])


def test_pages_never_skip_or_repeat_while_keys_are_created_and_revoked(api: Api) -> None:
    k = [api.created()["spend_key_id"] for _ in range(7)]
    page_1 = api.list_page(limit="3").json()
    assert [spend_key["spend_key_id"] for spend_key in page_1["data"]] == k[0:3]
    # Between pages: revoke a key already seen and one not seen yet, and create a new one.
    api.revoke(k[1])
    api.revoke(k[4])
    new_1 = api.created()["spend_key_id"]
    page_2 = api.list_page(limit="3", cursor=page_1["next_cursor"]).json()
    assert [spend_key["spend_key_id"] for spend_key in page_2["data"]] == [k[3], k[5], k[6]]
    assert page_2["has_more"] is True
    new_2 = api.created()["spend_key_id"]
    page_3 = api.list_page(limit="3", cursor=page_2["next_cursor"]).json()
    assert [spend_key["spend_key_id"] for spend_key in page_3["data"]] == [new_1, new_2]
    assert page_3["has_more"] is False
    assert page_3["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor", ["", "zzz", "sk_", "0", "garbage with spaces ü", "%", "sk_999999999999999999"]
)
def test_any_cursor_string_is_accepted(api: Api, cursor: str) -> None:
    ids = [api.created()["spend_key_id"] for _ in range(2)]
    response = api.list_page(cursor=cursor)
    assert response.status_code == 200
    assert [spend_key["spend_key_id"] for spend_key in response.json()["data"]] == [
        i for i in ids if i > cursor
    ]


def test_a_cursor_naming_a_revoked_key_keeps_its_place(api: Api) -> None:
    first, second, third = (api.created()["spend_key_id"] for _ in range(3))
    api.revoke(second)
    assert api.ids(cursor=second) == [third]
    assert api.ids(cursor=first) == [third]


@pytest.mark.parametrize(
    "limit", ["0", "101", "-1", "1000", "abc", "1.5", "1e1", "", " 5", "5 ", "+5", "1_0", "٣", "9" * 30]
)
def test_list_rejects_a_limit_outside_1_to_100_with_400(api: Api, limit: str) -> None:
    response = api.list_page(limit=limit)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_parameter"
    assert "`limit`" in error["message"]


@pytest.mark.parametrize(("limit", "count"), [("1", 1), ("100", 100), ("007", 7)])
def test_list_accepts_limits_from_1_to_100(api: Api, limit: str, count: int) -> None:
    for _ in range(101):
        api.client.post(COLLECTION, json={"name": "k"}, headers=AUTH)
    assert len(api.ids(limit=limit)) == count


@pytest.mark.parametrize("name", ["limit", "cursor", "wallet_id"])
def test_list_rejects_a_parameter_given_twice(api: Api, name: str) -> None:
    response = api.request("GET", f"{COLLECTION}?{name}=1&{name}=2")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_parameter"


def test_list_ignores_parameters_the_spec_does_not_name(api: Api) -> None:
    assert api.list_page(page="2").status_code == 200


# --- get ---------------------------------------------------------------------------------------------


def test_get_returns_the_key_without_its_raw_key(api: Api) -> None:
    created = api.created({"name": "k", "allowed_models": ["m"]})
    response = api.get(created["spend_key_id"])
    assert response.status_code == 200
    assert response.json() == {name: value for name, value in created.items() if name != "key"}


@pytest.mark.parametrize("spend_key_id", ["sk_000000000001abcdef", "unknown", "", "a/b", "ü", "%00"])
def test_get_of_an_unknown_id_is_404(api: Api, spend_key_id: str) -> None:
    response = api.get(spend_key_id)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


# --- update ------------------------------------------------------------------------------------------


def test_update_changes_only_the_fields_sent(api: Api) -> None:
    created = api.created(
        {"name": "before", "allowed_models": ["m"], "spend_limit": {"amount": "5", "cycle": "daily"}}
    )
    response = api.update(created["spend_key_id"], {"name": "after", "status": "paused"})
    assert response.status_code == 200
    expected = {name: value for name, value in created.items() if name != "key"}
    assert response.json() == {**expected, "name": "after", "status": "paused"}
    assert api.get(created["spend_key_id"]).json() == response.json()


def test_update_with_null_removes_limits_and_allows_everything(api: Api) -> None:
    created = api.created(
        {
            "name": "k",
            "allowed_models": ["m"],
            "allowed_providers": ["p"],
            "expires_at": "2030-01-01T00:00:00Z",
            "spend_limit": {"amount": "5", "cycle": "daily"},
            "request_limit": {"count": 5, "cycle": "daily"},
            "rate_limit": {"rpm": 5},
        }
    )
    nulls = dict.fromkeys(
        ["allowed_models", "allowed_providers", "expires_at", "spend_limit", "request_limit", "rate_limit"]
    )
    body = api.update(created["spend_key_id"], nulls).json()
    assert {"spend_limit", "request_limit", "rate_limit"}.isdisjoint(body)
    assert body["allowed_models"] is None
    assert body["allowed_providers"] is None
    assert body["expires_at"] is None


def test_update_sets_new_limits(api: Api) -> None:
    spend_key_id = api.created()["spend_key_id"]
    body = api.update(
        spend_key_id, {"request_limit": {"count": 3.0, "cycle": "weekly"}, "rate_limit": {"rpm": 2}}
    ).json()
    assert body["request_limit"] == {"count": 3, "cycle": "weekly"}
    assert body["rate_limit"] == {"rpm": 2}


def test_update_with_an_empty_object_changes_nothing(api: Api) -> None:
    created = api.created()
    response = api.update(created["spend_key_id"], {})
    assert response.status_code == 200
    assert response.json() == {name: value for name, value in created.items() if name != "key"}


def test_update_ignores_wallet_id_and_connection_id(api: Api) -> None:
    created = api.created()
    body = api.update(created["spend_key_id"], {"wallet_id": "wallet_b", "connection_id": "c"}).json()
    assert body["wallet_id"] == "wallet_dev"


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b'{"name": "x"}', "text/plain", 415, "unsupported_media_type"),
        (b"", "application/json", 400, "invalid_json"),
        (b"{", "application/json", 400, "invalid_json"),
        (b'{"name": NaN}', "application/json", 400, "invalid_json"),
        (b'{"name": ""}', "application/json", 422, "validation_error"),
        (b'{"name": "' + b"x" * 256 + b'"}', "application/json", 422, "validation_error"),
        (b'{"spend_limit": {"amount": "1"}}', "application/json", 422, "validation_error"),
        (b'{"status": null}', "application/json", 422, "validation_error"),
        (b"[]", "application/json", 422, "validation_error"),
    ],
)
def test_update_follows_the_body_rules_of_create_and_changes_nothing(
    api: Api, content: bytes, content_type: str | None, status: int, code: str
) -> None:
    created = api.created()
    response = api.request(
        "PUT", item(created["spend_key_id"]), content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert api.get(created["spend_key_id"]).json() == {
        name: v for name, v in created.items() if name != "key"
    }


def test_update_of_an_unknown_id_is_404(api: Api) -> None:
    assert api.update("sk_000000000001abcdef", {"name": "x"}).status_code == 404


# --- rotate ------------------------------------------------------------------------------------------


def test_rotate_issues_a_new_key_and_keeps_id_settings_usage_and_created_at(api: Api) -> None:
    created = api.created({"name": "k", "spend_limit": {"amount": "5", "cycle": "daily"}, "status": "paused"})
    response = api.rotate(created["spend_key_id"])
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["key"] != created["key"]
    assert rotated["key"].startswith("lava_sk_")
    assert rotated["key_preview"] == rotated["key"][:16] + "****"
    unchanged = {name: value for name, value in created.items() if name not in {"key", "key_preview"}}
    assert {name: rotated[name] for name in unchanged} == unchanged
    assert api.get(created["spend_key_id"]).json()["key_preview"] == rotated["key_preview"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"not json at all", "text/plain"), (b'{"name": 5}', "application/json"), (b"", None)],
)
def test_rotate_ignores_any_body_and_its_content_type(
    api: Api, content: bytes, content_type: str | None
) -> None:
    spend_key_id = api.created()["spend_key_id"]
    headers = {} if content_type is None else {"Content-Type": content_type}
    assert api.rotate(spend_key_id, content=content, headers=headers).status_code == 200


def test_rotate_of_an_unknown_id_is_404(api: Api) -> None:
    assert api.rotate("sk_000000000001abcdef").status_code == 404


# --- revoke ------------------------------------------------------------------------------------------


def test_revoke_answers_success_and_the_key_is_gone_everywhere(api: Api) -> None:
    keep, gone = api.created()["spend_key_id"], api.created()["spend_key_id"]
    response = api.revoke(gone)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert api.get(gone).status_code == 404
    assert api.update(gone, {"name": "x"}).status_code == 404
    assert api.rotate(gone).status_code == 404
    assert api.revoke(gone).status_code == 404
    assert api.all_ids() == [keep]


# --- Idempotency-Key ---------------------------------------------------------------------------------


def test_create_with_the_same_idempotency_key_and_body_replays_the_first_response(api: Api) -> None:
    first = api.create({"name": "k"}, headers={"Idempotency-Key": "retry-1"})
    again = api.create({"name": "k"}, headers={"Idempotency-Key": "retry-1"})
    assert again.status_code == first.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert len(api.all_ids()) == 1


def test_the_same_idempotency_key_with_another_body_is_another_request(api: Api) -> None:
    first = api.created({"name": "one"}, headers={"Idempotency-Key": "shared"})
    second = api.created({"name": "two"}, headers={"Idempotency-Key": "shared"})
    assert first["spend_key_id"] != second["spend_key_id"]
    assert len(api.all_ids()) == 2


def test_idempotency_keys_are_scoped_per_token_as_the_spec_says(
    client: TestClient, api_a: Api, api_b: Api
) -> None:
    a = api_a.created(headers={"Idempotency-Key": "same"})
    b = api_b.created(headers={"Idempotency-Key": "same"})
    assert a["wallet_id"] == "wallet_a"
    assert b["wallet_id"] == "wallet_b"
    # Another token of wallet A is another caller, so the same key and body create another key.
    a2 = Api(client, {"Authorization": f"Bearer {TOKEN_A2}"}).created(headers={"Idempotency-Key": "same"})
    assert a2["spend_key_id"] != a["spend_key_id"]
    assert api_a.created(headers={"Idempotency-Key": "same"}) == a


def test_revoking_a_key_forgets_its_replays_so_a_retry_is_a_new_request(api: Api) -> None:
    created = api.created(headers={"Idempotency-Key": "create-once"})
    rotated = api.rotate(created["spend_key_id"], headers={"Idempotency-Key": "rotate-once"})
    other = api.created(headers={"Idempotency-Key": "other"})
    api.revoke(created["spend_key_id"])
    retried = api.created(headers={"Idempotency-Key": "create-once"})
    assert retried["spend_key_id"] != created["spend_key_id"]
    assert api.get(retried["spend_key_id"]).status_code == 200
    assert api.rotate(created["spend_key_id"], headers={"Idempotency-Key": "rotate-once"}).status_code == 404
    assert rotated.status_code == 200
    # Replays of other keys stay.
    assert api.created(headers={"Idempotency-Key": "other"}) == other


def test_an_error_is_not_replayed(api: Api) -> None:
    for _ in range(2):
        failed = api.create({"name": "k", "wallet_id": "wallet_b"}, headers={"Idempotency-Key": "retry"})
        assert failed.status_code == 404
        assert "idempotent-replayed" not in failed.headers
    assert api.create({"name": "k"}, headers={"Idempotency-Key": "retry"}).status_code == 201


def test_an_empty_idempotency_key_is_a_key_like_any_other(api: Api) -> None:
    first = api.created(headers={"Idempotency-Key": ""})
    assert api.created(headers={"Idempotency-Key": ""}) == first


def test_rotate_with_the_same_idempotency_key_replays_and_rotates_once(api: Api) -> None:
    spend_key_id = api.created()["spend_key_id"]
    first = api.rotate(spend_key_id, headers={"Idempotency-Key": "rotate-1"})
    again = api.rotate(spend_key_id, headers={"Idempotency-Key": "rotate-1"})
    assert again.content == first.content
    assert api.get(spend_key_id).json()["key_preview"] == first.json()["key_preview"]
    assert (
        api.rotate(spend_key_id, headers={"Idempotency-Key": "rotate-2"}).json()["key"] != first.json()["key"]
    )


def test_the_same_idempotency_key_on_another_path_is_another_request(api: Api) -> None:
    one, two = api.created()["spend_key_id"], api.created()["spend_key_id"]
    assert api.rotate(one, headers={"Idempotency-Key": "k"}).json()["spend_key_id"] == one
    assert api.rotate(two, headers={"Idempotency-Key": "k"}).json()["spend_key_id"] == two


@pytest.mark.parametrize("path", ["collection", "rotate"])
def test_an_idempotency_key_over_255_characters_is_400(api: Api, path: str) -> None:
    target = COLLECTION if path == "collection" else rotate_path(api.created()["spend_key_id"])
    response = api.client.post(target, json={"name": "k"}, headers={**AUTH, "Idempotency-Key": "k" * 256})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_parameter"
    ok = api.client.post(target, json={"name": "k"}, headers={**AUTH, "Idempotency-Key": "k" * 255})
    assert ok.status_code in {200, 201}


def test_the_replay_cache_is_bounded_and_forgets_after_its_ttl() -> None:
    now = [0.0]
    cache = ReplayCache(max_entries=2, ttl_seconds=10, clock=lambda: now[0])
    stored = StoredResponse(201, b'{"key": "lava_sk_secret"}', "sk_1")
    for n in range(3):
        cache.put((b"t", "POST", "/p", str(n), b""), stored)
    assert len(cache) == 2
    assert cache.get((b"t", "POST", "/p", "0", b"")) is None
    assert cache.get((b"t", "POST", "/p", "2", b"")) == stored
    now[0] = 10.0
    assert cache.get((b"t", "POST", "/p", "2", b"")) is None
    assert "lava_sk_secret" not in repr(cache)
    assert "lava_sk_secret" not in repr(stored)
    with pytest.raises(ValueError, match="2xx"):
        cache.put((b"t", "POST", "/p", "x", b""), StoredResponse(422, b"{}", "sk_1"))


def test_the_replay_cache_forgets_one_spend_key_and_keeps_the_others() -> None:
    cache = ReplayCache()
    cache.put((b"t", "POST", "/p", "a", b""), StoredResponse(201, b"{}", "sk_1"))
    cache.put((b"t", "POST", "/p", "b", b""), StoredResponse(200, b"{}", "sk_1"))
    cache.put((b"t", "POST", "/p", "c", b""), StoredResponse(201, b"{}", "sk_2"))
    cache.forget("sk_1")
    assert len(cache) == 1
    assert cache.get((b"t", "POST", "/p", "c", b"")) is not None


# --- rate limit --------------------------------------------------------------------------------------


def _rate_limit_headers(response: httpx.Response) -> tuple[int, int, int]:
    return (
        int(response.headers["x-ratelimit-limit"]),
        int(response.headers["x-ratelimit-remaining"]),
        int(response.headers["x-ratelimit-reset"]),
    )


def test_every_authenticated_response_carries_rate_limit_headers(api: Api) -> None:
    spend_key_id = api.created()["spend_key_id"]
    responses = [
        api.list_page(),
        api.get(spend_key_id),
        api.get("unknown"),
        api.update(spend_key_id, {"name": ""}),
        api.list_page(limit="0"),
        api.request("POST", COLLECTION, content=b"{", headers=JSON),
        api.rotate(spend_key_id),
        api.revoke(spend_key_id),
    ]
    for response in responses:
        limit, remaining, reset = _rate_limit_headers(response)
        assert limit == 1000
        assert 0 <= remaining < 1000
        assert reset > 0


def test_remaining_counts_down_per_token_and_never_goes_negative_when_not_enforced() -> None:
    small = TestClient(create_app({TOKEN_A: "wallet_a", TOKEN_B: "wallet_b"}, rate_limit=2))
    remaining = [_rate_limit_headers(small.get(COLLECTION, headers=AUTH_A))[1] for _ in range(4)]
    assert remaining == [1, 0, 0, 0]
    assert _rate_limit_headers(small.get(COLLECTION, headers=AUTH_B))[:2] == (2, 1)


def test_reset_is_the_unix_second_at_which_the_60_second_window_ends() -> None:
    limiter = RateLimiter(5, clock=lambda: 1_000.25)
    quota = limiter.hit(b"token")
    assert quota.headers() == {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "4",
        "X-RateLimit-Reset": "1060",
    }


def test_a_new_window_starts_after_the_old_one_ends() -> None:
    now = [0.0]
    limiter = RateLimiter(1, clock=lambda: now[0])
    assert not limiter.hit(b"t").exceeded
    assert limiter.hit(b"t").exceeded
    assert limiter.hit(b"t").retry_after == 60
    now[0] = 59.5
    assert limiter.hit(b"t").retry_after == 1
    now[0] = 60.0
    quota = limiter.hit(b"t")
    assert not quota.exceeded
    assert quota.reset_at == 120


def test_an_enforced_limit_answers_429_with_retry_after_and_the_envelope() -> None:
    wallets = {TOKEN_A: "wallet_a", TOKEN_A2: "wallet_a", TOKEN_B: "wallet_b"}
    client = TestClient(create_app(wallets, rate_limit=2, enforce_rate_limit=True))
    statuses = [client.post(COLLECTION, json={"name": "k"}, headers=AUTH_A).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    response = client.get(COLLECTION, headers=AUTH_A)
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert _rate_limit_headers(response)[:2] == (2, 0)
    # The limit is per token (the other token of wallet A still gets through), and a 429 creates nothing.
    other_token = client.get(COLLECTION, headers={"Authorization": f"Bearer {TOKEN_A2}"})
    assert other_token.status_code == 200
    assert len(other_token.json()["data"]) == 2


def test_create_app_rejects_a_rate_limit_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        create_app(rate_limit=0)


# --- the spec is the source of the request schemas ---------------------------------------------------------


def test_spec_path_replaces_the_schemas_bodies_are_checked_against(tmp_path: Path) -> None:
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    spec["components"]["schemas"]["SpendKeyName"]["maxLength"] = 5
    path = tmp_path / "lava.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    strict = TestClient(create_app(spec_path=path))
    assert strict.post(COLLECTION, json={"name": "123456"}, headers=AUTH).status_code == 422
    assert strict.post(COLLECTION, json={"name": "12345"}, headers=AUTH).status_code == 201


def test_a_full_lifecycle_answers_only_what_the_spec_documents(api: Api) -> None:
    # `checked` validates each answer against the spec's schema for its operation and status.
    spend_key_id = api.created({"name": "life"})["spend_key_id"]
    api.list_page()
    api.get(spend_key_id)
    api.update(spend_key_id, {"spend_limit": {"amount": "1.5", "cycle": "total"}})
    api.rotate(spend_key_id)
    api.revoke(spend_key_id)
    assert api.get(spend_key_id).status_code == 404


# --- running_server and the command line -------------------------------------------------------------------


def test_running_server_serves_real_http_on_an_ephemeral_port_and_stops_on_exit() -> None:
    with running_server(create_app()) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v1")
        response = httpx.post(f"{base_url}{RELATIVE_COLLECTION}", json={"name": "over http"}, headers=AUTH)
        assert response.status_code == 201
        assert response.json()["name"] == "over http"
        head = httpx.head(f"{base_url}{RELATIVE_COLLECTION}", headers=AUTH)
        assert head.status_code == 405
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}{RELATIVE_COLLECTION}", headers=AUTH)


def test_the_listening_socket_is_tcp_so_that_asyncio_turns_nagle_off() -> None:
    # asyncio sets TCP_NODELAY only on connections accepted from an IPPROTO_TCP socket; without it
    # every response waited about 40 ms for the client's delayed ACK.
    with listening_socket("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP


def test_running_server_stops_when_the_with_body_raises() -> None:
    with pytest.raises(RuntimeError, match="boom"), running_server(create_app()) as base_url:  # noqa: PT012
        assert httpx.get(f"{base_url}{RELATIVE_COLLECTION}", headers=AUTH).status_code == 200
        raise RuntimeError("boom")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}{RELATIVE_COLLECTION}", headers=AUTH)


@pytest.mark.parametrize("argv", [["--port", "eighty"], ["--port", "70000"], ["--verbose"], ["extra"]])
def test_the_command_line_rejects_bad_flags_with_status_2_and_usage(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv, environ={})
    assert exited.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_the_command_line_reports_a_port_in_use_in_one_line_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as exited:
            main(["--host", "127.0.0.1", "--port", str(port)], environ={})
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "already in use" in err
    assert "Traceback" not in err


def test_the_command_line_refuses_the_same_token_for_both_wallets(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--port", "0"], environ={"LAVA_API_KEY": "same", "LAVA_API_KEY_2": "same"})
    assert exited.value.code == 2
    assert "same" not in capsys.readouterr().err.replace("must differ", "")


@pytest.fixture
def served_from_the_command_line() -> Iterator[ServerProcess]:
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("LAVA_")},
        "LAVA_API_KEY": "first_wallet_secret_token",
        "LAVA_API_KEY_2": "second_wallet_secret_token",
    }
    with server_process(environ=environment) as served:
        yield served


def test_the_command_line_serves_two_wallets_and_prints_the_url_but_no_token(
    served_from_the_command_line: ServerProcess,
) -> None:
    line = served_from_the_command_line.first_line
    assert "secret_token" not in line
    base_url = line.split()[3]
    assert base_url.startswith("http://127.0.0.1:")
    assert base_url.endswith("/v1")
    first = {"Authorization": "Bearer first_wallet_secret_token"}
    second = {"Authorization": "Bearer second_wallet_secret_token"}
    created = httpx.post(f"{base_url}{RELATIVE_COLLECTION}", json={"name": "k"}, headers=first).json()
    assert created["wallet_id"] == "wallet_1"
    other = httpx.get(f"{base_url}{RELATIVE_COLLECTION}/{created['spend_key_id']}", headers=second)
    assert other.status_code == 404
    served_from_the_command_line.process.terminate()
    _, err = served_from_the_command_line.process.communicate(timeout=10)
    assert "secret_token" not in err
