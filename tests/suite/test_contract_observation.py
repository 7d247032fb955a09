"""Every answer the suite's client receives, typed or raw, is observed the same way.

A target of a few lines answers what each test needs; `SpendKeyApi` must fail the call, whether it was
made by the typed client or by `send` (the raw path the malformed-request tests use), when the answer
breaks the schema of the status it has, has a status the spec does not document, or shows a raw key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contract_tests.bounds import Bounds, bounds
from contract_tests.drift import ObservedDrift
from contract_tests.observation import ContractViolation, Observer
from contract_tests.redaction import Redactor
from contract_tests.reference_server import running_server
from contract_tests.report import RunReport
from contract_tests.run import RunContext
from contract_tests.spend_key_api import SpendKeyApi
from contract_tests.target import Target
from contract_tests.traffic import Traffic
from lava_spec import load_spec, spec_path

# What the target answers next: a status and a JSON body.
ANSWER: dict[str, tuple[int, object]] = {}
SPEND_KEY = {
    "spend_key_id": "sk_1",
    "wallet_id": "wallet_1",
    "name": "n",
    "key_preview": "lava_sk_a1b2c3d4****",
    "status": "active",
    "current_spend": "0",
    "current_requests": 0,
    "created_at": "2025-01-01T00:00:00Z",
}


async def _answer(_request: Request) -> Response:
    status, body = ANSWER["next"]
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def _run() -> RunContext:
    """A run of its own: what one test observes (drift, counts) is never seen by another, in any order."""
    return RunContext(
        redactor=Redactor(),
        traffic=Traffic(),
        drift=ObservedDrift(bounds().spec.spend_key_fields),
        report=RunReport(),
    )


RUN = _run()


@pytest.fixture(scope="module")
def api() -> Iterator[SpendKeyApi]:
    app = Starlette(routes=[Route("/v1/{path:path}", _answer, methods=["GET", "POST", "PUT", "DELETE"])])
    with running_server(app) as base_url:
        client = SpendKeyApi(Target(base_url=base_url, token="t"), RUN)  # noqa: S106 - a test token
        yield client
        client.close()


COLLECTION = bounds().collection_path


def test_a_malformed_requests_answer_is_held_to_the_schema_of_its_status(api: SpendKeyApi) -> None:
    ANSWER["next"] = (422, {"oops": True})
    with pytest.raises(ContractViolation, match="answered 422 with a body the spec does not allow"):
        api.send("POST", COLLECTION, content=b"{not json", headers={"Content-Type": "application/json"})
    with pytest.raises(ContractViolation, match="answered 422 with a body the spec does not allow"):
        api.create({"name": "x"})


def test_a_status_the_spec_does_not_document_fails_a_raw_and_a_typed_call(api: SpendKeyApi) -> None:
    ANSWER["next"] = (418, {"error": {"message": "teapot", "code": "teapot", "status": 418}})
    with pytest.raises(ContractViolation, match="answered 418, which the spec does not document"):
        api.send("GET", COLLECTION, params={"limit": "ten"})
    with pytest.raises(ContractViolation, match="answered 418, which the spec does not document"):
        api.list_page()


def test_a_raw_key_outside_create_and_rotate_fails_a_raw_and_a_typed_call(api: SpendKeyApi) -> None:
    path = bounds().path_of("get_spend_key", "sk_1")
    ANSWER["next"] = (200, {**SPEND_KEY, "key": "lava_sk_a1b2c3d4e5f6a7b8c9d0"})
    with pytest.raises(ContractViolation, match="returned a `key` field"):
        api.send("GET", path)
    with pytest.raises(ContractViolation, match="returned a `key` field"):
        api.get("sk_1")


def test_a_conforming_answer_to_a_raw_call_is_counted_and_its_drift_noted(api: SpendKeyApi) -> None:
    ANSWER["next"] = (
        200,
        {"data": [{**SPEND_KEY, "total_spend": "0"}], "has_more": False, "next_cursor": None},
    )
    assert api.send("GET", COLLECTION).status_code == 200
    label = bounds().operation("list_spend_keys").label
    assert RUN.drift.warnings() == [
        f"{label} returns `total_spend`, which openapi/lava.yaml does not declare (1 responses)"
    ]
    summary = RUN.report.render(run_id="r", target="t", traffic="", verdict=[], drift=[])
    assert f"| {label} | 0 | 1 | 0 |" in summary


V2 = Bounds.of(load_spec(spec_path("v2")))
V2_KEY = {**SPEND_KEY, "request_shape": "openai", "total_spend": "0", "total_requests": 0}


def _observe(observer: Observer, operation_id: str, body: dict[str, object]) -> None:
    operation = V2.operation(operation_id)
    observer.observe(operation, httpx.Response(operation.success_status, json=body))


@pytest.mark.parametrize(
    ("figures", "broken"),
    [
        ({"current_requests": 3, "total_requests": 2}, "total_requests=2, below current_requests=3"),
        ({"current_spend": "1.50", "total_spend": "1.25"}, "total_spend=1.25, below current_spend=1.50"),
    ],
)
def test_where_the_spec_shows_totals_a_total_below_its_current_figure_breaks_the_contract(
    figures: dict[str, object], broken: str
) -> None:
    with pytest.raises(ContractViolation, match=f"GET .* returned {broken}"):
        _observe(Observer(V2, _run()), "get_spend_key", {**V2_KEY, **figures})


def test_a_total_lower_than_an_earlier_answer_showed_breaks_the_contract_and_a_cycles_reset_does_not() -> (
    None
):
    observer = Observer(V2, _run())
    used = {**V2_KEY, "current_requests": 5, "total_requests": 5, "current_spend": "2", "total_spend": "2"}
    _observe(observer, "get_spend_key", used)
    # The cycle ended: the current figures start again at zero, the totals stay.
    _observe(
        observer,
        "list_spend_keys",
        {"data": [{**used, "current_requests": 0, "current_spend": "0"}], "has_more": False},
    )
    # A retried create replays the key's first answer: no later reading of its totals.
    _observe(observer, "create_spend_key", {**V2_KEY, "key": "lava_sk_a1b2c3d4e5f6a7b8c9d0e1f2"})
    with pytest.raises(
        ContractViolation, match="returned total_requests=4 for a key whose total_requests was 5"
    ):
        _observe(observer, "update_spend_key", {**used, "current_requests": 4, "total_requests": 4})


def test_a_spec_without_totals_checks_none() -> None:
    assert bounds().totals == {}
    observer = Observer(bounds(), _run())
    observer.observe(
        bounds().operation("get_spend_key"), httpx.Response(200, json={**SPEND_KEY, "total_requests": -1})
    )
