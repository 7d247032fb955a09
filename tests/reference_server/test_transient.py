"""The reference server's transient failures, seen with plain httpx: what each attempt meets and leaves.

The client's retries over them are tests/client/test_client_resilience.py's business; here is only the
server side: the sequence is per request, the answers it makes are the documented ones, a cut-off create
was still served, and bad settings are refused with a clear message.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests import reference_server
from contract_tests.reference_server.__main__ import main
from contract_tests.reference_server.app import create_app
from contract_tests.reference_server.runner import running_server
from contract_tests.reference_server.transient import KINDS, TransientFailures
from tests.reference_server.api import AUTH, JSON, RELATIVE_COLLECTION

CREATE = {"name": "transient"}


@contextmanager
def http(*sequence: str, **options: Any) -> Iterator[httpx.Client]:
    app = create_app(transient=TransientFailures(tuple(sequence), **options))
    with running_server(app) as base_url, httpx.Client(base_url=base_url, headers=AUTH, timeout=5) as client:
        yield client


def listed_names(client: httpx.Client) -> list[str]:
    """The names of every key, asked until the list request itself has got past its own transient failures."""
    for _ in range(len(KINDS)):
        try:
            answer = client.get(RELATIVE_COLLECTION, timeout=5)
        except httpx.TransportError:
            continue
        if answer.status_code == 200:
            return [key["name"] for key in answer.json()["data"]]
    raise AssertionError("the list request never got through")


def test_each_request_meets_the_sequence_in_order_then_is_served() -> None:
    with http("429", "503", "408", "500") as client:
        statuses = [client.get(RELATIVE_COLLECTION).status_code for _ in range(5)]
        other_request = client.get(RELATIVE_COLLECTION, params={"limit": 5})

    assert statuses == [429, 503, 408, 500, 200]
    assert other_request.status_code == 429, "a different query is a different request"


def test_the_answers_made_carry_the_envelope_retry_after_and_a_request_id() -> None:
    with http("429", "503", retry_after_seconds=3) as client:
        limited = client.get(RELATIVE_COLLECTION)
        unavailable = client.get(RELATIVE_COLLECTION)
        served = client.get(RELATIVE_COLLECTION)

    assert limited.headers["retry-after"] == "3"
    assert limited.json()["error"]["code"] == "rate_limited"
    assert unavailable.json()["error"] == {
        "message": "A transient failure: try again.",
        "code": "service_unavailable",
        "status": 503,
    }
    ids = [answer.headers["x-request-id"] for answer in (limited, unavailable, served)]
    assert len(set(ids)) == len(ids)


def test_retry_after_can_be_an_http_date() -> None:
    with http("429", retry_after="http-date", retry_after_seconds=60) as client:
        limited = client.get(RELATIVE_COLLECTION)

    assert limited.headers["retry-after"].endswith(" GMT")


def test_a_cut_off_create_was_served_and_its_retry_with_the_same_key_replays_it() -> None:
    headers = {**JSON, "Idempotency-Key": "transient-1"}
    with http("drop_after") as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(RELATIVE_COLLECTION, json=CREATE, headers=headers)
        names = listed_names(client)
        replayed = client.post(RELATIVE_COLLECTION, json=CREATE, headers=headers)
        names_after_replay = listed_names(client)

    assert names == ["transient"]
    assert replayed.status_code == 201
    assert replayed.json()["name"] == "transient"
    assert names_after_replay == ["transient"]


def test_a_dropped_create_was_not_served() -> None:
    with http("drop") as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(RELATIVE_COLLECTION, json=CREATE, headers={**JSON, "Idempotency-Key": "transient-2"})
        names = listed_names(client)

    assert names == []


def test_a_stalled_request_times_out_and_is_served_after_the_stall() -> None:
    with http("stall", stall_seconds=0.5) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post(
                RELATIVE_COLLECTION, json=CREATE, headers={**JSON, "Idempotency-Key": "t-3"}, timeout=0.1
            )
        names = listed_names(client)

    assert names == ["transient"]


def test_the_simulated_proxy_never_meets_a_transient_failure() -> None:
    with http("503", "503") as client:
        answer = client.post("/chat/completions", json={}, headers={"Authorization": "Bearer nope"})

    assert answer.status_code == 401


def test_the_conforming_modules_never_name_the_transient_failures() -> None:
    # Composed in by create_app (app.py), exported (__init__.py) and switched on (__main__.py) only.
    package = Path(inspect.getfile(reference_server)).parent
    composers = {"__init__.py", "__main__.py", "app.py", "transient.py"}
    for module in package.rglob("*.py"):
        if module.name not in composers:
            assert "transient" not in module.read_text(encoding="utf-8").lower(), module.name


def test_an_unknown_failure_is_refused_with_the_list_of_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown transient failure 'flaky': choose from 429, 408"):
        TransientFailures(("429", "flaky"))
    with pytest.raises(ValueError, match="retry_after is 'seconds' or 'http-date'"):
        TransientFailures(("429",), retry_after="minutes")


def test_the_command_line_refuses_an_unknown_failure_with_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--transient", "429,bogus"], environ={})

    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "unknown transient failure 'bogus'" in error
    assert ", ".join(KINDS) in error
