"""The reference server's simulated proxy meters usage and stops a revoked or rotated-away key at once.

`POST /v1/chat/completions` is a test double outside the spec: authenticated by a raw spend key, it
answers 200 and records one request costing "0.0125". Every management answer read here is still
checked against the spec (`Api`), so usage always reads as the spec's schemas require.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from contract_tests.reference_server.proxy import rfc3339_instant
from contract_tests.reference_server.store import SpendKeySettings, SpendKeyStore
from tests.reference_server.api import PROXY, TOKEN_A, TOKEN_B, Api, TestClient, bearer, error_of


def _envelope(response: httpx.Response) -> tuple[str, int]:
    """Assert that the body is the spec's error envelope, as JSON, and return its code and status."""
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "code", "status"}
    assert body["error"]["message"]
    return body["error"]["code"], body["error"]["status"]


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_fresh_key_proxies_and_the_answer_names_the_key_and_the_cost(api: Api) -> None:
    created = api.created()
    response = api.proxy(created["key"], json={"model": "gpt-4o-mini", "messages": []})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "object": "chat.completion",
        "spend_key_id": created["spend_key_id"],
        "cost": "0.0125",
    }


def test_each_proxied_request_shows_in_get_list_and_update(api: Api) -> None:
    created = api.created()
    assert (created["current_spend"], created["current_requests"], created["last_used_at"]) == ("0", 0, None)
    before = datetime.now(UTC).replace(microsecond=0)
    api.proxy(created["key"])
    api.proxy(created["key"])
    after = datetime.now(UTC)
    spend_key = api.get(created["spend_key_id"]).json()
    assert spend_key["current_spend"] == "0.025"
    assert spend_key["current_requests"] == 2
    assert spend_key["last_used_at"].endswith("Z")
    assert before <= datetime.fromisoformat(spend_key["last_used_at"]) <= after
    assert api.list_page().json()["data"] == [spend_key]
    updated = api.update(created["spend_key_id"], {"name": "renamed"}).json()
    assert (updated["current_spend"], updated["current_requests"]) == ("0.025", 2)


def test_spend_is_an_exact_decimal_string_without_exponent_or_trailing_zeros(api: Api) -> None:
    created = api.created()
    for _ in range(80):
        assert api.proxy(created["key"]).status_code == 200
    spend_key = api.get(created["spend_key_id"]).json()
    assert spend_key["current_spend"] == "1"
    assert spend_key["current_requests"] == 80


def test_usage_is_per_key(api: Api) -> None:
    used, unused = api.created(), api.created()
    api.proxy(used["key"])
    assert api.get(unused["spend_key_id"]).json()["current_requests"] == 0
    assert api.get(used["spend_key_id"]).json()["current_requests"] == 1


