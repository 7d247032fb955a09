"""What lava_client does with an answer that is not what its spec says: newer (kept) or broken (one error).

Answers come from an httpx.MockTransport. Lava may add fields and enum values: those are read and kept.
A success body that cannot be read as its model raises APIResponseValidationError, from the typed and the
raw (`*_detailed`) layer alike, with a redacted excerpt. The last test holds `spec_drift`'s
severities to what this client does with an answer shaped by the changed spec.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from lava_client import APIResponseValidationError, AuthenticatedClient, LavaError
from lava_client.types import UNSET
from lava_client.v0.api.spend_keys import get_spend_key, list_spend_keys
from lava_client.v0.models import Cycle, SpendKey, SpendKeyStatus, SpendLimit

from lava_spec import load_spec
from spec_drift import compare_documents
from tests.repository import spec_document

CANARY_TOKEN = "lava_mk_canary_token_3b81f0"  # noqa: S105 (a canary to search for, not a credential)
CANARY_KEY = "lava_sk_canary_key_0d5e9a41c7"


def spend_key(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "spend_key_id": "sk_1",
        "key_preview": "lava_sk_canary_k****",
        "name": "key-1",
        "status": "active",
        "wallet_id": "wal_1",
        "current_spend": "0",
        "current_requests": 0,
        "created_at": "2026-01-02T03:04:05Z",
        "last_used_at": None,
        "spend_limit": {"amount": "5.00", "cycle": "monthly"},
    }
    body.update(changes)
    return body


def without(name: str) -> dict[str, Any]:
    body = spend_key()
    del body[name]
    return body


def client_answering(content: bytes, status: int = 200) -> AuthenticatedClient:
    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"X-Request-Id": "req_42"})

    return AuthenticatedClient(
        base_url=load_spec().server_url,
        token=CANARY_TOKEN,
        max_retries=0,
        httpx_args={"transport": httpx.MockTransport(answer)},
    )


def get_through(layer: str, client: AuthenticatedClient) -> object:
    """get_spend_key through one of its four functions; the parsed body."""
    if layer == "sync":
        return get_spend_key.sync("sk_1", client=client)
    if layer == "sync_detailed":
        return get_spend_key.sync_detailed("sk_1", client=client).parsed
    if layer == "asyncio":
        return asyncio.run(get_spend_key.asyncio("sk_1", client=client))
    return asyncio.run(get_spend_key.asyncio_detailed("sk_1", client=client)).parsed


LAYERS = ("sync", "sync_detailed", "asyncio", "asyncio_detailed")

MALFORMED: dict[str, tuple[bytes, str]] = {
    "an HTML page": (b"<html><body>Bad gateway</body></html>", "not JSON"),
    "an empty body": (b"", "empty"),
    "a required field missing": (json.dumps(without("key_preview")).encode(), "'key_preview' is missing"),
    "an array, not an object": (json.dumps([spend_key()]).encode(), "must be an object, not an array"),
    "a string where an integer goes": (
        json.dumps(spend_key(current_requests="3")).encode(),
        "current_requests must be an integer, not a string",
    ),
    "a number where a string goes": (
        json.dumps(spend_key(current_spend=0)).encode(),
        "current_spend must be a string, not a number",
    ),
    "null where a string goes": (
        json.dumps(spend_key(name=None)).encode(),
        "name must be a string, not null",
    ),
    "a date that is not one": (json.dumps(spend_key(created_at="01/12/2026")).encode(), "isoformat"),
    "a nullable date of the wrong type": (json.dumps(spend_key(last_used_at=5)).encode(), "TypeError"),
    "a nested object that is a string": (
        json.dumps(spend_key(spend_limit="5.00")).encode(),
        "SpendLimit must be an object, not a string",
    ),
    "an enum value that is not a string": (json.dumps(spend_key(status=1)).encode(), "SpendKeyStatus"),
}


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize(("content", "reason"), MALFORMED.values(), ids=list(MALFORMED))
def test_an_unreadable_success_body_raises_one_typed_error_from_every_layer(
    layer: str, content: bytes, reason: str
) -> None:
    with pytest.raises(APIResponseValidationError) as raised:
        get_through(layer, client_answering(content))
    error = raised.value
    assert isinstance(error, LavaError)
    assert error.status_code == 200
    assert error.request_id == "req_42"
    assert error.model == "SpendKey"
    assert reason in error.reason
    assert error.content == content
    assert "req_42" in str(error)
    # The cause is not chained: its message could quote a secret from the body.
    assert error.__cause__ is None
    assert error.__suppress_context__


@pytest.mark.parametrize(
    "content",
    [
        # The secrets first, so that they fall inside the excerpt.
        json.dumps(
            {"key": CANARY_KEY, "echo": f"Bearer {CANARY_TOKEN}", **spend_key(current_requests=None)}
        ).encode(),
        json.dumps({"nested": [{"key": CANARY_KEY}], "note": CANARY_KEY}).encode(),
        # Not JSON: cut off in the middle of the raw key.
        b'{"spend_key_id": "sk_1", "key": "' + CANARY_KEY.encode()[:-3],
        b"<html>" + CANARY_KEY.encode() + b" " + CANARY_TOKEN.encode() + b"</html>",
    ],
    ids=["json-with-key-and-token", "key-at-any-depth", "truncated-json", "html"],
)
def test_the_error_of_an_unreadable_body_never_shows_the_raw_key_or_the_token(content: bytes) -> None:
    with pytest.raises(APIResponseValidationError) as raised:
        get_spend_key.sync("sk_1", client=client_answering(content))
    error = raised.value
    for shown in (str(error), repr(error), error.excerpt, error.reason):
        assert CANARY_TOKEN not in shown
        assert CANARY_KEY not in shown
        assert CANARY_KEY[: len("lava_sk_") + 9] not in shown
    assert "<redacted>" in error.excerpt


def test_a_list_page_with_one_broken_item_raises_the_typed_error() -> None:
    page = {"data": [spend_key(), without("name")], "has_more": False}
    with pytest.raises(APIResponseValidationError, match="SpendKeyList"):
        list_spend_keys.sync(client=client_answering(json.dumps(page).encode()))


def test_an_enum_value_the_spec_does_not_list_is_kept_and_flagged_unknown() -> None:
    body = spend_key(status="archived", spend_limit={"amount": "1", "cycle": "yearly"})
    for layer in LAYERS:
        parsed = get_through(layer, client_answering(json.dumps(body).encode()))
        assert isinstance(parsed, SpendKey)
        assert parsed.status == "archived"
        assert str(parsed.status) == "archived"
        assert isinstance(parsed.status, SpendKeyStatus)
        assert not parsed.status.is_known
        assert repr(parsed.status) == "<SpendKeyStatus not in the spec: 'archived'>"
        assert isinstance(parsed.spend_limit, SpendLimit)
        assert parsed.spend_limit.cycle == "yearly"
        assert not parsed.spend_limit.cycle.is_known
        assert parsed.to_dict()["status"] == "archived"


def test_known_enum_values_are_the_members_themselves() -> None:
    parsed = get_spend_key.sync("sk_1", client=client_answering(json.dumps(spend_key()).encode()))
    assert parsed.status is SpendKeyStatus.ACTIVE
    assert parsed.status.is_known
    assert isinstance(parsed.spend_limit, SpendLimit)
    assert parsed.spend_limit.cycle is Cycle.MONTHLY
    # An unknown value never becomes a member: a server cannot grow the class.
    assert SpendKeyStatus("archived") not in list(SpendKeyStatus)


def test_fields_the_spec_does_not_declare_stay_readable_in_additional_properties() -> None:
    body = spend_key(total_spend="1.50", request_shape={"kind": "chat"})
    body["spend_limit"] = {"amount": "5.00", "cycle": "monthly", "resets_at": "2026-02-01T00:00:00Z"}
    parsed = get_spend_key.sync("sk_1", client=client_answering(json.dumps(body).encode()))
    assert parsed.additional_properties == {"total_spend": "1.50", "request_shape": {"kind": "chat"}}
    assert parsed["total_spend"] == "1.50"
    assert isinstance(parsed.spend_limit, SpendLimit)
    assert parsed.spend_limit["resets_at"] == "2026-02-01T00:00:00Z"


def test_an_unset_field_reads_as_unset_in_a_repr() -> None:
    assert repr(UNSET) == "UNSET"
    parsed = get_spend_key.sync("sk_1", client=client_answering(json.dumps(spend_key()).encode()))
    assert "request_limit=UNSET" in repr(parsed)
    assert "object at 0x" not in repr(parsed)


def test_retry_settings_changed_after_a_call_take_effect_at_the_next() -> None:
    attempts: list[int] = []

    def answer(_request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        return httpx.Response(503)

    client = AuthenticatedClient(
        base_url=load_spec().server_url,
        token=CANARY_TOKEN,
        max_retries=1,
        retry_backoff=0,
        httpx_args={"transport": httpx.MockTransport(answer)},
    )
    for max_retries in (1, 3, 0):
        client.max_retries = max_retries
        attempts.clear()
        with pytest.raises(LavaError):
            get_spend_key.sync("sk_1", client=client)
        assert len(attempts) == 1 + max_retries
    assert client.retry_policy().total == 0
    client.retry_backoff, client.max_retry_wait = 2.5, 7.0
    policy = client.retry_policy()
    assert (policy.backoff_factor, policy.max_backoff_wait) == (2.5, 7.0)
    assert client.retry_policy() is policy  # unchanged settings: the policy is reused
    assert client.retry_policy(4).total == 4  # a call's own max_retries still wins


# --- spec_drift's severities against what this client does --------------------------------------


def _spend_key_schema(doc: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = doc["components"]["schemas"]["SpendKey"]
    return schema


def _set_status_schema(doc: dict[str, Any], schema: dict[str, Any]) -> None:
    doc["components"]["schemas"]["SpendKeyStatus"] = schema


def _add_field(required: bool) -> Callable[[dict[str, Any]], None]:  # noqa: FBT001
    def mutate(doc: dict[str, Any]) -> None:
        _spend_key_schema(doc)["properties"]["total_spend"] = {"type": "string"}
        if required:
            _spend_key_schema(doc)["required"].append("total_spend")

    return mutate


def _remove_field(name: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        schema = _spend_key_schema(doc)
        del schema["properties"][name]
        if name in schema["required"]:
            schema["required"].remove(name)

    return mutate


def _unrequire(doc: dict[str, Any]) -> None:
    _spend_key_schema(doc)["required"].remove("name")


def _nullable_name(doc: dict[str, Any]) -> None:
    _spend_key_schema(doc)["properties"]["name"]["type"] = ["string", "null"]


def _retype_requests(doc: dict[str, Any]) -> None:
    _spend_key_schema(doc)["properties"]["current_requests"] = {"type": "string"}


# Each kind of change to the response, and a body the changed spec allows and ours may not.
RESPONSE_CHANGES: dict[str, tuple[Callable[[dict[str, Any]], None], dict[str, Any]]] = {
    "new enum value": (
        lambda doc: _set_status_schema(doc, {"type": "string", "enum": ["active", "paused", "archived"]}),
        spend_key(status="archived"),
    ),
    "enum no longer limited": (
        lambda doc: _set_status_schema(doc, {"type": "string"}),
        spend_key(status="x"),
    ),
    "new required field": (_add_field(required=True), spend_key(total_spend="1.00")),
    "new optional field": (_add_field(required=False), spend_key(total_spend="1.00")),
    "optional field removed": (_remove_field("last_used_at"), without("last_used_at")),
    "required field removed": (_remove_field("key_preview"), without("key_preview")),
    "field no longer required": (_unrequire, without("name")),
    "field now nullable": (_nullable_name, spend_key(name=None)),
    "field of another type": (_retype_requests, spend_key(current_requests="3")),
}


@pytest.mark.parametrize(("mutate", "body"), RESPONSE_CHANGES.values(), ids=list(RESPONSE_CHANGES))
def test_spec_drift_calls_a_response_change_breaking_exactly_when_this_client_fails_on_it(
    mutate: Callable[[dict[str, Any]], None], body: dict[str, Any]
) -> None:
    # spec_drift compares whole documents, so the changed copy is made from the raw one.
    ours = spec_document()
    upstream = copy.deepcopy(ours)
    mutate(upstream)
    get = load_spec().operation("get_spend_key")
    changes = [
        change
        for change in compare_documents(ours, upstream)
        if change.operation == get.label and f"of {get.success_status}" in change.message
    ]
    assert changes, "the mutation should change the 200 answer of get"
    severities = {change.severity for change in changes}
    assert len(severities) == 1, changes
    try:
        get_spend_key.sync("sk_1", client=client_answering(json.dumps(body).encode()))
    except APIResponseValidationError:
        fails = True
    else:
        fails = False
    assert severities == {"breaking" if fails else "non-breaking"}, changes
