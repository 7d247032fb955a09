"""Replayable records of failures: each failed test's last HTTP exchanges, as curl lines and a pytest file.

A pytest plugin (conftest.py lists it in `pytest_plugins`). It watches both ways the suite talks to the
target, without changing either: an httpx response hook on each `SpendKeyApi`'s client, and a requests
response hook on the session schemathesis sends with. For each test it keeps the last `KEEP` exchanges;
when the test fails it writes, into `reports/replays/<test>/` (or `$CONTRACT_REPLAY_DIR`, read with the
run's other settings):

- `replay.sh`: the requests as curl lines, reading `$LAVA_BASE_URL` and `$LAVA_API_KEY` at run time;
- `test_replay.py`: a pytest file that sends them again with httpx and asserts on every answer what the
  suite asserts on every answer (see `EXPECTATIONS`), plus, for a schemathesis case, the check that
  failed when the failure names one (a negative case must be rejected, a positive one accepted).

Ids and raw keys are not copied from the run: a record names them `${spend_key_id_1}`, `${raw_key_1}`,
... after the answer that first showed them, and a replay takes them from its own answers, so it works
after the run's keys were revoked. Tokens are written as `${LAVA_API_KEY}`; the run's `Redactor` then
masks anything secret that is left before a byte reaches disk. A replay revokes the keys it creates.
Which operation a request is, where a key is revoked, which fields are secret and which answers may show
them: all come from the spec (lava_spec), when the record is made and again when it is replayed. A
replay reads `LAVA_BASE_URL` and the other placeholders from its own environment, when it runs.

Why not schemathesis's cassettes: the pytest path has no cassette writer, a VCR cassette replays
nothing against a live server by itself, and it stores the bodies, raw keys included, verbatim.
What it does not do: re-run a test's own Python assertions (say, "rotate keeps the settings"); a record
of such a failure replays the exchanges, checks them as above and quotes the suite's assertion.
"""

from __future__ import annotations

import json
import os
import pprint
import re
import shlex
import uuid
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from contract_tests.bounds import CREATE_OPERATION, REVOKE_OPERATION, bounds, path_arguments
from contract_tests.redaction import Redactor
from contract_tests.settings import current
from contract_tests.spend_key_api import SpendKeyApi
from contract_tests.spend_key_json import counter_problems, spend_key_objects
from contract_tests.target import Target
from lava_spec import API_VERSION_VARIABLE, DEFAULT_API_VERSION, Found

KEEP = 20
_REQUEST_HEADERS = ("authorization", "content-type", "idempotency-key")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
# Titles schemathesis gives the two checks whose expectation depends on how the case was drawn.
_NEGATIVE_REJECTED = "API accepted schema-violating request"
_POSITIVE_ACCEPTED = "API rejected schema-compliant request"
# An id no server issues: where a replay sends a request whose id it could not learn.
_UNBOUND = "lava-contract-replay-unbound"
EXPECTATIONS = {
    "no_server_error": "no answer is a 5xx",
    "declared": "every answer has a status and a JSON body the spec declares for the operation",
    "key_only_revealed": "no answer but create's and rotate's success carries a raw `key`",
    "key_not_repeated": "no later answer shows a raw key revealed before, and rotate reveals a new one",
    "counters": "current_requests is never below 0, nor a total below its current-cycle figure",
    "rejected": "the last request, drawn to break the spec, is rejected with a 4xx",
    "accepted": "the last request, drawn to keep to the spec, is accepted with a 2xx or 3xx",
}
ENVIRONMENT = ("LAVA_BASE_URL", "LAVA_API_KEY", "LAVA_API_KEY_2", "LAVA_PROXY_URL")
GENERIC = ("no_server_error", "declared", "key_only_revealed", "key_not_repeated", "counters")


@dataclass
class Exchange:
    """One request and its answer, as text."""

    method: str
    url: str
    headers: dict[str, str]
    body: str | None
    status: int
    response_body: str


