"""The spec drives the reference server: a changed copy (`create_app(spec_path=copy)`) is served as changed.

Each change here needs no new semantics, so the server must follow it without an edit: paths without
`/manage`, another server path, a lower `maxLength` or `limit` maximum, new enum values, a new optional
field, a new documented error status. Every management answer is checked against the changed spec
(`Api(..., spec=...)`), not ours. A new operation does need semantics: `create_app` refuses it by name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.reference_server import StagingConditions, TransientFailures, create_app
from lava_spec import SPEC_PATH, Spec, load_spec
from tests.reference_server.api import AUTH, Api, TestClient, error_of

Document = dict[str, Any]
NEW_CYCLE = "hourly"
NEW_STATUS = "archived"
# Declared on both request bodies and on SpendKey: stored as sent and shown back.
NEW_FIELD = "description"
# Declared on the create body only: accepted, never shown.
REQUEST_ONLY_FIELD = "team"


def _without_manage(document: Document) -> None:
    document["paths"] = {path.removeprefix("/manage"): item for path, item in document["paths"].items()}


def _name_up_to_128(document: Document) -> None:
    document["components"]["schemas"]["SpendKeyName"]["maxLength"] = 128


def _new_enum_values(document: Document) -> None:
    schemas = document["components"]["schemas"]
    schemas["Cycle"]["enum"].append(NEW_CYCLE)
    schemas["SpendKeyStatus"]["enum"].append(NEW_STATUS)


def _new_optional_fields(document: Document) -> None:
    schemas = document["components"]["schemas"]
    for name in ("SpendKeyCreate", "SpendKeyUpdate", "SpendKey"):
        schemas[name]["properties"][NEW_FIELD] = {"type": "string", "maxLength": 40}
    schemas["SpendKeyCreate"]["properties"][REQUEST_ONLY_FIELD] = {"type": "string"}


def _limit_up_to_20(document: Document) -> None:
    for parameter in document["paths"]["/manage/spend_keys"]["get"]["parameters"]:
        if parameter["name"] == "limit":
            parameter["schema"]["maximum"] = 20


def _new_query_parameters(document: Document) -> None:
    document["paths"]["/manage/spend_keys"]["get"]["parameters"] += [
        {"name": "tag", "in": "query", "schema": {"type": "string", "maxLength": 8, "pattern": "^[a-z]+$"}},
        {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["created", "name"]}},
        {"name": "min_spend", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 500}},
        {"name": "live", "in": "query", "schema": {"type": "boolean"}},
    ]


def _conflict_documented_on_create(document: Document) -> None:
    document["paths"]["/manage/spend_keys"]["post"]["responses"]["409"] = {
        "description": "A key with this name exists already.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _server_path_v2(document: Document) -> None:
    document["servers"][0]["url"] = "https://api.lava.so/v2"


# The changes that need no new semantics, applied together; `/manage` last, since the others find paths by it.
EVERY_CHANGE = (
    _name_up_to_128,
    _new_enum_values,
    _new_optional_fields,
    _limit_up_to_20,
    _new_query_parameters,
    _conflict_documented_on_create,
    _without_manage,
)


def write_changed(tmp_path: Path, *changes: Callable[[Document], None]) -> Path:
    """Write a copy of the spec with `changes` applied, and return its path."""
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    for change in changes:
        change(document)
    copy = tmp_path / "lava.yaml"
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return copy


@pytest.fixture
def changed(tmp_path: Path) -> Spec:
    return load_spec(write_changed(tmp_path, *EVERY_CHANGE))


@pytest.fixture
def api(changed: Spec) -> Api:
    return Api(TestClient(create_app(spec_path=changed.path)), AUTH, spec=changed)


def test_paths_without_manage_are_served_and_the_old_ones_are_not(api: Api) -> None:
    assert api.paths.collection == "/v1/spend_keys"
    spend_key_id = api.created({"name": "moved"})["spend_key_id"]
    assert api.paths.item(spend_key_id) == f"/v1/spend_keys/{spend_key_id}"
    assert api.get(spend_key_id).status_code == 200
    assert api.ids() == [spend_key_id]
    assert api.update(spend_key_id, {"name": "renamed"}).json()["name"] == "renamed"
    assert api.rotate(spend_key_id).status_code == 200
    assert api.revoke(spend_key_id).json() == {"success": True}
    old = api.client.get(f"/v1/manage/spend_keys/{spend_key_id}", headers=AUTH)
    assert old.status_code == 404
    assert "/v1/spend_keys/{id}/rotate" in error_of(old)["message"]
    assert "/manage" not in error_of(old)["message"]


def test_405_on_a_moved_path_allows_the_methods_the_changed_spec_declares(api: Api) -> None:
    response = api.client.request("PATCH", "/v1/spend_keys/sk_1", headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PUT, DELETE"


def test_a_name_max_length_of_128_rejects_129_and_accepts_128(api: Api) -> None:
    too_long = api.create({"name": "n" * 129})
    assert too_long.status_code == 422
    assert "at most 128 characters" in error_of(too_long)["message"]
    assert api.all_ids() == []
    spend_key_id = api.created({"name": "n" * 128})["spend_key_id"]
    assert api.update(spend_key_id, {"name": "m" * 129}).status_code == 422
    assert api.update(spend_key_id, {"name": "m" * 128}).status_code == 200


def test_a_new_cycle_and_a_new_status_are_accepted_stored_and_echoed(api: Api) -> None:
    body = {
        "name": "hourly",
        "status": NEW_STATUS,
        "spend_limit": {"amount": "1.00", "cycle": NEW_CYCLE},
        "request_limit": {"count": 3, "cycle": NEW_CYCLE},
    }
    created = api.created(body)
    assert (created["status"], created["spend_limit"]["cycle"]) == (NEW_STATUS, NEW_CYCLE)
    got = api.get(created["spend_key_id"]).json()
    assert (got["status"], got["spend_limit"], got["request_limit"]) == (
        NEW_STATUS,
        body["spend_limit"],
        body["request_limit"],
    )
    assert api.create({"name": "x", "spend_limit": {"amount": "1", "cycle": "yearly"}}).status_code == 422


def test_a_new_optional_field_on_spend_key_is_stored_and_echoed_and_a_request_only_one_is_not(
    api: Api,
) -> None:
    created = api.created({"name": "k", NEW_FIELD: "for the demo", REQUEST_ONLY_FIELD: "ops", "other": 1})
    assert created[NEW_FIELD] == "for the demo"
    assert REQUEST_ONLY_FIELD not in created
    assert "other" not in created
    spend_key_id = created["spend_key_id"]
    assert api.get(spend_key_id).json()[NEW_FIELD] == "for the demo"
    assert api.list_page().json()["data"][0][NEW_FIELD] == "for the demo"
    assert api.update(spend_key_id, {NEW_FIELD: "changed"}).json()[NEW_FIELD] == "changed"
    assert api.update(spend_key_id, {"name": "renamed"}).json()[NEW_FIELD] == "changed"
    assert api.rotate(spend_key_id).json()[NEW_FIELD] == "changed"
    # Its own constraints are the changed spec's.
    assert api.create({"name": "k", NEW_FIELD: "x" * 41}).status_code == 422
    assert NEW_FIELD not in api.created({"name": "without it"})


def test_a_lowered_limit_maximum_is_enforced_and_named(api: Api) -> None:
    too_many = api.list_page(limit="21")
    assert too_many.status_code == 400
    assert error_of(too_many)["message"] == "`limit` must be from 1 to 20."
    for _ in range(21):
        api.created()
    assert len(api.ids(limit="20")) == 20
    assert len(api.ids()) == 10, "the default is still the spec's"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"tag": "ninechars"}, "`tag` must be at most 8 characters long."),
        ({"tag": "UPPER"}, "`tag` must match the pattern ^[a-z]+$."),
        ({"sort": "size"}, '`sort` must be one of "created", "name".'),
        ({"min_spend": "501"}, "`min_spend` must be from 0 to 500."),
        ({"min_spend": "-1"}, "`min_spend` must be from 0 to 500."),
        ({"min_spend": "ten"}, "`min_spend` must be an integer from 0 to 500."),
        ({"live": "yes"}, "`live` must be true or false."),
    ],
)
def test_a_new_query_parameter_is_checked_against_its_own_schema(
    api: Api, query: dict[str, str], message: str
) -> None:
    response = api.list_page(**query)
    assert response.status_code == 400
    assert error_of(response) == {"message": message, "code": "invalid_parameter", "status": 400}


def test_a_new_query_parameter_within_its_schema_is_accepted_and_given_once_only(api: Api) -> None:
    api.created()
    within = api.list_page(tag="abcdefgh", sort="name", min_spend="500", live="false")
    assert within.status_code == 200
    assert len(within.json()["data"]) == 1
    twice = api.request("GET", f"{api.paths.collection}?tag=a&tag=b")
    assert twice.status_code == 400
    assert "`tag` is given more than once" in error_of(twice)["message"]


def _raw_key_named_secret(document: Document) -> None:
    with_secret = document["components"]["schemas"]["SpendKeyWithSecret"]["allOf"][1]
    with_secret["required"] = ["secret"]
    with_secret["properties"] = {"secret": with_secret["properties"].pop("key")}


def test_the_raw_key_is_shown_under_the_specs_secret_field_name(tmp_path: Path) -> None:
    spec = load_spec(write_changed(tmp_path, _raw_key_named_secret))
    assert spec.secret_fields == {"secret"}
    api = Api(TestClient(create_app(spec_path=spec.path)), AUTH, spec=spec)
    created = api.created()
    assert created["secret"].startswith("lava_sk_")
    assert "key" not in created
    rotated = api.rotate(created["spend_key_id"]).json()
    assert rotated["secret"] not in {created["secret"], None}
    assert "key" not in rotated
    assert "secret" not in api.get(created["spend_key_id"]).json()


def test_a_spec_without_exactly_one_secret_field_is_refused_at_start_up(tmp_path: Path) -> None:
    def two_secrets(document: Document) -> None:
        properties = document["components"]["schemas"]["SpendKeyWithSecret"]["allOf"][1]["properties"]
        properties["pin"] = {"type": "string", "x-lava-secret": True}

    with pytest.raises(ValueError, match="one x-lava-secret field, but the spec marks 2: key, pin"):
        create_app(spec_path=write_changed(tmp_path, two_secrets))


def test_a_query_parameter_the_server_cannot_read_is_refused_at_start_up(tmp_path: Path) -> None:
    def array_parameter(document: Document) -> None:
        document["paths"]["/manage/spend_keys"]["get"]["parameters"].append(
            {"name": "ids", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}
        )

    with pytest.raises(ValueError, match="query parameter `ids` is of type array"):
        create_app(spec_path=write_changed(tmp_path, array_parameter))


def test_a_newly_documented_error_status_changes_nothing_that_is_served(api: Api, changed: Spec) -> None:
    assert 409 in changed.operation("create_spend_key").responses
    assert api.create({"name": "same"}).status_code == 201
    assert api.create({"name": "same"}).status_code == 201


def test_the_server_path_the_proxy_and_the_404s_follow_the_spec_server_url(tmp_path: Path) -> None:
    spec = load_spec(write_changed(tmp_path, _server_path_v2))
    api = Api(TestClient(create_app(spec_path=spec.path)), AUTH, spec=spec)
    assert api.paths.collection == "/v2/manage/spend_keys"
    created = api.created()
    assert api.proxy(created["key"]).json()["spend_key_id"] == created["spend_key_id"]
    assert api.client.get("/v1/manage/spend_keys", headers=AUTH).status_code == 404
    assert api.client.post("/v1/chat/completions", headers=AUTH).status_code == 404


def test_staging_conditions_and_transient_failures_follow_the_changed_paths(changed: Spec) -> None:
    conditions = StagingConditions(preexisting_keys=5, throttle_every=2)
    app = create_app(spec_path=changed.path, staging=conditions, transient=TransientFailures(("503",)))
    api = Api(TestClient(app), AUTH, spec=changed, check=False)
    assert api.list_page().status_code == 503, "the first attempt meets the transient failure"
    listed = api.list_page()
    assert listed.status_code == 200
    assert {key["spend_limit"]["cycle"] for key in listed.json()["data"]} >= {NEW_CYCLE}
    assert api.list_page(limit="3").status_code == 503
    assert api.list_page(limit="3").status_code == 429, "the second counted request is throttled"
    assert api.proxy("lava_sk_unknown").status_code == 401, "the proxy meets neither"


def test_an_operation_without_a_handler_is_refused_by_name(tmp_path: Path) -> None:
    def add_pause(document: Document) -> None:
        document["paths"]["/manage/spend_keys/{id}/pause"] = {
            "post": {"operationId": "pause_spend_key", "responses": {"200": {"description": "Paused"}}}
        }

    with pytest.raises(
        ValueError, match=r"pause_spend_key \(POST /manage/spend_keys/\{id\}/pause\)"
    ) as raised:
        create_app(spec_path=write_changed(tmp_path, add_pause))
    assert "HANDLERS in contract_tests/reference_server/app.py" in str(raised.value)
