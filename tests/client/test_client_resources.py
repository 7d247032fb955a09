"""The resource-style clients: LavaClient().spend_keys.create(...) and its async twin, AsyncLavaClient.

Answers come from an httpx.MockTransport, as in tests/client/test_client_surface.py, so each test sees exactly
the requests a method sends. The methods are generated (openapi/templates/endpoint_init.py.jinja and
api_init.py.jinja): the last tests here generate from a changed spec, and run mypy over a user's code.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from lava_client import (
    AuthenticatedClient,
    InternalServerError,
    MissingApiKeyError,
    NotFoundError,
)
from lava_client.client import DEFAULT_BASE_URL
from lava_client.v0 import AsyncLavaClient, LavaClient
from lava_client.v0.api.spend_keys import AsyncSpendKeys, SpendKeys, get_spend_key
from lava_client.v0.models import Cycle, RevokeResult, SpendKey, SpendKeyWithSecret, SpendLimit

from lava_spec import SPEC_PATH, load_spec
from lava_spec.versions import API_VERSIONS
from tests.repository import ROOT

SPEC = load_spec()
CANARY_TOKEN = "lava_mk_canary_token_0c4f19"  # noqa: S105 (a canary to search for, not a credential)
CANARY_KEY = "lava_sk_canary_key_93be07"

Answer = Callable[[httpx.Request], httpx.Response]


def spend_key(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "spend_key_id": f"sk_{n}",
        "key_preview": "lava_sk_****",
        "name": f"key-{n}",
        "status": "active",
        "wallet_id": "wal_1",
        "current_spend": "0",
        "current_requests": 0,
        "created_at": "2026-01-02T03:04:05Z",
        **extra,
    }


class Recorder:
    """Answers every request as the reference server would for sk_1, and keeps what was sent."""

    def __init__(self, pages: dict[str | None, dict[str, Any]] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.pages = pages or {None: {"data": [spend_key(1)], "has_more": False}}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        operation = SPEC.router().operation_of(request.method, request.url.path)
        if operation is None:
            return httpx.Response(404, json={"error": {"message": "no such operation", "status": 404}})
        status = operation.success_status
        if operation.operation_id == "list_spend_keys":
            return httpx.Response(status, json=self.pages[request.url.params.get("cursor")])
        if operation.operation_id in SPEC.revealing_operations:
            return httpx.Response(status, json={**spend_key(1), "key": CANARY_KEY})
        if operation.operation_id == "revoke_spend_key":
            return httpx.Response(status, json={"success": True})
        return httpx.Response(status, json=spend_key(1))

    def sent(self) -> list[tuple[str, str, Any]]:
        """(method, path, JSON body or None) of every request, in order."""
        return [
            (
                request.method,
                request.url.path.removeprefix(SPEC.base_path),
                json.loads(request.content) if request.content else None,
            )
            for request in self.requests
        ]


def request_to(operation_id: str, *path_values: str) -> tuple[str, str]:
    """(method, path relative to the base URL) of an operation, its path's parameters filled in order."""
    operation = SPEC.operation(operation_id)
    return operation.method, operation.path_for(
        **dict(zip(operation.path_parameters, path_values, strict=True))
    )


def transport_args(answer: Answer) -> dict[str, Any]:
    return {
        "base_url": SPEC.server_url,
        "token": CANARY_TOKEN,
        "retry_backoff": 0.001,
        "httpx_args": {"transport": httpx.MockTransport(answer)},
    }


def lava(answer: Answer, **options: Any) -> LavaClient:
    return LavaClient(**transport_args(answer), **options)


def async_lava(answer: Answer, **options: Any) -> AsyncLavaClient:
    return AsyncLavaClient(**transport_args(answer), **options)


def test_each_method_sends_its_operations_request_and_returns_its_model() -> None:
    recorder = Recorder()
    keys = lava(recorder).spend_keys

    created = keys.create(name="team-a", spend_limit=SpendLimit(amount="50.00", cycle=Cycle.MONTHLY))
    listed = list(keys.list())
    retrieved = keys.retrieve("sk_1")
    updated = keys.update("sk_1", name="renamed")
    rotated = keys.rotate("sk_1")
    revoked = keys.revoke("sk_1")

    assert recorder.sent() == [
        (
            *request_to("create_spend_key"),
            {"name": "team-a", "spend_limit": {"amount": "50.00", "cycle": "monthly"}},
        ),
        (*request_to("list_spend_keys"), None),
        (*request_to("get_spend_key", "sk_1"), None),
        (*request_to("update_spend_key", "sk_1"), {"name": "renamed"}),
        (*request_to("rotate_spend_key", "sk_1"), None),
        (*request_to("revoke_spend_key", "sk_1"), None),
    ]
    assert isinstance(created, SpendKeyWithSecret)
    assert created.key == CANARY_KEY
    assert [key.spend_key_id for key in listed] == ["sk_1"]
    assert isinstance(listed[0], SpendKey)
    assert isinstance(retrieved, SpendKey)
    assert isinstance(updated, SpendKey)
    assert isinstance(rotated, SpendKeyWithSecret)
    assert revoked == RevokeResult(success=True)


