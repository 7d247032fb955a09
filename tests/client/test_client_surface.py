"""What lava_client offers besides retries: its error tree, its exports, configuration, and secrets kept out.

Answers come from an httpx.MockTransport, so each test can give exactly the answer it is about (an echoed
token, an HTML 502, a status HTTPStatus does not know, a broken page of a list). Retries against a real
server are tests/client/test_client_resilience.py's business.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import re
import tomllib
from collections.abc import Callable
from typing import Any

import httpx
import lava_client
import pytest
from lava_client import (
    APIStatusError,
    AuthenticatedClient,
    AuthenticationError,
    ConfigurationError,
    InternalServerError,
    LavaError,
    MissingApiKeyError,
    PaginationError,
    errors,
)
from lava_client.client import DEFAULT_BASE_URL, USER_AGENT
from lava_client.v0.api.spend_keys import get_spend_key, list_spend_keys, rotate_spend_key
from lava_client.v0.models import Error

from lava_spec import load_spec
from tests.repository import ROOT

SPEC = load_spec()
CANARY_TOKEN = "lava_mk_canary_token_5a9e21"  # noqa: S105 (a canary to search for, not a credential)
CANARY_KEY = "lava_sk_canary_key_77c3d0"


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


def client_for(answer: Callable[[httpx.Request], httpx.Response], **options: Any) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=SPEC.server_url,
        token=CANARY_TOKEN,
        retry_backoff=0.001,
        httpx_args={"transport": httpx.MockTransport(answer)},
        **options,
    )


def test_the_exception_tree_in_the_docstring_is_the_class_hierarchy() -> None:
    doc = errors.__doc__ or ""
    tree = [line for line in doc.splitlines() if re.search(r"(LavaError|[├└]── )", line)]
    parents: list[tuple[int, str]] = []
    drawn: dict[str, str | None] = {}
    for line in tree:
        match = re.search(r"(\w+)", line.replace("├──", "").replace("└──", "").replace("│", ""))
        assert match is not None
        name = match.group(1)
        depth = line.index(name)
        while parents and parents[-1][0] >= depth:
            parents.pop()
        drawn[name] = parents[-1][1] if parents else None
        parents.append((depth, name))

    error_classes = {
        name: value
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, LavaError)
    }
    assert set(drawn) == set(error_classes)
    for name, parent in drawn.items():
        expected = Exception if parent is None else error_classes[parent]
        assert error_classes[name].__bases__ == (expected,), name


def test_every_error_status_the_spec_documents_has_a_class_of_its_own() -> None:
    documented = {
        status for operation in SPEC.operations.values() for status in operation.responses if status >= 400
    }

    assert documented
    for status in documented:
        assert errors.error_class(status) is not APIStatusError, status
        assert errors.error_class(status).__name__.endswith("Error")
    for status in (500, 502, 503, 599):
        assert errors.error_class(status) is InternalServerError
    for status in (402, 408, 409, 418):
        assert errors.error_class(status) is APIStatusError


def test_the_package_exports_a_complete_sorted_all() -> None:
    exported = list(lava_client.__all__)
    assert exported == sorted(exported)
    public = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, LavaError)
    }
    assert public <= set(exported)
    assert {"AuthenticatedClient", "Client", "__version__"} <= set(exported)
    for name in exported:
        assert hasattr(lava_client, name), name


def test_the_user_agent_names_the_package_and_the_projects_version() -> None:
    # The lava-client distribution's own pyproject (generated/), not the development environment's.
    project = tomllib.loads((ROOT / "generated" / "pyproject.toml").read_text())["project"]
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=spend_key(1))

    get_spend_key.sync("sk_1", client=client_for(answer))
    get_spend_key.sync("sk_1", client=client_for(answer, headers={"user-agent": "mine/1"}))

    assert lava_client.__version__ == project["version"] == importlib.metadata.version("lava-client")
    assert seen[0].headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith(f"lava-client/{project['version']} ")
    assert seen[1].headers.get_list("user-agent") == ["mine/1"]


def test_timeouts_are_on_by_default_and_can_be_changed() -> None:
    default = AuthenticatedClient(base_url=DEFAULT_BASE_URL, token=CANARY_TOKEN)
    assert default.get_httpx_client().timeout == httpx.Timeout(60.0, connect=5.0)
    own = AuthenticatedClient(base_url=DEFAULT_BASE_URL, token=CANARY_TOKEN, timeout=httpx.Timeout(3.0))
    assert own.get_httpx_client().timeout == httpx.Timeout(3.0)


def test_from_env_reads_the_key_and_the_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAVA_API_KEY", CANARY_TOKEN)
    monkeypatch.setenv("LAVA_BASE_URL", "http://127.0.0.1:9/v1")

    client = AuthenticatedClient.from_env(max_retries=0)

    assert client.token == CANARY_TOKEN
    assert str(client.get_httpx_client().base_url) == "http://127.0.0.1:9/v1/"
    assert client.max_retries == 0

    monkeypatch.delenv("LAVA_BASE_URL")
    assert str(AuthenticatedClient.from_env().get_httpx_client().base_url) == DEFAULT_BASE_URL + "/"
    assert SPEC.server_url == DEFAULT_BASE_URL


@pytest.mark.parametrize("value", [None, "", "   "])
def test_from_env_without_a_key_says_which_variable_to_set(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("LAVA_API_KEY", raising=False)
    else:
        monkeypatch.setenv("LAVA_API_KEY", value)

    with pytest.raises(MissingApiKeyError, match=r"LAVA_API_KEY is not set: export LAVA_API_KEY="):
        AuthenticatedClient.from_env()


@pytest.mark.parametrize("base_url", ["api.lava.so/v1", "ftp://api.lava.so/v1"])
def test_from_env_refuses_a_base_url_that_is_not_http(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    monkeypatch.setenv("LAVA_API_KEY", CANARY_TOKEN)
    monkeypatch.setenv("LAVA_BASE_URL", base_url)

    with pytest.raises(
        ConfigurationError, match=r"LAVA_BASE_URL must be an http:// or https:// URL"
    ) as raised:
        AuthenticatedClient.from_env()

    assert CANARY_TOKEN not in str(raised.value)


@pytest.mark.parametrize("bad", [{"max_retries": -1}, {"retry_backoff": -0.5}, {"max_retry_wait": 0}])
def test_unusable_retry_settings_are_refused_when_the_client_is_made(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        AuthenticatedClient(base_url=DEFAULT_BASE_URL, token=CANARY_TOKEN, **bad)


def test_an_echoed_token_never_reaches_the_message_of_an_error() -> None:
    def answer(_request: httpx.Request) -> httpx.Response:
        body = {
            "error": {"message": f"Invalid API key {CANARY_TOKEN}", "code": "unauthorized", "status": 401}
        }
        return httpx.Response(401, json=body, headers={"X-Request-Id": "req_42"})

    with pytest.raises(AuthenticationError) as raised:
        get_spend_key.sync("sk_1", client=client_for(answer))

    shown = f"{raised.value} {raised.value!r} {raised.value.args}"
    assert CANARY_TOKEN not in shown
    assert "Invalid API key <redacted>" in str(raised.value)
    assert raised.value.request_id == "req_42"
    assert raised.value.code == "unauthorized"


def test_nothing_the_client_logs_while_retrying_holds_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    answers = iter([httpx.Response(503), httpx.Response(429, headers={"Retry-After": "0"})])

    def answer(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or httpx.Response(
            200, json={**spend_key(1), "key": CANARY_KEY}, request=request
        )

    with caplog.at_level(logging.DEBUG):
        rotated = rotate_spend_key.sync("sk_1", client=client_for(answer))

    assert rotated.key == CANARY_KEY
    assert caplog.records, "retries should be logged"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert CANARY_TOKEN not in logged
    assert CANARY_KEY not in logged
    assert CANARY_KEY not in repr(rotated)


def test_an_error_body_that_is_not_the_envelope_still_raises_the_typed_error() -> None:
    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"})

    with pytest.raises(InternalServerError) as raised:
        get_spend_key.sync("sk_1", client=client_for(answer, max_retries=1))

    assert raised.value.status_code == 502
    assert raised.value.error is None
    assert raised.value.content == b"<html>Bad Gateway</html>"
    assert "<html>" not in str(raised.value)


@pytest.mark.parametrize("status", [299, 418, 599])
def test_a_status_that_httpstatus_does_not_know_raises_instead_of_crashing(status: int) -> None:
    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={})

    with pytest.raises(APIStatusError) as raised:
        get_spend_key.sync("sk_1", client=client_for(answer, max_retries=0))

    assert raised.value.status_code == status
    detailed = get_spend_key.sync_detailed("sk_1", client=client_for(answer, max_retries=0))
    assert int(detailed.status_code) == status
    assert detailed.parsed is None


def test_the_detailed_functions_still_return_error_answers_and_do_not_raise() -> None:
    def answer(_request: httpx.Request) -> httpx.Response:
        body = {"error": {"message": "No such key", "code": "not_found", "status": 404}}
        return httpx.Response(404, json=body)

    response = get_spend_key.sync_detailed("sk_1", client=client_for(answer))

    assert response.status_code == 404
    assert isinstance(response.parsed, Error)


def pages_answer(pages: dict[str | None, dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.params.get("cursor")])

    return answer


@pytest.mark.parametrize(
    ("pages", "complaint"),
    [
        ({None: {"data": [spend_key(1)], "has_more": True}}, "gives no next_cursor"),
        ({None: {"data": [spend_key(1)], "has_more": True, "next_cursor": None}}, "gives no next_cursor"),
        (
            {
                None: {"data": [spend_key(1)], "has_more": True, "next_cursor": "c1"},
                "c1": {"data": [spend_key(2)], "has_more": True, "next_cursor": "c1"},
            },
            "fetch the same page forever",
        ),
    ],
)
def test_a_page_that_cannot_be_followed_raises_a_pagination_error_after_its_items(
    pages: dict[str | None, dict[str, Any]], complaint: str
) -> None:
    client = client_for(pages_answer(pages))
    seen: list[str] = []

    with pytest.raises(PaginationError, match=complaint):
        seen.extend(key.spend_key_id for key in list_spend_keys.sync_iter(client=client))

    assert seen == [f"sk_{n}" for n in range(1, len(pages) + 1)]


def test_async_iteration_follows_next_cursor_until_has_more_is_false() -> None:
    pages: dict[str | None, dict[str, Any]] = {
        None: {"data": [spend_key(1), spend_key(2)], "has_more": True, "next_cursor": "sk_2"},
        "sk_2": {"data": [], "has_more": True, "next_cursor": "sk_2b"},
        "sk_2b": {"data": [spend_key(3)], "has_more": False, "next_cursor": None},
    }
    client = client_for(pages_answer(pages))

    async def collect() -> list[str]:
        return [key.spend_key_id async for key in list_spend_keys.asyncio_iter(client=client)]

    assert asyncio.run(collect()) == ["sk_1", "sk_2", "sk_3"]