def test_a_revoked_key_stops_working_at_once(api: Api) -> None:
    created = api.created()
    assert api.proxy(created["key"]).status_code == 200
    api.revoke(created["spend_key_id"])
    response = api.proxy(created["key"])
    assert response.status_code == 401
    assert _envelope(response) == ("unauthorized", 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_rotate_stops_the_old_key_at_once_and_keeps_the_usage(api: Api) -> None:
    created = api.created()
    api.proxy(created["key"])
    rotated = api.rotate(created["spend_key_id"]).json()
    assert (rotated["current_spend"], rotated["current_requests"]) == ("0.0125", 1)
    assert rotated["last_used_at"] is not None
    assert api.proxy(created["key"]).status_code == 401
    assert api.proxy(rotated["key"]).status_code == 200
    assert api.get(created["spend_key_id"]).json()["current_requests"] == 2


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer lava_sk_" + "0" * 48, "Basic dXNlcjpwYXNz", "Bearer", f"Bearer {TOKEN_A}"],
    ids=["missing", "unknown key", "not bearer", "no token", "a management token"],
)
def test_anything_but_a_live_raw_key_is_401_with_the_envelope(
    client: TestClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.post(PROXY, headers=headers)
    assert response.status_code == 401
    assert _envelope(response) == ("unauthorized", 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_paused_key_is_403_spend_key_paused_until_it_is_active_again(api: Api) -> None:
    created = api.created({"name": "k", "status": "paused"})
    response = api.proxy(created["key"])
    assert response.status_code == 403
    assert _envelope(response) == ("spend_key_paused", 403)
    api.update(created["spend_key_id"], {"status": "active"})
    assert api.proxy(created["key"]).status_code == 200
    assert api.get(created["spend_key_id"]).json()["current_requests"] == 1


def test_an_expired_key_is_403_spend_key_expired_and_a_future_expiry_is_fine(api: Api) -> None:
    now = datetime.now(UTC)
    expired = api.created({"name": "old", "expires_at": _rfc3339(now - timedelta(minutes=1))})
    response = api.proxy(expired["key"])
    assert response.status_code == 403
    assert _envelope(response) == ("spend_key_expired", 403)
    later = api.created({"name": "new", "expires_at": _rfc3339(now + timedelta(hours=1))})
    assert api.proxy(later["key"]).status_code == 200
    api.update(later["spend_key_id"], {"expires_at": "2000-01-01T00:00:00+01:00"})
    assert error_of(api.proxy(later["key"]))["code"] == "spend_key_expired"


def test_expiry_is_reported_before_a_pause(api: Api) -> None:
    created = api.created({"name": "k", "status": "paused", "expires_at": "2000-01-01T00:00:00Z"})
    assert error_of(api.proxy(created["key"]))["code"] == "spend_key_expired"


def test_a_refused_request_records_no_usage(api: Api) -> None:
    created = api.created({"name": "k", "status": "paused"})
    api.proxy(created["key"])
    spend_key = api.get(created["spend_key_id"]).json()
    assert (spend_key["current_spend"], spend_key["current_requests"], spend_key["last_used_at"]) == (
        "0",
        0,
        None,
    )


@pytest.mark.parametrize(
    "body", [{}, {"content": b""}, {"content": b"not json", "headers": {"Content-Type": "text/plain"}}]
)
def test_any_body_or_none_is_accepted(api: Api, body: dict[str, object]) -> None:
    assert api.proxy(api.created()["key"], **body).status_code == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_another_method_is_405_with_allow_post(client: TestClient, api: Api, method: str) -> None:
    response = client.request(method, PROXY, headers=bearer(api.created()["key"]))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert error_of(response)["code"] == "method_not_allowed"


def test_the_proxy_serves_one_path_only(client: TestClient, api: Api) -> None:
    raw_key = api.created()["key"]
    for path in (f"{PROXY}/", "/v1/chat/completions/x", "/v1/chat", "/v1/chat%2Fcompletions"):
        response = client.post(path, headers=bearer(raw_key))
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"


def test_a_key_works_whichever_wallet_it_is_in_and_no_management_token_is_needed(client: TestClient) -> None:
    key_of_b = Api(client, bearer(TOKEN_B)).created()
    assert (
        client.post(PROXY, headers=bearer(key_of_b["key"])).json()["spend_key_id"] == key_of_b["spend_key_id"]
    )


def test_the_proxy_sends_no_rate_limit_headers(api: Api) -> None:
    response = api.proxy(api.created()["key"])
    assert "x-ratelimit-limit" not in response.headers


def test_the_store_finds_only_the_current_raw_key_of_a_live_key() -> None:
    store = SpendKeyStore()
    spend_key, raw_key = store.create("wallet", SpendKeySettings(name="k"))
    assert store.find_by_raw_key(raw_key) is spend_key
    new_raw_key = store.rotate(spend_key)
    assert store.find_by_raw_key(raw_key) is None
    assert store.find_by_raw_key(new_raw_key) is spend_key
    store.revoke(spend_key)
    assert store.find_by_raw_key(new_raw_key) is None


@pytest.mark.parametrize(
    ("costs", "spend"),
    [
        (["0.0125"], "0.0125"),
        (["0.0125", "0.0125"], "0.025"),
        (["0.5", "0.5"], "1"),
        (["50", "50"], "100"),
        (["0.0000001"], "0.0000001"),
    ],
)
def test_recorded_spend_is_a_plain_decimal_string(costs: list[str], spend: str) -> None:
    store = SpendKeyStore()
    spend_key, _ = store.create("wallet", SpendKeySettings(name="k"))
    for cost in costs:
        store.record_usage(spend_key, Decimal(cost))
    assert spend_key.current_spend == spend
    assert spend_key.current_requests == len(costs)


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-11-27T14:00:00Z", datetime(2026, 11, 27, 14, tzinfo=UTC)),
        ("2026-11-27t14:00:00z", datetime(2026, 11, 27, 14, tzinfo=UTC)),
        ("2026-11-27T15:00:00+01:00", datetime(2026, 11, 27, 14, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2026-11-27T14:00:00.123456789Z", datetime(2026, 11, 27, 14, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_every_rfc3339_form_the_spec_admits_is_read_as_an_instant(text: str, instant: datetime) -> None:
    assert rfc3339_instant(text) == instant
