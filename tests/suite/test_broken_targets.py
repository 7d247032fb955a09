"""Whatever a target does, `make contract` ends with a short verdict and its documented exit status.

Each target here is broken in one of the ways a misconfigured staging run meets: a web page where the API
should be, a body that is not JSON, a redirect, connections reset or left hanging, 5xx on everything, an
answer that is neither 200 nor 401, the API's other version, a server that goes away halfway, a revoke
that always fails. The run must name the problem in its last lines, exit with the status
`contract_tests.verdict.ExitStatus` documents, within seconds, and never print INTERNALERROR or a
traceback of the suite's own code.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import contract  # scripts/contract.py: tests/suite/conftest.py puts scripts/ on the path
import pytest

from contract_tests.cleanup import Cleanup
from contract_tests.outcome import RunOutcome
from contract_tests.reference_server import create_app, running_server
from contract_tests.target import loopback_environment
from contract_tests.verdict import ExitStatus
from tests.repository import ROOT

TOKEN = "broken_target_token_5d1c_must_never_appear"  # noqa: S105 - a loopback test token
# A broken target is named within this many seconds of launch (the suite's imports included).
PROMPT_SECONDS = 45

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def _answering(status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> App:
    """An ASGI app that gives every request the same answer."""

    async def app(scope: Scope, _receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        headers = [
            (b"content-type", content_type.encode()),
            *((k.encode(), v.encode()) for k, v in (extra or {}).items()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def _other_version() -> App:
    """A server of Lava's other layout: the list at /v1/spend_keys, nothing under /v1/manage."""

    async def app(scope: Scope, _receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        found = scope["path"] == "/v1/spend_keys"
        body = (
            {"data": [], "has_more": False}
            if found
            else {"error": {"message": "no", "code": "nf", "status": 404}}
        )
        await send(
            {
                "type": "http.response.start",
                "status": 200 if found else 404,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    return app


def _revoke_fails(inner: App) -> App:
    """The reference server, except that every revoke answers 500."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE":
            body = b'{"error":{"message":"revoke is down","code":"internal_error","status":500}}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await inner(scope, receive, send)

    return app


@contextmanager
def _raw_server(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server on loopback whose every connection is given to `handle`; yields its base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)
            handle(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(5)
        for connection in held:
            connection.close()
        listener.close()


def _reset(connection: socket.socket) -> None:
    # Read the request first, so the reset meets a client waiting for its answer (not one still
    # connecting); SO_LINGER 0: close with a reset rather than an orderly shutdown.
    connection.settimeout(5)
    with suppress(OSError):
        connection.recv(65536)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    connection.close()


def _hang(connection: socket.socket) -> None:
    del connection  # kept open by _raw_server until the test ends, never answered


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v1"


def _run(base_url: str, tmp_path: Path, **settings: str) -> tuple[subprocess.CompletedProcess[str], float]:
    environment = loopback_environment(
        base_url,
        TOKEN,
        CONTRACT_MAX_EXAMPLES="3",
        CONTRACT_SUMMARY_PATH=str(tmp_path / "summary.md"),
        CONTRACT_PREFLIGHT_TIMEOUT="2",
        CONTRACT_REPLAY_DIR=str(tmp_path / "replays"),
        **settings,
    )
    del environment["LAVA_PROXY_URL"]
    started = time.monotonic()
    completed = subprocess.run(  # noqa: S603 - our own script, run by this interpreter
        [sys.executable, str(ROOT / "scripts" / "contract.py"), f"--junitxml={tmp_path / 'junit.xml'}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return completed, time.monotonic() - started


def _refused(
    base_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, float]:
    """`make contract`'s program, run in this process, for a target the preflight refuses.

    The same code path as a run from the shell (scripts/contract.py's `main`), less the interpreter's
    start-up; a target the preflight lets through would start pytest, which these tests never expect.
    """
    for name, value in loopback_environment(base_url, TOKEN, CONTRACT_PREFLIGHT_TIMEOUT="2").items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LAVA_PROXY_URL")
    monkeypatch.delenv("LAVA_API_KEY_2", raising=False)
    started = time.monotonic()
    status = contract.main([])
    seconds = time.monotonic() - started
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err
    return status, captured.err, seconds


def _first_verdict_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("contract: ")]
    return lines[0] if lines else ""


def _verdict(completed: subprocess.CompletedProcess[str]) -> str:
    """The verdict's first line: the first line the runner printed that starts with `contract: `."""
    lines = [line for line in completed.stderr.splitlines() if line.startswith("contract: ")]
    return lines[0] if lines else ""


def _assert_clean(completed: subprocess.CompletedProcess[str], *, findings: bool = False) -> None:
    """No crash, no token; and no traceback at all unless the run reports findings about the contract."""
    output = completed.stdout + completed.stderr
    assert "INTERNALERROR" not in output, output[-3000:]
    assert TOKEN not in output
    if not findings:
        assert "Traceback" not in output, output[-3000:]
        assert "site-packages" not in output, output[-3000:]


ANSWERS: dict[str, tuple[App, ExitStatus, str]] = {
    "a web page": (
        _answering(200, b"<!doctype html><title>Lava</title><p>Welcome</p>", "text/html; charset=utf-8"),
        ExitStatus.NOT_THE_API,
        "a web page",
    ),
    "JSON that is not a list page": (
        _answering(200, b'{"status": "ok", "version": "1.2.3"}', "application/json"),
        ExitStatus.NOT_THE_API,
        "not a list page",
    ),
    "a body that is not JSON, declared as JSON": (
        _answering(200, b"OK", "application/json"),
        ExitStatus.NOT_THE_API,
        "not JSON",
    ),
    "a redirect": (
        _answering(301, b"", "text/plain", {"location": "https://elsewhere.example/v1/manage/spend_keys"}),
        ExitStatus.NOT_THE_API,
        "redirects (301) to https://elsewhere.example",
    ),
    "5xx on everything": (
        _answering(
            503, b'{"error":{"message":"down","code":"unavailable","status":503}}', "application/json"
        ),
        ExitStatus.UNREACHABLE,
        "answered 503 to 3 attempts",
    ),
    "an auth answer that is neither 200 nor 401": (
        _answering(418, b"I'm a teapot", "text/plain"),
        ExitStatus.NOT_THE_API,
        "answered 418 to a valid, authenticated list request",
    ),
    "no such path": (
        _answering(404, b"Not Found", "text/plain"),
        ExitStatus.NOT_THE_API,
        "answered 404: there is no spend-key API",
    ),
    "the other version of Lava's API": (
        _other_version(),
        ExitStatus.OTHER_VERSION,
        "the target speaks Lava's v2 API (/v1/spend_keys), not v0: run with LAVA_API_VERSION=v2",
    ),
    "a rejected token": (
        _answering(401, b'{"error":{"message":"no","code":"unauthorized","status":401}}', "application/json"),
        ExitStatus.TOKEN_REJECTED,
        "rejected LAVA_API_KEY with 401",
    ),
}


@pytest.mark.parametrize(("app", "status", "phrase"), ANSWERS.values(), ids=ANSWERS.keys())
def test_a_target_that_answers_wrongly_gets_a_one_line_verdict_and_its_own_exit_status(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    app: App,
    status: ExitStatus,
    phrase: str,
) -> None:
    with running_server(app) as base_url:
        returned, stderr, seconds = _refused(base_url, monkeypatch, capsys)
    assert returned == status, stderr
    assert phrase in _first_verdict_line(stderr)
    assert seconds < PROMPT_SECONDS


CONNECTIONS: dict[str, tuple[Callable[[socket.socket], None] | None, str]] = {
    "a closed port": (None, "cannot connect to LAVA_BASE_URL"),
    "connections reset": (_reset, "closed the connection without an answer"),
    "a server that hangs": (_hang, "accepted the connection but did not answer in time"),
}


@pytest.mark.parametrize(("handle", "phrase"), CONNECTIONS.values(), ids=CONNECTIONS.keys())
def test_a_target_that_does_not_answer_is_unreachable_within_seconds(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    handle: Callable[[socket.socket], None] | None,
    phrase: str,
) -> None:
    if handle is None:
        returned, stderr, seconds = _refused(_closed_port_url(), monkeypatch, capsys)
    else:
        with _raw_server(handle) as base_url:
            returned, stderr, seconds = _refused(base_url, monkeypatch, capsys)
    assert returned == ExitStatus.UNREACHABLE, stderr
    assert phrase in _first_verdict_line(stderr)
    assert seconds < PROMPT_SECONDS


def test_a_refused_target_ends_the_program_itself_with_that_status_and_no_traceback(tmp_path: Path) -> None:
    with running_server(ANSWERS["a web page"][0]) as base_url:
        completed, _ = _run(base_url, tmp_path)
    _assert_clean(completed)
    assert completed.returncode == ExitStatus.NOT_THE_API
    assert "a web page" in _verdict(completed)


def test_a_target_that_goes_away_halfway_ends_the_run_early_as_unreachable(tmp_path: Path) -> None:
    server = running_server(create_app({TOKEN: "wallet_1"}))
    base_url = server.__enter__()
    # The server stops a few seconds in, while the suite is running: every later request is refused.
    stopper = threading.Timer(6.0, server.__exit__, args=(None, None, None))
    stopper.start()
    try:
        completed, _ = _run(base_url, tmp_path)
    finally:
        stopper.join()
    _assert_clean(completed)
    assert completed.returncode == ExitStatus.UNREACHABLE, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert "the target stopped answering during the run" in _verdict(completed)
    # It stopped after a few tests in a row met the dead server, not after all of them.
    assert "stopping after" in completed.stdout or "Interrupted" in completed.stdout


def _slow(inner: App, seconds: float) -> App:
    """The reference server, answering every request `seconds` late."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(seconds)
        await inner(scope, receive, send)

    return app


def test_a_target_that_answers_slowly_is_named_within_seconds_not_after_hours(tmp_path: Path) -> None:
    with running_server(_slow(create_app({TOKEN: "wallet_1"}), 0.6)) as base_url:
        completed, seconds = _run(base_url, tmp_path, CONTRACT_SLOW_ANSWER_SECONDS="0.3")
    _assert_clean(completed)
    assert completed.returncode == ExitStatus.UNREACHABLE, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "the target answers too slowly to be tested: 3 answers in a row took over 0.3 s" in _verdict(
        completed
    )
    # The preflight's answer, three slow ones, and cleanup's few: not the thousands of a whole run.
    assert seconds < PROMPT_SECONDS


def test_a_revoke_that_always_fails_is_a_broken_contract_that_lists_the_keys_left_and_the_sweep(
    tmp_path: Path,
) -> None:
    with running_server(_revoke_fails(create_app({TOKEN: "wallet_1"}))) as base_url:
        completed, _ = _run(base_url, tmp_path, CONTRACT_RUN_ID="leftcheck")
    # A broken contract is reported test by test, each failure with the place in the test that saw it.
    _assert_clean(completed, findings=True)
    assert completed.returncode == ExitStatus.CONTRACT_BROKEN
    assert "Keys of this run (named lava-contract-leftcheck-*) that may be left: sk_" in completed.stderr
    assert "make contract-cleanup LAVA_BASE_URL=" in completed.stderr
    assert "CONTRACT_RUN_ID=leftcheck" in completed.stderr


def test_cleanup_that_could_not_finish_after_a_passing_run_is_its_own_exit_status() -> None:
    outcome = RunOutcome()
    outcome.passed_one("a test")
    outcome.cleaned(
        Cleanup(left=("sk_1", "sk_2"), problems=("could not list the keys to verify: 500",), verified=False)
    )
    verdict = outcome.verdict(
        target="https://staging.example/v1", run_id="r1", name_prefix="lava-contract-r1-"
    )
    assert verdict.status == ExitStatus.KEYS_LEFT_BEHIND
    assert "2 keys of this run known by id may be left" in verdict.headline
    text = "\n".join(verdict.lines())
    assert "sk_1, sk_2" in text
    assert (
        "make contract-cleanup LAVA_BASE_URL=https://staging.example/v1 LAVA_API_KEY=... CONTRACT_RUN_ID=r1"
        in text
    )


def test_keys_left_on_the_embedded_server_are_said_to_be_gone_with_it_not_to_be_swept() -> None:
    outcome = RunOutcome()
    outcome.passed_one("a test")
    outcome.cleaned(Cleanup(left=("sk_1",), problems=("revoking sk_1 answered 500",), verified=True))
    verdict = outcome.verdict(
        target="the embedded reference server", run_id="r1", name_prefix="lava-contract-r1-", embedded=True
    )
    assert verdict.status == ExitStatus.KEYS_LEFT_BEHIND
    text = "\n".join(verdict.lines())
    assert "sk_1" in text
    assert "make contract-cleanup" not in text
    assert "stopped with the run and took its keys with it: there is nothing to sweep" in text


def test_a_broken_contract_outranks_keys_left_behind_and_still_lists_them() -> None:
    outcome = RunOutcome()
    outcome.failed("test_x", "contract", "ContractViolation: wrong")
    outcome.cleaned(Cleanup(left=("sk_9",), problems=(), verified=True))
    verdict = outcome.verdict(target="t", run_id="r", name_prefix="p-")
    assert verdict.status == ExitStatus.CONTRACT_BROKEN
    assert any("sk_9" in line for line in verdict.details)


def test_only_unreachable_failures_are_not_called_a_broken_contract() -> None:
    outcome = RunOutcome()
    for index in range(3):
        outcome.failed(f"test_{index}", "unreachable", "ConnectError: refused")
    assert outcome.should_stop() is not None
    assert outcome.verdict(target="t", run_id="r", name_prefix="p-").status == ExitStatus.UNREACHABLE
