"""`make contract`'s program, as a user meets it: bad input ends in one sentence and its own exit status,
and a failing run names the problem without printing a token or a raw key anywhere it writes.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import contract  # scripts/contract.py: tests/suite/conftest.py puts scripts/ on the path
import pytest

from contract_tests.reference_server import create_app, running_server
from lava_spec import SpecError
from tests.repository import ROOT

CANARY_TOKEN = "canary_token_0123456789_must_never_be_printed"  # noqa: S105 - a test token
RAW_KEY = re.compile(r"lava_sk_[0-9a-f]{20,}")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def _run_contract(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LAVA_")}
    env.update(environment)
    return subprocess.run(  # noqa: S603 - our own script, run by the venv's interpreter
        [sys.executable, str(ROOT / "scripts" / "contract.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _RawKeyLeak:
    """Wraps the reference server so that `get` also returns the raw key create revealed: a real leak."""

    def __init__(self, app: App) -> None:
        self._app = app
        self.raw_keys: dict[str, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        chunks: list[bytes] = []
        start: Message = {}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self._app(scope, receive, capture)
        body = b"".join(chunks)
        body = self._leak(scope["method"], body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _leak(self, method: str, body: bytes) -> bytes:
        try:
            payload = json.loads(body)
        except ValueError:
            return body
        if not isinstance(payload, dict) or "spend_key_id" not in payload:
            return body
        if method == "POST" and "key" in payload:
            self.raw_keys[payload["spend_key_id"]] = payload["key"]
        elif method == "GET" and payload["spend_key_id"] in self.raw_keys:
            payload["key"] = self.raw_keys[payload["spend_key_id"]]
        return json.dumps(payload).encode()


@pytest.fixture
def leaky_server() -> Iterator[str]:
    with running_server(_RawKeyLeak(create_app({CANARY_TOKEN: "wallet_1"}))) as base_url:
        yield base_url


def test_base_url_without_api_key_is_a_usage_error_that_says_what_to_set() -> None:
    result = _run_contract(LAVA_BASE_URL="http://127.0.0.1:9/v1")
    assert result.returncode == 2
    assert "LAVA_API_KEY" in result.stderr


def test_a_base_url_that_is_not_http_is_a_usage_error() -> None:
    result = _run_contract(LAVA_BASE_URL="api.example/v1", LAVA_API_KEY=CANARY_TOKEN)
    assert result.returncode == 2
    assert "http" in result.stderr
    assert CANARY_TOKEN not in result.stdout + result.stderr


def test_an_unreachable_server_exits_3_and_names_the_url() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    result = _run_contract(LAVA_BASE_URL=url, LAVA_API_KEY=CANARY_TOKEN)
    assert result.returncode == 3
    assert url in result.stderr
    assert CANARY_TOKEN not in result.stdout + result.stderr


def test_a_wrong_token_exits_4_without_printing_it() -> None:
    with running_server(create_app({"the_right_token": "wallet_1"})) as base_url:
        result = _run_contract(LAVA_BASE_URL=base_url, LAVA_API_KEY=CANARY_TOKEN)
    assert result.returncode == 4
    assert "LAVA_API_KEY" in result.stderr
    assert CANARY_TOKEN not in result.stdout + result.stderr


@pytest.mark.parametrize(("rate", "said"), [(None, True), ("0", False)], ids=["default-pace", "no-pace"])
def test_a_paced_run_says_before_it_starts_that_it_takes_minutes_and_how_to_lift_the_pace(
    rate: str | None, *, said: bool
) -> None:
    settings = {"CONTRACT_RATE_LIMIT": rate} if rate is not None else {}
    with running_server(create_app({CANARY_TOKEN: "wallet_1"})) as base_url:
        # No test matches: only the line before the run matters here.
        result = _run_contract(
            "-k", "no_test_has_this_name", LAVA_BASE_URL=base_url, LAVA_API_KEY=CANARY_TOKEN, **settings
        )
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"contract: testing {base_url} as Lava's v0 API"), result.stdout
    assert ("at most 10 requests a second" in first and "CONTRACT_RATE_LIMIT=0" in first) is said


@pytest.mark.parametrize(
    ("variable", "value", "remote"),
    [
        ("CONTRACT_MAX_EXAMPLES", "abc", False),
        ("CONTRACT_SEED", "soon", False),
        ("CONTRACT_PREFLIGHT_TIMEOUT", "abc", True),
    ],
)
def test_a_bad_setting_is_one_usage_verdict_that_names_it_before_any_request(
    variable: str, value: str, *, remote: bool
) -> None:
    target = {"LAVA_BASE_URL": f"http://127.0.0.1:{_closed_port()}/v1", "LAVA_API_KEY": CANARY_TOKEN}
    result = _run_contract(**{variable: value, **(target if remote else {})})
    assert result.returncode == 2
    assert f"{variable} must be" in result.stderr
    assert repr(value) in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "Check ARGS" not in result.stderr
    assert CANARY_TOKEN not in result.stdout + result.stderr


def test_an_unknown_flag_is_a_usage_error() -> None:
    result = _run_contract("--no-such-flag")
    assert result.returncode == 2
    assert "--no-such-flag" in result.stderr


def test_a_leaking_server_fails_the_run_and_no_report_shows_the_token_or_a_raw_key(
    leaky_server: str, tmp_path: Path
) -> None:
    junit_path = tmp_path / "junit.xml"
    result = _run_contract(
        "-k",
        "raw_key_once",
        f"--junitxml={junit_path}",
        LAVA_BASE_URL=leaky_server,
        LAVA_API_KEY=CANARY_TOKEN,
        CONTRACT_MAX_EXAMPLES="5",
    )
    assert result.returncode == 1, result.stdout[-3000:]
    assert "returned a `key` field" in result.stdout
    junit = junit_path.read_text(encoding="utf-8")
    for text in (result.stdout, result.stderr, junit):
        assert CANARY_TOKEN not in text
        assert not RAW_KEY.search(text), RAW_KEY.search(text)


def test_a_spec_the_suite_cannot_draw_from_is_one_usage_verdict_before_any_test(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unusable() -> None:
        raise SpecError("the spec states no list_spend_keys limit maximum")

    monkeypatch.setattr(contract, "bounds", unusable)
    monkeypatch.delenv("LAVA_BASE_URL", raising=False)
    assert contract.main([]) == 2
    assert "cannot use the spec: the spec states no list_spend_keys limit maximum" in capsys.readouterr().err
