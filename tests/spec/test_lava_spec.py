"""lava_spec, the one reader of the spec: what it answers, for our spec and for changed copies."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lava_spec import SPEC_PATH, Found, MethodNotAllowed, NotFound, SpecError, load_spec


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