def test_update_sends_only_the_fields_given_and_a_none_limit_as_null() -> None:
    recorder = Recorder()

    lava(recorder).spend_keys.update("sk_1", spend_limit=None, allowed_models=["gpt-4o"])

    assert recorder.sent() == [
        (*request_to("update_spend_key", "sk_1"), {"spend_limit": None, "allowed_models": ["gpt-4o"]})
    ]


def test_list_fetches_a_page_only_when_the_items_before_it_are_used_up() -> None:
    recorder = Recorder(
        {
            None: {"data": [spend_key(1), spend_key(2)], "has_more": True, "next_cursor": "sk_2"},
            "sk_2": {"data": [spend_key(3)], "has_more": False},
        }
    )
    keys = lava(recorder).spend_keys.list(limit=2, wallet_id="wal_1")

    assert recorder.requests == [], "nothing is fetched before the first item is asked for"
    first = next(keys)
    assert (first.spend_key_id, len(recorder.requests)) == ("sk_1", 1)
    assert [key.spend_key_id for key in keys] == ["sk_2", "sk_3"]
    assert [dict(request.url.params) for request in recorder.requests] == [
        {"wallet_id": "wal_1", "limit": "2"},
        {"wallet_id": "wal_1", "cursor": "sk_2", "limit": "2"},
    ]


def test_a_failed_call_raises_the_same_typed_error_as_the_function_without_the_token() -> None:
    def answer(_request: httpx.Request) -> httpx.Response:
        body = {"error": {"message": f"No key for {CANARY_TOKEN}", "code": "not_found", "status": 404}}
        return httpx.Response(404, json=body)

    client = lava(answer)
    with pytest.raises(NotFoundError) as from_method:
        client.spend_keys.retrieve("sk_404")
    with pytest.raises(NotFoundError) as from_function:
        get_spend_key.sync("sk_404", client=client)

    assert str(from_method.value) == str(from_function.value)
    assert CANARY_TOKEN not in f"{from_method.value} {from_method.value!r}"
    assert from_method.value.code == "not_found"


def test_per_call_options_reach_the_request_idempotency_key_timeout_and_max_retries() -> None:
    recorder = Recorder()
    keys = lava(recorder).spend_keys

    keys.create(name="a", idempotency_key="create-once")
    keys.rotate("sk_1", idempotency_key="rotate-once", timeout=httpx.Timeout(7.0))
    keys.create(name="b")

    create, rotate, unnamed = recorder.requests
    assert create.headers["Idempotency-Key"] == "create-once"
    assert rotate.headers["Idempotency-Key"] == "rotate-once"
    assert rotate.extensions["timeout"] == httpx.Timeout(7.0).as_dict()
    assert unnamed.headers["Idempotency-Key"] not in {"create-once", "rotate-once"}

    attempts: list[httpx.Request] = []

    def unavailable(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        return httpx.Response(503)

    with pytest.raises(InternalServerError):
        lava(unavailable, max_retries=3).spend_keys.retrieve("sk_1", max_retries=0)
    assert len(attempts) == 1


def test_the_async_client_awaits_each_call_and_iterates_every_page_with_async_for() -> None:
    recorder = Recorder(
        {
            None: {"data": [spend_key(1)], "has_more": True, "next_cursor": "sk_1"},
            "sk_1": {"data": [spend_key(2)], "has_more": False},
        }
    )

    async def tour() -> tuple[str, list[str], bool]:
        async with async_lava(recorder) as client:
            created = await client.spend_keys.create(name="a", idempotency_key="k1")
            listed = [key.spend_key_id async for key in client.spend_keys.list()]
            await client.spend_keys.update("sk_1", name="b")
            await client.spend_keys.retrieve("sk_1")
            await client.spend_keys.rotate("sk_1")
            revoked = await client.spend_keys.revoke("sk_1")
            return created.key, listed, revoked.success

    assert asyncio.run(tour()) == (CANARY_KEY, ["sk_1", "sk_2"], True)
    assert [(method, path) for method, path, _ in recorder.sent()] == [
        request_to("create_spend_key"),
        request_to("list_spend_keys"),
        request_to("list_spend_keys"),
        request_to("update_spend_key", "sk_1"),
        request_to("get_spend_key", "sk_1"),
        request_to("rotate_spend_key", "sk_1"),
        request_to("revoke_spend_key", "sk_1"),
    ]


def test_an_async_failure_raises_the_typed_error() -> None:
    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"message": "gone", "code": "not_found", "status": 404}})

    async def retrieve() -> None:
        await async_lava(answer).spend_keys.retrieve("sk_1")

    with pytest.raises(NotFoundError):
        asyncio.run(retrieve())


