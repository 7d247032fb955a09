"""No request the suite sends is broken at the HTTP framing level: the generation filter, and the tripwire.

Schemathesis's negative mode adds undeclared headers, and Hypothesis draws their names partly from string
constants in our code: a drawn `content-length: <garbage>` on a GET was answered by uvicorn's HTTP layer
(text/plain 400), not by the API, and reported as an undocumented Content-Type. These tests pin down that
such a case is dropped where it is drawn, in every phase, mode and the state machine, and that the
transports refuse one loudly if it ever gets past. The end-to-end test here drives schemathesis's engine
(what the CLI runs with schemathesis.toml) over the embedded server; tests/suite/test_traffic.py runs the
suite's own schemathesis modules and checks that every request they send reaches the application.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter
from requests.utils import super_len
from schemathesis.engine import Status, events, from_schema
from schemathesis.engine.run import PhaseName
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

from contract_tests import schemathesis_hooks
from contract_tests.framing import (
    FRAMING_HEADERS,
    MalformedRequestError,
    framing_problem,
    is_well_framed,
    refuse_malformed,
)
from contract_tests.schemathesis_config import contract_config
from contract_tests.target import Target, embedded_target
from contract_tests.traffic import Traffic, TrafficTransport, traffic_session
from lava_spec import SPEC_PATH, load_spec

SPEC = SPEC_PATH
# Nothing listens here: a request the tripwire lets through fails with a connection error instead.
NOWHERE = "http://127.0.0.1:9/v1"
CREATE = load_spec().operation("create_spend_key")
LIST = load_spec().operation("list_spend_keys")
# What the engine sends to learn the server's capabilities before its phases, on purpose malformed.
ENGINE_PROBE_HEADER = "X-Schemathesis-Probe"
UVICORN_FRAMING_ANSWER = b"Invalid HTTP request received."
SPELLINGS = sorted({*FRAMING_HEADERS, "Content-Length", "TRANSFER-ENCODING", "Host", "Expect", "Upgrade"})


def _schema(target: Target, max_examples: int) -> Any:
    # The suite's own schemathesis settings: every phase, both modes, every check.
    return schemathesis.openapi.from_path(SPEC, config=contract_config(target, max_examples=max_examples))


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    with embedded_target() as embedded:
        yield embedded


@pytest.mark.parametrize("name", SPELLINGS)
def test_a_drawn_framing_or_hop_by_hop_header_is_rejected_at_generation(name: str) -> None:
    assert not is_well_framed({"Idempotency-Key": "k", name: "1"})
    assert name in (framing_problem({name: "1"}) or "")


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "cr\r", "nul\x00", "bell\x07", "snow\u2603"])
def test_a_drawn_header_value_that_would_break_the_framing_is_rejected(value: str) -> None:
    assert not is_well_framed({"Idempotency-Key": value})


@pytest.mark.parametrize("name", ["a b", "a:b", "", "caf\u00e9", "x\r\ny"])
def test_a_drawn_header_name_that_is_not_an_http_token_is_rejected(name: str) -> None:
    assert not is_well_framed({name: "1"})


def test_ordinary_drawn_headers_are_kept_latin_1_and_tabs_included() -> None:
    assert is_well_framed(
        {"Idempotency-Key": "caf\u00e9\tx", "X-Undeclared": "", "Authorization": "Bearer t"}
    )
    assert is_well_framed(None)


def test_the_filter_is_registered_where_every_phase_draws() -> None:
    # filter_case: fuzzing, coverage and every state machine step; before_add_examples: the examples phase.
    assert schemathesis_hooks.filter_case in GLOBAL_HOOK_DISPATCHER.get_all_by_name("filter_case")
    assert schemathesis_hooks.before_add_examples in GLOBAL_HOOK_DISPATCHER.get_all_by_name(
        "before_add_examples"
    )


def test_schemathesis_drops_a_drawn_case_with_a_framing_header() -> None:
    operation = _schema(Target(base_url=NOWHERE, token="t"), 1)[CREATE.path][CREATE.method]  # noqa: S106
    drawn = st.sampled_from(
        [operation.Case(headers={"Content-Length": "x"}), operation.Case(headers={"X-Ok": "1"})]
    )
    # What schemathesis does to every strategy of cases it draws from (fuzzing, coverage, state machine).
    filtered = GLOBAL_HOOK_DISPATCHER.apply_to_container(
        drawn, "case", schemathesis.HookContext(operation=operation)
    )
    seen: set[str] = set()

    @given(filtered)
    @settings(max_examples=20, database=None)
    def draw(case: schemathesis.Case[Any]) -> None:
        seen.update(case.headers)

    draw()
    assert seen == {"X-Ok"}


def test_an_example_with_a_framing_header_is_dropped() -> None:
    operation = _schema(Target(base_url=NOWHERE, token="t"), 1)[LIST.path][LIST.method]  # noqa: S106
    examples = [
        operation.Case(headers={"Transfer-Encoding": "chunked"}),
        operation.Case(headers={"X-Ok": "1"}),
    ]
    schemathesis_hooks.before_add_examples(schemathesis.HookContext(operation=operation), examples)
    assert [example.headers for example in examples] == [{"X-Ok": "1"}]


def test_every_phase_mode_and_the_state_machine_send_only_well_framed_requests(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[requests.PreparedRequest, int, bytes]] = []
    send = HTTPAdapter.send

    def recording_send(
        adapter: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        response = send(adapter, request, *args, **kwargs)
        sent.append((request, response.status_code, response.content))
        return response

    # Every requests session in this process, schemathesis's own for checks' probes included, sends here.
    monkeypatch.setattr(HTTPAdapter, "send", recording_send)
    phases = {
        event.phase.name: event.status
        for event in from_schema(_schema(target, 25)).execute()
        if isinstance(event, events.PhaseFinished)
    }
    # The spec has no examples of its own, so the examples phase finds nothing to send and skips.
    assert phases[PhaseName.EXAMPLES] in {Status.SUCCESS, Status.SKIP}
    # Ran, whatever the checks found: a failure that framing causes is caught below, others are not ours.
    ran = {phases[phase] for phase in (PhaseName.COVERAGE, PhaseName.FUZZING, PhaseName.STATEFUL_TESTING)}
    assert ran <= {Status.SUCCESS, Status.FAILURE}
    drawn = [entry for entry in sent if ENGINE_PROBE_HEADER not in entry[0].headers]
    assert len(drawn) > 200
    problems = []
    for request, status, content in drawn:
        headers = [(name, str(value)) for name, value in request.headers.items()]
        try:
            refuse_malformed(
                request.url or "", headers, 0 if request.body is None else super_len(request.body)
            )
        except MalformedRequestError as error:
            problems.append(str(error))
        if status == 400 and UVICORN_FRAMING_ANSWER in content:
            problems.append(f"the HTTP layer refused {request.method} {request.url}")
    assert problems == []


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, "1") for name in SPELLINGS if name.lower() != "host"] + [("Host", "elsewhere.example")],
)
def test_the_requests_tripwire_refuses_a_framing_header_naming_it_and_sends_nothing(
    name: str, value: str
) -> None:
    traffic = Traffic()
    with traffic_session(traffic) as session, pytest.raises(MalformedRequestError, match=f"because {name} "):
        session.get(NOWHERE, headers={name: value})
    assert traffic.sent == 0


def test_the_httpx_tripwire_refuses_a_framing_header_naming_it_and_sends_nothing() -> None:
    reached: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        reached.append(request)
        return httpx.Response(200)

    transport = httpx.MockTransport(answer)
    traffic = Traffic()
    with httpx.Client(transport=TrafficTransport(traffic, transport)) as client:
        with pytest.raises(MalformedRequestError, match="because Expect "):
            client.get(NOWHERE, headers={"Expect": "100-continue"})
        with pytest.raises(MalformedRequestError, match="because Content-Length "):
            client.get(NOWHERE, headers={"Content-Length": "garbage"})
        assert (
            client.post(NOWHERE, json={"name": "n"}).status_code == 200
        )  # httpx's own Host, length, keep-alive
    assert (traffic.sent, len(reached)) == (1, 1)


def test_the_tripwire_lets_through_what_the_http_client_derives_itself() -> None:
    prepared = requests.Session().prepare_request(requests.Request("POST", NOWHERE, json={"name": "n"}))
    headers = [(name, str(value)) for name, value in prepared.headers.items()]
    assert ("Connection", "keep-alive") in headers
    refuse_malformed(NOWHERE, [*headers, ("Host", "127.0.0.1:9")], super_len(prepared.body))
    with pytest.raises(MalformedRequestError, match="because Content-Length "):
        refuse_malformed(NOWHERE, [("Content-Length", "3")], 4)


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "nul\x00", "snow\u2603"])
def test_the_tripwire_refuses_a_value_that_would_break_the_framing_without_repeating_it(value: str) -> None:
    with pytest.raises(MalformedRequestError, match="value of Idempotency-Key") as refused:
        refuse_malformed(NOWHERE, [("Idempotency-Key", value)], 0)
    assert value not in str(refused.value)