@dataclass
class _Recorder:
    """The answers seen during the current test, newest last (live objects, read when a test fails)."""

    seen: deque[httpx.Response | requests.Response] = field(default_factory=lambda: deque(maxlen=KEEP))
    hooked: set[int] = field(default_factory=set)
    target: Target | None = None
    written: list[tuple[str, Path]] = field(default_factory=list)

    def on_httpx(self, response: httpx.Response) -> None:
        self.seen.append(response)

    def on_requests(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401, ARG002
        self.seen.append(response)

    def watch(self, value: object) -> None:
        """Hook into `value` once if it is one of the suite's two ways of sending requests."""
        if id(value) in self.hooked:
            return
        if isinstance(value, SpendKeyApi):
            # Before the api's own observation, which raises on an answer that breaks the contract.
            value.watch(self.on_httpx)
        elif isinstance(value, requests.Session):
            value.hooks["response"].append(self.on_requests)
        elif isinstance(value, Target):
            self.target = value
            return
        else:
            return
        self.hooked.add(id(value))


_RECORDER = pytest.StashKey[_Recorder]()


def _exchange(response: httpx.Response | requests.Response) -> Exchange | None:
    if isinstance(response, httpx.Response):
        try:
            content, sent = response.content, response.request.content
        except (httpx.ResponseNotRead, httpx.RequestNotRead):
            return None
        request_body = sent.decode("utf-8", "replace") if sent else None
        return Exchange(
            method=response.request.method,
            url=str(response.request.url),
            headers={k: v for k, v in response.request.headers.items() if k.lower() in _REQUEST_HEADERS},
            body=request_body,
            status=response.status_code,
            response_body=content.decode("utf-8", "replace"),
        )
    if not isinstance(response._content, bytes):  # noqa: SLF001 - never read it here: that would consume the stream
        return None
    prepared = response.request
    raw_body = prepared.body
    return Exchange(
        method=str(prepared.method),
        url=str(prepared.url),
        headers={k: str(v) for k, v in prepared.headers.items() if k.lower() in _REQUEST_HEADERS},
        body=raw_body.decode("utf-8", "replace") if isinstance(raw_body, bytes) else _text(raw_body),
        status=response.status_code,
        response_body=response._content.decode("utf-8", "replace"),  # noqa: SLF001
    )


def _text(body: object) -> str | None:
    return body if isinstance(body, str) else None


# Turning a run's exchanges into a record ----------------------------------------------------------------


def _walk(node: object, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], object]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


def _operation(method: str, path: str) -> str | None:
    """The operationId of a request path relative to the base URL, as the spec's router finds it."""
    found = bounds().spec.router("").match(method, path.split("?", 1)[0])
    return found.operation.operation_id if isinstance(found, Found) else None


def _placeholders(
    exchange: Exchange, target: Target, values: dict[str, str], counts: dict[str, int]
) -> list[dict[str, Any]]:
    """Name, in `values`, the ids, raw keys and Idempotency-Keys `exchange` shows first; return its binds."""
    defined: list[dict[str, Any]] = []
    relative = exchange.url.removeprefix(target.base_url)
    creates = exchange.status // 100 == 2 and _operation(exchange.method, relative) == CREATE_OPERATION
    try:
        payload = json.loads(exchange.response_body)
    except ValueError:
        payload = None
    for path, node in _walk(payload):
        if not isinstance(node, str) or node in values:
            continue
        kind = "raw_key" if path and path[-1] in bounds().secret_fields else None
        if path == ("spend_key_id",) and creates:
            kind = "spend_key_id"
        if kind:
            counts[kind] += 1
            values[node] = f"${{{kind}_{counts[kind]}}}"
            defined.append({"name": f"{kind}_{counts[kind]}", "path": list(path)})
    for name, value in exchange.headers.items():
        if name.lower() == "idempotency-key" and value not in values:
            # A retry within the record keeps its key; a replay must not hit the run's cached answers.
            counts["idempotency_key"] += 1
            values[value] = f"${{idempotency_key_{counts['idempotency_key']}}}"
    return defined


