"""What the spec forbids is rejected with a 4xx and the error envelope, and nothing is created.

Schemathesis draws invalid requests at random and would find these too, given time; the docs name some
constraints explicitly (the 255-character name, the status enum, `limit` at most 100), so each gets a
request of its own here, and a server that lets one through is caught on the first try.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from contract_tests.run import NOT_OURS_ID, named
from contract_tests.spend_key_api import SpendKeyApi

COLLECTION = "/manage/spend_keys"
JSON = {"Content-Type": "application/json"}


def _json(body: object) -> dict[str, Any]:
    return {"content": json.dumps(body).encode(), "headers": JSON}


FORBIDDEN_CREATES: dict[str, dict[str, Any]] = {
    "name missing": _json({"status": "active"}),
    "name empty": _json({"name": ""}),
    "name of 256 characters": _json({"name": named("n" * 256)}),
    "name not a string": _json({"name": 255}),
    "status outside the enum": _json({"name": named("x"), "status": "archived"}),
    "rate_limit.rpm of 0": _json({"name": named("x"), "rate_limit": {"rpm": 0}}),
    "rate_limit.burst of 0": _json({"name": named("x"), "rate_limit": {"rpm": 5, "burst": 0}}),
    "request_limit.count of 0": _json({"name": named("x"), "request_limit": {"count": 0, "cycle": "daily"}}),
    "cycle outside the enum": _json({"name": named("x"), "spend_limit": {"amount": "5", "cycle": "yearly"}}),
    "amount not a decimal string": _json(
        {"name": named("x"), "spend_limit": {"amount": "five", "cycle": "daily"}}
    ),
    "amount as a number": _json({"name": named("x"), "spend_limit": {"amount": 5, "cycle": "daily"}}),
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


@pytest.mark.parametrize("limit", ["101", "1000", "0", "-1", "ten"])
def test_list_rejects_a_limit_outside_1_to_100(spend_key_api: SpendKeyApi, limit: str) -> None:
    _assert_error_envelope(spend_key_api.send("GET", COLLECTION, params={"limit": limit}))


def test_update_rejects_an_over_long_name_and_keeps_the_old_one(spend_key_api: SpendKeyApi) -> None:
    created = spend_key_api.send("POST", COLLECTION, **_json({"name": named("kept")}))
    assert created.status_code == 201
    spend_key_id = created.json()["spend_key_id"]
    path = f"{COLLECTION}/{spend_key_id}"
    _assert_error_envelope(spend_key_api.send("PUT", path, **_json({"name": named("n" * 256)})))
    assert spend_key_api.send("GET", path).json()["name"] == named("kept")


@pytest.mark.parametrize("operation", ["get", "update", "rotate", "revoke"])
def test_an_unknown_id_is_a_404_with_the_envelope(spend_key_api: SpendKeyApi, operation: str) -> None:
    path = f"{COLLECTION}/{NOT_OURS_ID}"
    method, suffix, body = {
        "get": ("GET", "", None),
        "update": ("PUT", "", {"name": named("x")}),
        "rotate": ("POST", "/rotate", None),
        "revoke": ("DELETE", "", None),
    }[operation]
    parts = _json(body) if body is not None else {}
    response = spend_key_api.send(method, path + suffix, **parts)
    assert response.status_code == 404
    _assert_error_envelope(response)
