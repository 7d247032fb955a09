"""Staging-like conditions behave like a real, shared staging server and still keep to the contract.

Each condition is switched on alone, except where a test shows how they combine. Every management
answer these tests read through `Api` is checked against the spec (`checked`), 429s included, so
each behaviour test also shows that the condition stays within the contract.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests import reference_server
from contract_tests.reference_server import (
    STAGING_LIKE,
    StagingConditions,
    create_app,
    dev_token,
    running_server,
)
from contract_tests.reference_server.__main__ import main
from contract_tests.reference_server.runner import server_process
from lava_spec import API_VERSIONS, load_spec, spec_path
from tests.reference_server.api import (
    AUTH,
    AUTH_A,
    AUTH_B,
    COLLECTION,
    RELATIVE_COLLECTION,
    SPEC,
    TOKEN_A,
    TOKEN_A2,
    TOKEN_B,
    Api,
    TestClient,
    bearer,
    checked,
    error_of,
    item,
    rotate_path,
)

ROOT = Path(__file__).resolve().parents[2]
WALLETS = {TOKEN_A: "wallet_a", TOKEN_A2: "wallet_a", TOKEN_B: "wallet_b"}
AUTH_A2 = bearer(TOKEN_A2)
EXTRA = {"request_shape": "openai", "total_spend": "0", "total_requests": 0}
# Every property the spec declares for a spend key in an answer.
DECLARED = SPEC.spend_key_fields


def staged(conditions: StagingConditions, *, fault: str | None = None) -> TestClient:
    return TestClient(create_app(WALLETS, staging=conditions, fault=fault))


# --- off by default ------------------------------------------------------------------------------------


def test_every_condition_is_off_by_default() -> None:
    assert StagingConditions() == StagingConditions(
        preexisting_keys=0,
        throttle_every=0,
        retry_after_seconds=1,
        slow_seconds=0.0,
        slow_operation="list_spend_keys",
        undeclared_fields={},
    )
    assert inspect.signature(create_app).parameters["staging"].default is None


@pytest.mark.parametrize("staging", [None, StagingConditions()], ids=["none", "all-off"])
def test_a_server_without_conditions_has_no_keys_no_throttle_and_no_extra_fields(
    staging: StagingConditions | None,
) -> None:
    api = Api(TestClient(create_app(WALLETS, staging=staging)), AUTH_A)
    assert api.all_ids() == []
    created = api.created()
    assert set(created) <= DECLARED
    for _ in range(60):
        response = api.get(created["spend_key_id"])
        assert response.status_code == 200
        assert set(response.json()) <= DECLARED


# --- preexisting keys ----------------------------------------------------------------------------------


def test_preexisting_keys_are_listed_in_every_wallet_and_in_no_other() -> None:
    client = staged(StagingConditions(preexisting_keys=3))
    listed = {}
    for wallet_id, auth in (("wallet_a", AUTH_A), ("wallet_b", AUTH_B)):
        page = Api(client, auth).list_page().json()
        assert [key["name"] for key in page["data"]] == ["preexisting-1", "preexisting-2", "preexisting-3"]
        assert {key["wallet_id"] for key in page["data"]} == {wallet_id}
        listed[wallet_id] = [key["spend_key_id"] for key in page["data"]]
    assert not set(listed["wallet_a"]) & set(listed["wallet_b"])
    # A second token of the same wallet sees the same keys; another wallet cannot reach them.
    assert Api(client, AUTH_A2).all_ids() == listed["wallet_a"]
    for spend_key_id in listed["wallet_a"]:
        assert Api(client, AUTH_B).get(spend_key_id).status_code == 404


def test_preexisting_keys_have_settings_no_raw_key_and_come_before_new_keys() -> None:
    api = Api(staged(StagingConditions(preexisting_keys=2)), AUTH_A)
    for spend_key in api.list_page().json()["data"]:
        assert "key" not in spend_key
        assert spend_key["spend_limit"]["amount"]
        assert spend_key["allowed_models"]
        assert spend_key["status"] == "active"
        assert (spend_key["current_spend"], spend_key["current_requests"]) == ("0", 0)
    created = api.created()
    assert api.all_ids()[-1] == created["spend_key_id"]
    assert len(api.all_ids()) == 3


def test_preexisting_keys_can_be_managed_like_any_other() -> None:
    api = Api(staged(StagingConditions(preexisting_keys=1)), AUTH_A)
    [spend_key_id] = api.all_ids()
    assert api.update(spend_key_id, {"name": "renamed"}).json()["name"] == "renamed"
    assert api.rotate(spend_key_id).status_code == 200
    assert api.revoke(spend_key_id).status_code == 200
    assert api.all_ids() == []


# --- throttling ----------------------------------------------------------------------------------------


def _assert_throttled(response: httpx.Response, retry_after: int) -> None:
    checked(response)
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert response.headers["Retry-After"] == str(retry_after)
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Limit"] == "1000"
    assert int(response.headers["X-RateLimit-Reset"]) >= time.time()


def test_every_nth_request_per_token_is_a_429_with_retry_after_and_the_next_one_succeeds() -> None:
    api = Api(staged(StagingConditions(throttle_every=3, retry_after_seconds=7)), AUTH_A)
    assert api.create().status_code == 201
    assert api.list_page().status_code == 200
    _assert_throttled(api.create(), retry_after=7)
    page = api.list_page()
    assert page.status_code == 200
    assert len(page.json()["data"]) == 1
    assert api.create().status_code == 201
    _assert_throttled(api.create(), retry_after=7)
    assert len(api.all_ids()) == 2


def _operations(spend_key_id: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        "create_spend_key": ("POST", COLLECTION, {"json": {"name": "new"}}),
        "list_spend_keys": ("GET", COLLECTION, {}),
        "get_spend_key": ("GET", item(spend_key_id), {}),
        "update_spend_key": ("PUT", item(spend_key_id), {"json": {"name": "renamed", "status": "paused"}}),
        "revoke_spend_key": ("DELETE", item(spend_key_id), {}),
        "rotate_spend_key": ("POST", rotate_path(spend_key_id), {}),
    }


@pytest.mark.parametrize("operation", list(_operations("sk_x")))
def test_a_throttled_request_to_any_operation_changes_nothing(operation: str) -> None:
    client = staged(StagingConditions(throttle_every=3))
    # Set up with a second token of the wallet, which has a count of its own.
    created = Api(client, AUTH_A2).created()
    api = Api(client, AUTH_A)
    before = api.get(created["spend_key_id"]).json()
    listed = api.list_page().json()
    method, path, kwargs = _operations(created["spend_key_id"])[operation]
    _assert_throttled(api.request(method, path, **kwargs), retry_after=1)
    # The fourth and fifth requests of this token: nothing was created, changed, rotated or revoked.
    assert api.get(created["spend_key_id"]).json() == before
    assert api.list_page().json() == listed
    assert api.proxy(created["key"], json={"model": "m"}).status_code == 200


def test_a_throttled_create_with_an_idempotency_key_is_not_replayed_later() -> None:
    api = Api(staged(StagingConditions(throttle_every=2)), AUTH_A)
    assert api.list_page().status_code == 200
    headers = {"Idempotency-Key": "once"}
    _assert_throttled(api.create(headers=headers), retry_after=1)
    retried = api.create(headers=headers)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers


def test_the_count_is_kept_per_token() -> None:
    client = staged(StagingConditions(throttle_every=3))
    tokens = [Api(client, auth) for auth in (AUTH_A, AUTH_A2, AUTH_B)]
    for _ in range(2):
        for api in tokens:
            assert api.list_page().status_code == 200
    for api in tokens:
        _assert_throttled(api.list_page(), retry_after=1)


def test_requests_that_route_nowhere_fail_authentication_or_go_to_the_proxy_are_not_counted() -> None:
    client = staged(StagingConditions(throttle_every=2))
    api = Api(client, AUTH_A)
    created = api.created()  # the first counted request
    for _ in range(5):
        assert client.get(COLLECTION).status_code == 401
        assert client.get(COLLECTION, headers=bearer("no_such_token")).status_code == 401
        assert client.patch(COLLECTION, headers=AUTH_A).status_code == 405
        assert client.get(f"{COLLECTION}/a/b", headers=AUTH_A).status_code == 404
        assert client.get("/v1/elsewhere", headers=AUTH_A).status_code == 404
        assert api.proxy(created["key"], json={"model": "m"}).status_code == 200
    _assert_throttled(api.list_page(), retry_after=1)


# --- a slow operation ----------------------------------------------------------------------------------

SLOW_SECONDS = 0.4


async def _timed(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> tuple[float, float]:
    """Return when the request started and when its answer was in, after checking it against the spec."""
    started = time.monotonic()
    checked(await client.request(method, url, **kwargs))
    return started, time.monotonic()


def test_the_slow_operation_takes_longer_while_other_requests_are_served_meanwhile() -> None:
    app = create_app(WALLETS, staging=StagingConditions(slow_seconds=SLOW_SECONDS))

    async def race(base_url: str) -> tuple[tuple[float, float], list[tuple[float, float]]]:
        async with httpx.AsyncClient(headers=AUTH_A) as client:
            slow = asyncio.create_task(_timed(client, "GET", f"{base_url}{RELATIVE_COLLECTION}"))
            await asyncio.sleep(0.05)
            fast = [
                await _timed(client, "POST", f"{base_url}{RELATIVE_COLLECTION}", json={"name": "k"}),
                await _timed(client, "GET", f"{base_url}{RELATIVE_COLLECTION}/sk_none"),
            ]
            return await slow, fast

    with running_server(app) as base_url:
        (slow_start, slow_end), fast = asyncio.run(race(base_url))
    assert slow_end - slow_start >= SLOW_SECONDS
    for _fast_start, fast_end in fast:
        # Answered while the slow request was still waiting: the wait blocks nothing else.
        assert fast_end < slow_end


def test_only_the_named_operation_is_slow() -> None:
    api = Api(staged(StagingConditions(slow_seconds=0.25, slow_operation="get_spend_key")), AUTH_A)
    started = time.monotonic()
    created = api.created()
    api.list_page()
    assert time.monotonic() - started < 0.25
    started = time.monotonic()
    assert api.get(created["spend_key_id"]).status_code == 200
    assert time.monotonic() - started >= 0.25


def test_a_slow_operation_that_the_spec_does_not_have_is_a_value_error_naming_the_operations() -> None:
    with pytest.raises(ValueError, match="'list_keys' is no operationId") as raised:
        create_app(staging=StagingConditions(slow_seconds=1, slow_operation="list_keys"))
    assert "list_spend_keys" in str(raised.value)
    assert "rotate_spend_key" in str(raised.value)


# --- undeclared fields ---------------------------------------------------------------------------------


def test_every_spend_key_in_every_answer_carries_the_undeclared_fields_and_stays_valid() -> None:
    api = Api(staged(StagingConditions(undeclared_fields=EXTRA)), AUTH_A)
    created = api.created(headers={"Idempotency-Key": "k1"})
    replayed = api.create(headers={"Idempotency-Key": "k1"})
    assert replayed.headers["Idempotent-Replayed"] == "true"
    spend_key_id = created["spend_key_id"]
    answers = [
        created,
        replayed.json(),
        api.get(spend_key_id).json(),
        api.update(spend_key_id, {"name": "renamed"}).json(),
        api.rotate(spend_key_id).json(),
        *api.list_page().json()["data"],
    ]
    for spend_key in answers:
        assert {name: spend_key[name] for name in EXTRA} == EXTRA
        assert spend_key["spend_key_id"] == spend_key_id
    assert api.revoke(spend_key_id).json() == {"success": True}
    assert api.get(spend_key_id).json().keys() == {"error"}


def test_the_proxy_answer_gets_no_undeclared_fields() -> None:
    api = Api(staged(StagingConditions(undeclared_fields=EXTRA)), AUTH_A)
    answer = api.proxy(api.created()["key"], json={"model": "m"}).json()
    assert not set(EXTRA) & set(answer)


@pytest.mark.parametrize("name", ["name", "key", "spend_limit", "last_used_at"])
def test_a_field_the_spec_declares_cannot_be_sent_as_undeclared(name: str) -> None:
    with pytest.raises(ValueError, match=f"fields the spec declares for a spend key: {name}"):
        create_app(staging=StagingConditions(undeclared_fields={name: "x"}))


def test_undeclared_fields_are_a_read_only_copy_and_the_conditions_stay_hashable() -> None:
    source: dict[str, object] = {"tags": ["a"]}
    conditions = StagingConditions(undeclared_fields=source)
    source["tags"] = ["b"]
    source["more"] = 1
    assert dict(conditions.undeclared_fields) == {"tags": ["a"]}
    with pytest.raises(TypeError):
        conditions.undeclared_fields["more"] = 1  # type: ignore[index]
    assert hash(conditions) == hash(StagingConditions(undeclared_fields={"tags": ["a"]}))


def test_each_spend_key_gets_its_own_copy_of_a_mutable_value() -> None:
    api = Api(staged(StagingConditions(undeclared_fields={"tags": ["a"]})), AUTH_A)
    api.created()
    api.created()
    assert [key["tags"] for key in api.list_page().json()["data"]] == [["a"], ["a"]]


# --- checks, the preset, and combining ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"preexisting_keys": -1},
        {"throttle_every": -1},
        {"throttle_every": 1},
        {"retry_after_seconds": -1},
        {"slow_seconds": -0.5},
        {"slow_seconds": float("nan")},
        {"slow_seconds": float("inf")},
        {"slow_operation": ""},
        {"undeclared_fields": {"": 1}},
        {"undeclared_fields": {"when": object()}},
        {"undeclared_fields": {"ratio": float("nan")}},
    ],
)
def test_unusable_conditions_are_a_value_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        StagingConditions(**kwargs)


def test_the_preset_is_exactly_the_documented_one_and_is_exported() -> None:
    assert reference_server.STAGING_LIKE is STAGING_LIKE
    assert reference_server.StagingConditions is StagingConditions
    documented = StagingConditions(
        preexisting_keys=5,
        throttle_every=25,
        retry_after_seconds=1,
        slow_seconds=0.5,
        slow_operation="list_spend_keys",
        undeclared_fields={
            "request_shape": "openai",
            "total_spend": "0",
            "total_requests": 0,
            "metadata": {},
        },
    )
    assert documented == STAGING_LIKE


def test_the_preset_and_a_fault_combine() -> None:
    client = staged(
        StagingConditions(preexisting_keys=2, throttle_every=4, undeclared_fields=EXTRA),
        fault="missing_key_preview",
    )
    api = Api(client, AUTH_A, check=False)
    page = api.list_page().json()["data"]
    assert [key["name"] for key in page] == ["preexisting-1", "preexisting-2"]
    assert all("key_preview" not in key and key["request_shape"] == "openai" for key in page)
    api.list_page()
    api.list_page()
    _assert_throttled(api.list_page(), retry_after=1)


# --- the command line ----------------------------------------------------------------------------------


def test_the_command_line_builds_the_preset_only_with_staging_like(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[StagingConditions | None] = []

    def create_app_spy(
        _wallets: dict[str, str],
        *,
        fault: str | None = None,
        staging: StagingConditions | None = None,
        **_options: object,
    ) -> None:
        del fault
        built.append(staging)
        raise ValueError("stop here")

    monkeypatch.setattr("contract_tests.reference_server.__main__.create_app", create_app_spy)
    for argv in (["--staging-like"], [], ["--staging-like", "--fault", "null_name"]):
        with pytest.raises(SystemExit):
            main(argv, environ={})
    assert built == [STAGING_LIKE, None, STAGING_LIKE]


def test_the_help_documents_staging_like(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"], environ={})
    assert exited.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--staging-like" in help_text
    assert "STAGING_LIKE" in help_text
    assert "list_spend_keys takes 0.5 s longer" in help_text
    assert "every 25th request per token is a 429" in help_text


def test_the_command_line_serves_the_preset_and_says_so() -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LAVA_")}
    with server_process("--staging-like", environ=environment) as served:
        assert "staging-like: 5 preexisting keys per wallet" in served.first_line
        listed = checked(httpx.get(f"{served.base_url}{RELATIVE_COLLECTION}", headers=AUTH))
        assert [key["name"] for key in listed.json()["data"]] == [f"preexisting-{n}" for n in range(1, 6)]
        assert all(key["request_shape"] == "openai" for key in listed.json()["data"])


def test_the_conforming_modules_never_name_the_staging_conditions() -> None:
    # Composed in by create_app (app.py), exported (__init__.py) and switched on (__main__.py) only.
    package = Path(inspect.getfile(reference_server)).parent
    composers = {"__init__.py", "__main__.py", "app.py", "staging.py"}
    for module in package.glob("*.py"):
        if module.name not in composers:
            assert "staging" not in module.read_text(encoding="utf-8").lower(), module.name


@pytest.mark.parametrize("version", API_VERSIONS)
def test_the_preset_serves_every_version_leaving_out_what_its_spec_declares(version: str) -> None:
    spec = load_spec(spec_path(version))
    conditions = STAGING_LIKE.for_spec(spec)
    assert conditions.undeclared_fields
    assert not set(conditions.undeclared_fields) & spec.spend_key_fields
    assert set(conditions.undeclared_fields) <= set(STAGING_LIKE.undeclared_fields)
    # The rest of the preset is kept as it is.
    assert dataclasses.replace(conditions, undeclared_fields=STAGING_LIKE.undeclared_fields) == STAGING_LIKE
    create_app({dev_token(spec): "wallet_1"}, spec_path=spec.path, staging=conditions)