@pytest.mark.parametrize("client_class", [LavaClient, AsyncLavaClient])
def test_the_clients_reprs_never_show_the_token(client_class: type[LavaClient | AsyncLavaClient]) -> None:
    client = client_class(token=CANARY_TOKEN, headers={"Authorization": f"Bearer {CANARY_TOKEN}"})

    shown = f"{client!r} {client} {client.spend_keys!r}"

    assert CANARY_TOKEN not in shown
    assert "token='<redacted>'" in shown


@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_token_is_refused_when_the_client_is_made(token: str) -> None:
    with pytest.raises(MissingApiKeyError, match=r"token is empty: pass your Lava secret key as token="):
        LavaClient(token=token)


def test_the_clients_take_what_authenticatedclient_takes_and_default_to_the_production_url() -> None:
    client = LavaClient(token=CANARY_TOKEN, timeout=httpx.Timeout(3.0), max_retries=0, headers={"X-A": "1"})

    assert isinstance(client, AuthenticatedClient)
    assert client.max_retries == 0
    assert str(client.get_httpx_client().base_url) == DEFAULT_BASE_URL + "/"
    assert client.get_httpx_client().timeout == httpx.Timeout(3.0)
    assert client.get_httpx_client().headers["X-A"] == "1"
    assert SPEC.server_url == DEFAULT_BASE_URL


def test_from_env_makes_a_resource_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAVA_API_KEY", CANARY_TOKEN)
    monkeypatch.setenv("LAVA_BASE_URL", "http://127.0.0.1:9/v1")

    client = LavaClient.from_env(max_retries=1)
    async_client = AsyncLavaClient.from_env()

    assert isinstance(client, LavaClient)
    assert isinstance(client.spend_keys, SpendKeys)
    assert isinstance(async_client.spend_keys, AsyncSpendKeys)
    assert client.token == CANARY_TOKEN
    assert client.max_retries == 1
    assert str(client.get_httpx_client().base_url) == "http://127.0.0.1:9/v1/"


def test_the_context_manager_closes_the_connections() -> None:
    with lava(Recorder()) as client:
        client.spend_keys.retrieve("sk_1")
    assert client.get_httpx_client().is_closed


def test_each_version_package_exports_both_clients() -> None:
    for version in API_VERSIONS:
        package = importlib.import_module(f"lava_client.{version}")
        assert set(package.__all__) == {"AsyncLavaClient", "LavaClient"}, version


def method_name(operation_id: str) -> str:
    """What the templates promise: the operationId less its resource; get is retrieve (the Node SDK's)."""
    name = re.sub(r"_spend_keys?$", "", operation_id)
    return {"get": "retrieve"}.get(name, name)


def test_every_operation_of_the_spec_is_a_method_of_both_resources_and_nothing_else_is() -> None:
    expected = {method_name(operation_id) for operation_id in SPEC.operations}

    assert len(expected) == len(SPEC.operations), "two operations would share a method name"
    assert expected == {"create", "list", "retrieve", "update", "revoke", "rotate"}
    for resource in (SpendKeys, AsyncSpendKeys):
        methods = {name for name, _ in inspect.getmembers(resource, inspect.isfunction)}
        assert methods - {"__init__"} == expected, resource


def test_every_request_body_field_is_a_keyword_only_parameter_of_its_method() -> None:
    for method, operation_id in (("create", "create_spend_key"), ("update", "update_spend_key")):
        schema = SPEC.operation(operation_id).request_schema
        assert schema is not None, operation_id
        for resource in (SpendKeys, AsyncSpendKeys):
            parameters = inspect.signature(getattr(resource, method)).parameters
            keyword_only = {
                name for name, parameter in parameters.items() if parameter.kind is parameter.KEYWORD_ONLY
            }
            required = {
                name for name, parameter in parameters.items() if parameter.default is inspect.Parameter.empty
            }
            fields = set(SPEC.properties(schema))
            assert fields <= keyword_only, (resource, method)
            assert required & fields == SPEC.required(schema), (resource, method)


