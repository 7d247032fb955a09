"""lava_spec, the one reader of the spec: what it answers, for our spec and for changed copies."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from lava_spec import SPEC_PATH, Found, MethodNotAllowed, NotFound, Operation, Router, SpecError, load_spec
from tests.repository import spec_document


def _without_manage_and_names_up_to_128(tmp_path: Path) -> Path:
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    document["paths"] = {path.removeprefix("/manage"): item for path, item in document["paths"].items()}
    document["components"]["schemas"]["SpendKeyName"]["maxLength"] = 128
    copy = tmp_path / "lava.yaml"
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return copy


def test_every_operation_is_read_with_its_path_statuses_and_parameters() -> None:
    spec = load_spec()
    raw = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    written = {
        operation["operationId"]: (method.upper(), path)
        for path, item in raw["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert {op.operation_id: (op.method, op.path) for op in spec.operations.values()} == written
    assert spec.base_path == "/v1"
    assert spec.operation("create_spend_key").success_status == 201
    assert spec.operation("get_spend_key").path_parameters == ("id",)


def test_the_router_routes_raw_paths_and_keeps_an_encoded_slash_inside_an_id() -> None:
    router = load_spec().router()
    found = router.match("POST", b"/v1/manage/spend_keys/a%2Fb/rotate")
    assert isinstance(found, Found)
    assert found.operation.operation_id == "rotate_spend_key"
    assert found.path_parameters == {"id": "a/b"}
    not_allowed = router.match("PATCH", "/v1/manage/spend_keys/x")
    assert isinstance(not_allowed, MethodNotAllowed)
    assert set(not_allowed.allow) == {"GET", "PUT", "DELETE"}
    assert isinstance(router.match("GET", "/v1/manage/spend_keys/a/b"), NotFound)
    assert isinstance(router.match("GET", b"/v1/manage/spend_keys/%ff"), NotFound)
    assert isinstance(router.match("GET", "/manage/spend_keys"), NotFound)
    relative = load_spec().router("")
    assert relative.operation_of("GET", "/manage/spend_keys") == load_spec().operation("list_spend_keys")


def test_paths_built_for_an_operation_route_back_to_it() -> None:
    spec = load_spec()
    for operation in spec.operations.values():
        values = dict.fromkeys(operation.path_parameters, "id with/odd ?chars")
        found = spec.router("").match(operation.method, operation.path_for(**values))
        assert isinstance(found, Found)
        assert found.operation == operation
        assert dict(found.path_parameters) == values


def test_constraints_come_through_refs_and_nullable_branches() -> None:
    spec = load_spec()
    name = spec.constraints("SpendKeyCreate", "name")
    assert (name.min_length, name.max_length, name.types) == (1, 255, ("string",))
    limit = spec.operation("list_spend_keys").parameter("limit").constraints
    assert (limit.lowest, limit.highest, limit.default) == (1, 100, 10)
    burst = spec.constraints("RateLimit", "burst")
    assert burst.nullable
    assert burst.lowest == 1
    assert spec.enum("Cycle") == ("daily", "weekly", "monthly", "total")
    assert spec.constraints("SpendKeyUpdate", "spend_limit").nullable


def test_secret_fields_and_the_operations_that_reveal_them() -> None:
    spec = load_spec()
    assert spec.secret_fields == {"key"}
    assert spec.revealing_operations == {"create_spend_key", "rotate_spend_key"}
    assert {"spend_key_id", "key_preview", "key"} <= spec.spend_key_fields


def test_response_problems_name_what_breaks_the_documented_schema() -> None:
    spec = load_spec()
    assert spec.response_problems("revoke_spend_key", 200, {"success": True}) == []
    assert spec.response_problems("revoke_spend_key", 200, {"success": "yes"})
    assert spec.response_validator("revoke_spend_key", 599) is None


def test_a_changed_copy_is_read_as_changed(tmp_path: Path) -> None:
    changed = _without_manage_and_names_up_to_128(tmp_path)
    spec = load_spec(changed)
    assert spec.operation("list_spend_keys").path == "/spend_keys"
    assert spec.router().operation_of("GET", "/v1/spend_keys") == spec.operation("list_spend_keys")
    assert spec.constraints("SpendKeyCreate", "name").max_length == 128
    assert load_spec().constraints("SpendKeyCreate", "name").max_length == 255


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the spec"),
        ("paths: [unclosed", "not valid YAML"),
        ("- a list", "not an OpenAPI document"),
        ("openapi: 3.1.0\npaths: {}\n", "servers"),
    ],
)
def test_an_unreadable_spec_is_a_spec_error_that_names_the_file(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "spec.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SpecError, match=message) as raised:
        load_spec(path)
    assert "spec.yaml" in str(raised.value)


def _spec_with(tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    document = spec_document()
    change(document)
    copy = tmp_path / "lava.yaml"
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return copy


def test_keywords_beside_a_ref_and_in_all_of_tighten_the_target(tmp_path: Path) -> None:
    def tighten(document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        schemas["SpendKeyCreate"]["properties"]["name"] = {
            "$ref": "#/components/schemas/SpendKeyName",
            "maxLength": 128,
        }
        schemas["SpendKeyUpdate"]["properties"]["name"] = {
            "allOf": [{"$ref": "#/components/schemas/SpendKeyName"}, {"maxLength": 64, "minLength": 3}]
        }

    spec = load_spec(_spec_with(tmp_path, tighten))
    assert spec.constraints("SpendKeyCreate", "name").max_length == 128
    update_name = spec.constraints("SpendKeyUpdate", "name")
    assert (update_name.min_length, update_name.max_length) == (3, 64)


def test_any_of_branches_are_alternatives_so_the_loosest_bound_and_every_enum_value_hold(
    tmp_path: Path,
) -> None:
    def alternatives(document: dict[str, Any]) -> None:
        document["components"]["schemas"]["Cycle"] = {
            "anyOf": [
                {"type": "string", "enum": ["daily"]},
                {"type": "string", "enum": ["weekly"]},
                {"type": "null"},
            ]
        }
        document["components"]["schemas"]["SpendKeyName"] = {
            "anyOf": [
                {"type": "string", "maxLength": 10},
                {"type": "string", "maxLength": 20, "minLength": 2},
            ]
        }

    spec = load_spec(_spec_with(tmp_path, alternatives))
    cycle = spec.constraints("Cycle")
    assert (cycle.enum, cycle.nullable) == (("daily", "weekly"), True)
    name = spec.constraints("SpendKeyName")
    assert (name.min_length, name.max_length) == (None, 20)


def test_an_edit_is_read_again_even_when_size_and_time_stay_the_same(tmp_path: Path) -> None:
    def name_length(length: int) -> Callable[[dict[str, Any]], object]:
        return lambda document: document["components"]["schemas"]["SpendKeyName"].update(maxLength=length)

    copy = _spec_with(tmp_path, name_length(255))
    assert load_spec(copy).constraints("SpendKeyName").max_length == 255
    stat = copy.stat()
    _spec_with(tmp_path, name_length(256))
    assert copy.stat().st_size == stat.st_size
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert load_spec(copy).constraints("SpendKeyName").max_length == 256


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda document: document.update(paths=[]), "`paths` must map"),
        (lambda document: document["paths"].update({"/nothing": None}), "/nothing must map methods"),
        (lambda document: document.update(servers=[]), "`servers`"),
        (
            lambda document: document["components"]["parameters"]["SpendKeyId"].pop("name"),
            "GET /manage/spend_keys/{id} cannot be read",
        ),
        (
            lambda document: document["paths"]["/manage/spend_keys/{id}"]["get"]["responses"].pop("200"),
            "documents no 2xx status",
        ),
    ],
)
def test_a_spec_missing_what_the_code_needs_is_a_spec_error_that_says_where(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(_spec_with(tmp_path, change))


def _operation(operation_id: str, method: str, path: str) -> Operation:
    return Operation(
        operation_id=operation_id,
        method=method,
        path=path,
        parameters=(),
        request_schema=None,
        responses={200: None},
    )


def test_the_router_takes_no_empty_id_gathers_allow_from_every_match_and_reads_str_as_utf8() -> None:
    # Two templates match /keys/export: the literal one has POST only, the parameter one GET only.
    overlapping = Router(
        [_operation("export", "POST", "/keys/export"), _operation("get", "GET", "/keys/{id}")], prefix="/v1"
    )
    assert overlapping.operation_of("GET", "/v1/keys/export") == _operation("get", "GET", "/keys/{id}")
    not_allowed = overlapping.match("PUT", "/v1/keys/export")
    assert isinstance(not_allowed, MethodNotAllowed)
    assert set(not_allowed.allow) == {"POST", "GET"}
    router = load_spec().router()
    assert isinstance(router.match("GET", "/v1/manage/spend_keys/"), NotFound)
    assert isinstance(router.match("POST", "/v1/manage/spend_keys//rotate"), NotFound)
    found = router.match("GET", "/v1/manage/spend_keys/clé")
    assert isinstance(found, Found)
    assert found.path_parameters == {"id": "clé"}


def test_only_header_names_are_case_insensitive() -> None:
    operation = load_spec().operation("list_spend_keys")
    assert operation.parameter("limit").name == "limit"
    with pytest.raises(KeyError):
        operation.parameter("LIMIT")
    assert load_spec().operation("create_spend_key").parameter("idempotency-key").location == "header"


def test_the_cycles_periods_and_the_cycle_each_figure_counts_in_are_read_from_the_spec() -> None:
    spec = load_spec()
    assert dict(spec.cycle_periods) == {
        "daily": "day",
        "weekly": "week",
        "monthly": "month",
        "total": "never",
    }
    assert dict(spec.figure_cycles) == {
        "current_spend": ("spend_limit", "cycle"),
        "current_requests": ("request_limit", "cycle"),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda doc: doc["components"]["schemas"]["Cycle"].update({"x-lava-cycle-periods": ["day"]}),
            "Cycle",
        ),
        (
            lambda doc: doc["components"]["schemas"]["SpendKey"]["properties"]["current_spend"].update(
                {"x-lava-cycle": "spend_limit..cycle"}
            ),
            "SpendKey.current_spend",
        ),
    ],
    ids=["periods not a mapping", "cycle path with an empty part"],
)
def test_a_malformed_cycle_extension_is_a_spec_error_that_names_where(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    spec = load_spec(_spec_with(tmp_path, change))
    with pytest.raises(SpecError, match=re.escape(message)):
        _ = spec.cycle_periods, spec.figure_cycles
