"""The generated client keeps the API token and raw spend keys out of every repr() and str().

Requests go through the generated endpoint functions to an httpx.MockTransport, so what is checked is what
a user holds after a real call. The redaction itself lives in openapi/templates/; these tests also pin the
list of secret property names there to the spec's `x-lava-secret: true`. Whether generated/ is up to date
with openapi/ is tests/client/test_generation.py's business.
"""

from __future__ import annotations

import asyncio
import importlib
import traceback
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import jinja2
import lava_client
import pytest
import yaml
from lava_client.client import AuthenticatedClient, Client
from lava_client.errors import UnexpectedStatus
from lava_client.types import SECRET_PROPERTY_NAMES, Response, additional_properties_repr, redacted_repr
from lava_client.v0.api.spend_keys import create_spend_key, rotate_spend_key
from lava_client.v0.models import SpendKey, SpendKeyCreate, SpendKeyWithSecret

from lava_spec import load_spec
from lava_spec.versions import API_VERSIONS, spec_path
from tests.repository import ROOT

TEMPLATES = ROOT / "openapi" / "templates"
BASE_URL = load_spec().server_url
CANARY_TOKEN = "lava_mk_canary_token_7d41c0"  # noqa: S105 (a canary to search for, not a credential)
CANARY_KEY = "lava_sk_canary_key_e93b52"
SPEND_KEY = {
    "spend_key_id": "sk_1",
    "key_preview": "lava_sk_canary_k****",
    "name": "ci",
    "status": "active",
    "wallet_id": "wal_1",
    "current_spend": "0",
    "current_requests": 0,
    "created_at": "2026-01-02T03:04:05Z",
}