ADDED_OPERATIONS = """
  /manage/spend_keys/{id}/pause:
    parameters:
      - $ref: '#/components/parameters/SpendKeyId'
    post:
      operationId: pause_spend_key
      summary: Pause a spend key
      tags: [Spend Keys]
      responses:
        '200':
          description: Paused
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/SpendKey'
  /manage/wallets/{id}:
    get:
      operationId: get_wallet
      summary: Get a wallet
      tags: [Wallets]
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
      responses:
        '200':
          description: The wallet
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/RevokeResult'
"""


def test_an_operation_and_a_tag_added_to_the_spec_appear_as_methods_without_a_hand_edit(
    tmp_path: Path,
) -> None:
    spec_text = SPEC_PATH.read_text()
    spec = tmp_path / "lava.yaml"
    spec.write_text(spec_text.replace("\npaths:\n", "\npaths:" + ADDED_OPERATIONS, 1))
    package = tmp_path / "out" / "lava_client"

    generated = subprocess.run(  # noqa: S603 - our own script
        [
            sys.executable,
            str(ROOT / "scripts" / "generate.py"),
            "--spec",
            f"v0={spec}",
            "--output-dir",
            str(package),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert generated.returncode == 0, generated.stderr

    probe = textwrap.dedent("""
        import inspect
        import lava_client
        from lava_client.v0 import AsyncLavaClient, LavaClient
        client = LavaClient(token="t")
        print(lava_client.__file__)
        print(inspect.signature(client.spend_keys.pause))
        print(inspect.signature(client.wallets.retrieve))
        print(inspect.iscoroutinefunction(AsyncLavaClient(token="t").wallets.retrieve))
    """)
    environment = {**os.environ, "PYTHONPATH": str(package.parent)}
    result = subprocess.run(  # noqa: S603 - the package just generated
        [sys.executable, "-c", probe],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    imported, pause, wallet, is_async = result.stdout.splitlines()
    assert imported == str(package / "__init__.py"), "the probe must import the package just generated"
    assert pause.startswith("(id: str, *, max_retries: int | None = None, timeout: httpx.Timeout")
    assert pause.endswith(") -> lava_client.v0.models.spend_key.SpendKey")
    assert wallet.startswith("(id: str, *, max_retries")
    assert wallet.endswith("-> lava_client.v0.models.revoke_result.RevokeResult")
    assert is_async == "True"


USER_CODE_OK = """
import asyncio

from lava_client.v0 import AsyncLavaClient, LavaClient
from lava_client.v0.models import Cycle, SpendKey, SpendKeyWithSecret, SpendLimit

with LavaClient.from_env() as client:
    created: SpendKeyWithSecret = client.spend_keys.create(
        name="team-a", spend_limit=SpendLimit(amount="5", cycle=Cycle.DAILY), idempotency_key="once"
    )
    every: list[SpendKey] = list(client.spend_keys.list(limit=50))
    client.spend_keys.update(created.spend_key_id, name="team-b", spend_limit=None, max_retries=0)
    assert client.spend_keys.revoke(created.spend_key_id, timeout=3.0).success


async def main() -> None:
    async with AsyncLavaClient(token="lava_sk_x") as client:
        created: SpendKeyWithSecret = await client.spend_keys.rotate("sk_1")
        names: list[str] = [key.name async for key in client.spend_keys.list()]
        print(created.spend_key_id, names)


asyncio.run(main())
"""

USER_CODE_WRONG = """
from lava_client.v0 import LavaClient
from lava_client.v0.models import SpendKey

client = LavaClient.from_env()
client.spend_keys.create(nmae="x")
client.spend_keys.update("sk_1", spend_limit="50.00")
key: SpendKey = client.spend_keys.retrieve()
"""


def test_mypy_strict_catches_a_misspelt_or_mistyped_field_in_a_users_code_and_passes_a_correct_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "user_ok.py").write_text(USER_CODE_OK)
    (tmp_path / "user_wrong.py").write_text(USER_CODE_WRONG)

    result = subprocess.run(  # noqa: S603 - the venv's own mypy
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "cache"),
            "user_ok.py",
            "user_wrong.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert result.returncode == 1, result.stdout + result.stderr
    assert all(line.startswith("user_wrong.py:") for line in errors), result.stdout
    assert 'user_wrong.py:6: error: Unexpected keyword argument "nmae" for "create" of "SpendKeys"' in (
        result.stdout
    )
    assert (
        'user_wrong.py:7: error: Argument "spend_limit" to "update" of "SpendKeys" has incompatible type '
        '"str"; expected "SpendLimit | Unset | None"'
    ) in result.stdout
    assert 'user_wrong.py:8: error: Missing positional argument "id" in call to "retrieve"' in result.stdout
    assert len(errors) == 3, result.stdout