def make_record(exchanges: list[Exchange], target: Target) -> tuple[list[dict[str, Any]], list[str]]:
    """The exchanges with tokens, ids and raw keys replaced by placeholders; and the placeholders' order."""
    values: dict[str, str] = {target.token: "${LAVA_API_KEY}"}
    if target.second_token:
        values[target.second_token] = "${LAVA_API_KEY_2}"
    if target.proxy_url:
        values[target.proxy_url] = "${LAVA_PROXY_URL}"
    values[target.base_url] = "${LAVA_BASE_URL}"
    counts = {"raw_key": 0, "spend_key_id": 0, "idempotency_key": 0}
    bindings = [_placeholders(exchange, target, values, counts) for exchange in exchanges]
    ordered = sorted(values, key=len, reverse=True)

    def template(text: str) -> str:
        for value in ordered:
            text = text.replace(value, values[value])
        return text

    record = [
        {
            "method": exchange.method,
            "url": template(exchange.url),
            "headers": {name: template(value) for name, value in exchange.headers.items()},
            "body": None if exchange.body is None else template(exchange.body),
            "recorded_status": exchange.status,
            "recorded_answer": template(exchange.response_body)[:2000],
            "binds": defined,
        }
        for exchange, defined in zip(exchanges, bindings, strict=True)
    ]
    return record, [binding["name"] for defined in bindings for binding in defined]


def expectations_for(failure_text: str, *, schemathesis_case: bool) -> list[str]:
    """What a replay asserts: the suite's checks on every answer, and the failed check's expectation."""
    names = list(GENERIC)
    if schemathesis_case and _NEGATIVE_REJECTED in failure_text:
        names.append("rejected")
    if schemathesis_case and _POSITIVE_ACCEPTED in failure_text:
        names.append("accepted")
    return names


def _curl(exchange: dict[str, Any]) -> str:
    parts = ["curl -sS -X", exchange["method"], _shell_quote(exchange["url"])]
    for name, value in exchange["headers"].items():
        parts += ["-H", _shell_quote(f"{name}: {value}")]
    if exchange["body"] is not None:
        parts += ["--data-raw", _shell_quote(exchange["body"])]
    line = " ".join(parts)
    if not exchange["binds"]:
        return line
    lines = [f"answer=$({line})", "printf '%s\\n' \"$answer\""]
    for binding in exchange["binds"]:
        selector = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in binding["path"])
        lines.append(f"{binding['name']}=$(printf '%s' \"$answer\" | jq -r '{selector}')")
    return "\n".join(lines)


def _shell_quote(text: str) -> str:
    """Double quotes where a placeholder must expand, single quotes elsewhere."""
    if not _PLACEHOLDER.search(text):
        return shlex.quote(text)
    return '"' + re.sub(r'(["`\\]|\$(?!\{))', r"\\\1", text) + '"'


def render(nodeid: str, failure_text: str, record: list[dict[str, Any]], expect: list[str]) -> dict[str, str]:
    """The files of one failure's record, by name (not yet redacted)."""
    names = set(_PLACEHOLDER.findall(json.dumps(record)))
    variables = [name for name in ENVIRONMENT if name in names]
    quoted = "\n".join(f"    {line}" for line in failure_text.strip().splitlines()[-15:])
    expected = "\n".join(f"- {EXPECTATIONS[name]}" for name in expect)
    version = current().api_version
    version_setting = "" if version == DEFAULT_API_VERSION else f"{API_VERSION_VARIABLE}={version} "
    curl = "\n".join(f"# {i + 1}: answered {e['recorded_status']}\n{_curl(e)}" for i, e in enumerate(record))
    script = (
        "#!/bin/sh\n"
        f"# The requests of {nodeid}, in order.\n"
        f"# Set {', '.join(variables)} first; jq takes the ids and raw keys later requests need\n"
        "# from earlier answers.\n"
        "set -eu\n"
        'for n in $(seq 1 20); do eval "idempotency_key_$n=replay-$$-$n"; done\n' + curl + "\n"
    )
    test = f'''"""Replay of {nodeid}.

The suite failed with:

{quoted}

Run it against the server the suite tested; the token is read from the environment, never stored here:

    {version_setting}{" ".join(f"{name}=..." for name in variables)} .venv/bin/pytest {{this file}}

It sends the {len(record)} requests below in order (ids and raw keys come from its own answers, and the keys
it creates are revoked at the end) and asserts:
{expected}
"""

from contract_tests.replay import replay

EXCHANGES = {pprint.pformat(record, width=110, sort_dicts=False)}
EXPECT = {expect!r}
API_VERSION = {version!r}


def test_the_server_answers_these_requests_as_the_contract_says() -> None:
    replay(EXCHANGES, EXPECT, API_VERSION)
'''
    return {"replay.sh": script, "test_replay.py": test}