def transport_answering(status: int, body: object, requests: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(answer)


def client_answering(
    status: int, body: object, requests: list[httpx.Request], **options: Any
) -> AuthenticatedClient:
    transport = transport_answering(status, body, requests)
    return AuthenticatedClient(
        base_url=BASE_URL, token=CANARY_TOKEN, httpx_args={"transport": transport}, **options
    )


def shown(*values: object) -> str:
    return "\n".join(f"{value!r}\n{value!s}" for value in values)


def create(client: AuthenticatedClient) -> Response[Any]:
    return create_spend_key.sync_detailed(client=client, body=SpendKeyCreate(name="ci"))


def rotate(client: AuthenticatedClient) -> Response[Any]:
    return rotate_spend_key.sync_detailed("sk_1", client=client)


def test_token_never_appears_in_client_repr_even_after_a_request() -> None:
    requests: list[httpx.Request] = []
    client = client_answering(201, {**SPEND_KEY, "key": CANARY_KEY}, requests)
    before = shown(client)

    create(client)

    assert requests[0].headers["Authorization"] == f"Bearer {CANARY_TOKEN}"
    for text in (before, shown(client)):
        assert CANARY_TOKEN not in text
        assert "token='<redacted>'" in text


def test_token_never_appears_in_client_repr_even_after_an_async_request() -> None:
    requests: list[httpx.Request] = []
    client = client_answering(201, {**SPEND_KEY, "key": CANARY_KEY}, requests)

    asyncio.run(create_spend_key.asyncio_detailed(client=client, body=SpendKeyCreate(name="ci")))

    assert requests[0].headers["Authorization"] == f"Bearer {CANARY_TOKEN}"
    assert CANARY_TOKEN not in shown(client)


def test_an_authorization_header_passed_by_hand_is_redacted_in_client_repr_and_other_headers_show() -> None:
    client = Client(
        base_url=BASE_URL,
        headers={"authorization": f"Bearer {CANARY_TOKEN}"},
        httpx_args={"headers": {"Authorization": f"Bearer {CANARY_TOKEN}"}},
    ).with_headers({"X-Trace": "trace-1"})

    assert CANARY_TOKEN not in shown(client)
    assert "trace-1" in shown(client)


@pytest.mark.parametrize(("call", "status"), [(create, 201), (rotate, 200)], ids=["create", "rotate"])
def test_raw_key_never_appears_in_repr_of_the_response_or_the_spend_key_but_stays_readable(
    call: Callable[[AuthenticatedClient], Response[Any]], status: int
) -> None:
    client = client_answering(status, {**SPEND_KEY, "key": CANARY_KEY}, [])

    response = call(client)

    spend_key = response.parsed
    assert isinstance(spend_key, SpendKeyWithSecret)
    assert CANARY_KEY not in shown(response, spend_key)
    assert "key='<redacted>'" in repr(spend_key)
    assert "spend_key_id='sk_1'" in repr(response)
    assert spend_key.key == CANARY_KEY
    assert spend_key.to_dict()["key"] == CANARY_KEY
    assert CANARY_KEY.encode() in response.content


def test_unexpected_status_keeps_the_body_out_of_its_message_but_in_content() -> None:
    body = {"error": {"message": f"teapot holding {CANARY_KEY}", "code": "teapot", "status": 418}}
    client = client_answering(418, body, [], raise_on_unexpected_status=True)

    with pytest.raises(UnexpectedStatus) as raised:
        create(client)

    error = raised.value
    assert error.status_code == 418
    assert "418" in str(error)
    assert CANARY_KEY not in shown(error)
    assert CANARY_KEY not in "".join(traceback.format_exception(error))
    assert CANARY_KEY.encode() in error.content


def test_secret_names_among_undeclared_properties_are_redacted_at_any_depth_but_stay_readable() -> None:
    spend_key = SpendKey.from_dict(
        {**SPEND_KEY, "key": CANARY_KEY, "rotated": {"key": CANARY_KEY}, "history": [{"key": CANARY_KEY}]}
    )

    assert CANARY_KEY not in shown(spend_key)
    assert "'key': '<redacted>'" in repr(spend_key)
    assert spend_key["key"] == CANARY_KEY
    assert spend_key.to_dict()["rotated"] == {"key": CANARY_KEY}


def model_classes() -> list[type]:
    """Every model of every version's package."""
    return [
        value
        for version in API_VERSIONS
        for value in vars(importlib.import_module(f"lava_client.{version}.models")).values()
        if isinstance(value, type) and attrs.has(value)
    ]


@pytest.mark.parametrize("model", model_classes(), ids=lambda model: f"{model.__module__}.{model.__name__}")
def test_every_model_redacts_secret_names_in_its_repr_declared_or_undeclared(model: type) -> None:
    fields = attrs.fields_dict(model)

    if "additional_properties" in fields:
        assert fields["additional_properties"].repr is additional_properties_repr
    for name in SECRET_PROPERTY_NAMES & fields.keys():
        assert fields[name].repr is redacted_repr


def test_import_lava_client_exposes_authenticated_client() -> None:
    assert lava_client.AuthenticatedClient is AuthenticatedClient
    assert "AuthenticatedClient" in lava_client.__all__


def property_schemas(node: Any) -> list[tuple[str, Any]]:
    """Every (name, schema) pair of every `properties` map in the document, at any depth."""
    pairs: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            pairs.extend(node["properties"].items())
        for value in node.values():
            pairs.extend(property_schemas(value))
    elif isinstance(node, list):
        for value in node:
            pairs.extend(property_schemas(value))
    return pairs


def secret_marks(node: Any) -> int:
    """How many times `x-lava-secret: true` appears in the document, wherever it is."""
    if isinstance(node, dict):
        return int(node.get("x-lava-secret") is True) + sum(secret_marks(value) for value in node.values())
    if isinstance(node, list):
        return sum(secret_marks(value) for value in node)
    return 0


def is_secret(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("x-lava-secret") is True


@pytest.mark.parametrize("version", API_VERSIONS)
def test_secret_property_list_in_the_templates_is_exactly_each_specs_x_lava_secret_properties(
    version: str,
) -> None:
    in_spec = load_spec(spec_path(version)).secret_fields
    # autoescape is for HTML; these templates render Python.
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False)  # noqa: S701
    template = environment.get_template("secret_property_names.jinja")
    in_templates = set(template.module.secret_property_names)  # type: ignore[attr-defined]

    assert in_templates == in_spec
    assert in_templates == SECRET_PROPERTY_NAMES


@pytest.mark.parametrize("version", API_VERSIONS)
def test_every_x_lava_secret_mark_in_each_spec_is_on_a_property_so_the_templates_redact_it(
    version: str,
) -> None:
    # The templates redact by property name: a mark on a referenced schema, a parameter or a header
    # would be missed by the test above and by the generated code alike. Where a mark is written is the
    # document's shape, not a fact lava_spec answers, so this test reads the document itself.
    spec = yaml.safe_load(spec_path(version).read_text(encoding="utf-8"))
    marked = [name for name, schema in property_schemas(spec) if is_secret(schema)]

    assert marked
    assert secret_marks(spec) == len(marked)
    # lava_spec (and the test above through it) sees the spend key's marks: a mark on another schema's
    # property would escape both, so every mark must be one of those.
    assert set(marked) == load_spec(spec_path(version)).secret_fields
