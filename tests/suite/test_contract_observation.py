"""Every answer the suite's client receives, typed or raw, is observed the same way.

A target of a few lines answers what each test needs; `SpendKeyApi` must fail the call, whether it was
made by the typed client or by `send` (the raw path the malformed-request tests use), when the answer
breaks the schema of the status it has, has a status the spec does not document, or shows a raw key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contract_tests.bounds import bounds
from contract_tests.drift import ObservedDrift
from contract_tests.observation import ContractViolation
from contract_tests.redaction import Redactor
from contract_tests.reference_server import running_server
from contract_tests.report import RunReport
from contract_tests.run import RunContext
from contract_tests.spend_key_api import SpendKeyApi
from contract_tests.target import Target
from contract_tests.traffic import Traffic

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


RUN = RunContext(
    redactor=Redactor(),
    traffic=Traffic(),
    drift=ObservedDrift(bounds().spec.spend_key_fields),
    report=RunReport(),
)


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