def _slug(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.removeprefix("contract_tests/"))[:120].strip("_")


def write_record(directory: Path, files: dict[str, str], redactor: Redactor) -> Path:
    """Write the files, each through `redactor` first."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(redactor.redact(text), encoding="utf-8")
    return directory


# Replaying a record -------------------------------------------------------------------------------------


def _fill(text: str, bound: dict[str, str]) -> str:
    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name in bound:
            return bound[name]
        if name.startswith("idempotency_key_"):
            return bound.setdefault(name, str(uuid.uuid4()))
        if name in os.environ:
            return os.environ[name].strip().rstrip("/") if name.endswith("URL") else os.environ[name].strip()
        return _UNBOUND

    return _PLACEHOLDER.sub(value, text)


def _at(payload: object, path: list[str | int]) -> object:
    for step in path:
        if isinstance(payload, dict) and isinstance(step, str):
            payload = payload.get(step)
        elif isinstance(payload, list) and isinstance(step, int) and step < len(payload):
            payload = payload[step]
        else:
            return None
    return payload


Answer = tuple[str | None, bool, int, object, str]  # operation, a retried create, status, payload, text


def _answer_problems(answer: Answer, expect: list[str], revealed: set[str]) -> list[str]:
    """What is wrong with one answer; adds the raw keys it reveals to `revealed`."""
    operation, retried_create, status, payload, text = answer
    problems = []
    if "no_server_error" in expect and status >= 500:
        problems.append(EXPECTATIONS["no_server_error"])
    if operation is None:
        return problems
    spec_bounds = bounds()
    if "declared" in expect:
        if status not in spec_bounds.operation(operation).responses:
            problems.append("the spec declares no such answer")
        problems += spec_bounds.spec.response_problems(operation, status, payload)
    objects = list(spend_key_objects(payload))
    keys = [
        obj[name] for obj in objects for name in spec_bounds.secret_fields if isinstance(obj.get(name), str)
    ]
    reveals = operation in spec_bounds.revealing_operations and status // 100 == 2
    if "key_only_revealed" in expect and keys and not reveals:
        problems.append(EXPECTATIONS["key_only_revealed"])
    shown_again = any(key in text for key in revealed) and not retried_create
    rotates = reveals and operation != CREATE_OPERATION
    if "key_not_repeated" in expect and shown_again and (rotates or not reveals):
        problems.append(EXPECTATIONS["key_not_repeated"])
    if reveals:
        revealed.update(keys)
    if "counters" in expect and any(counter_problems(obj, spec_bounds.totals) for obj in objects):
        problems.append(EXPECTATIONS["counters"])
    return problems


def _problems(answers: list[Answer], expect: list[str]) -> list[str]:
    revealed: set[str] = set()
    problems: list[str] = []
    for number, answer in enumerate(answers, start=1):
        where = f"request {number} ({answer[0] or 'not in the spec'}) answered {answer[2]}"
        problems += [f"{where}: {problem}" for problem in _answer_problems(answer, expect, revealed)]
    last = answers[-1][2] if answers else None
    if last is not None and "rejected" in expect and last // 100 != 4:
        problems.append(f"request {len(answers)} answered {last}: {EXPECTATIONS['rejected']}")
    if last is not None and "accepted" in expect and last // 100 not in (2, 3):
        problems.append(f"request {len(answers)} answered {last}: {EXPECTATIONS['accepted']}")
    return problems


def replay(
    exchanges: list[dict[str, Any]], expect: list[str], api_version: str = DEFAULT_API_VERSION
) -> None:
    """Send `exchanges` in order to `$LAVA_BASE_URL` and assert `expect` (names in `EXPECTATIONS`).

    The spec they are judged by is `api_version`'s, which `LAVA_API_VERSION` must name, as in the run.
    """
    if current().api_version != api_version:
        pytest.fail(
            f"this replay is of a run against Lava's {api_version} API: run it with "
            f"{API_VERSION_VARIABLE}={api_version}",
            pytrace=False,
        )
    base_url = os.environ["LAVA_BASE_URL"].strip().rstrip("/")
    bound: dict[str, str] = {}
    created: list[tuple[str, str]] = []
    answers: list[Answer] = []
    idempotency_keys: set[str] = set()
    with httpx.Client(timeout=30) as client:
        try:
            for exchange in exchanges:
                url = _fill(exchange["url"], bound)
                headers = {name: _fill(value, bound) for name, value in exchange["headers"].items()}
                body = None if exchange["body"] is None else _fill(exchange["body"], bound)
                response = client.request(exchange["method"], url, headers=headers, content=body)
                try:
                    payload: object = response.json()
                except ValueError:
                    payload = None
                for binding in exchange["binds"]:
                    value = _at(payload, binding["path"])
                    if isinstance(value, str):
                        bound[binding["name"]] = value
                operation = (
                    _operation(exchange["method"], url.removeprefix(base_url))
                    if url.startswith(base_url)
                    else None
                )
                idempotency = next((v for k, v in headers.items() if k.lower() == "idempotency-key"), None)
                repeated = idempotency is not None and idempotency in idempotency_keys
                if idempotency is not None:
                    idempotency_keys.add(idempotency)
                if operation == CREATE_OPERATION and isinstance(payload, dict) and response.is_success:
                    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
                    created.append((str(payload.get("spend_key_id")), auth))
                answers.append((operation, repeated, response.status_code, payload, response.text))
        finally:
            revoke = bounds().operation(REVOKE_OPERATION)
            for spend_key_id, auth in created:
                path = revoke.path_for(**path_arguments(revoke, spend_key_id))
                client.request(revoke.method, f"{base_url}{path}", headers={"Authorization": auth})
    problems = _problems(answers, expect)
    assert not problems, "\n".join(problems)


# The plugin ---------------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """One recorder per run."""
    config.stash[_RECORDER] = _Recorder()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    """Forget the previous test's exchanges; once the fixtures exist, watch the ones that send."""
    recorder = item.config.stash[_RECORDER]
    recorder.seen.clear()
    try:
        return (yield)
    finally:
        for value in getattr(item, "funcargs", {}).values():
            recorder.watch(value)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """On a failed test, write its record and name it in the report."""
    report = yield
    recorder = item.config.stash[_RECORDER]
    if report.when != "call" or not report.failed or recorder.target is None or call.excinfo is None:
        return report
    from contract_tests.schemathesis_hooks import RUN  # noqa: PLC0415 - the run exists only once configured

    run = RUN.get("run")
    exchanges = [exchange for exchange in map(_exchange, recorder.seen) if exchange is not None]
    if run is None or not exchanges:
        return report
    text = run.redactor.redact(str(report.longrepr))
    record, _ = make_record(exchanges, recorder.target)
    expect = expectations_for(text, schemathesis_case="case" in getattr(item, "fixturenames", ()))
    root = current().replay_dir
    directory = write_record(
        root / _slug(item.nodeid), render(item.nodeid, text, record, expect), run.redactor
    )
    recorder.written.append((item.nodeid, directory))
    line = f"replay: {directory}/test_replay.py (curl: {directory}/replay.sh)"
    longrepr = report.longrepr
    if hasattr(longrepr, "addsection"):
        longrepr.addsection("replay", line)
    elif isinstance(longrepr, str):
        report.longrepr = f"{longrepr}\n{line}"
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:  # noqa: ANN401 - pytest's type
    """Name every record written."""
    for nodeid, directory in config.stash[_RECORDER].written:
        terminalreporter.write_line(f"replay of {nodeid}: {directory}/test_replay.py")
