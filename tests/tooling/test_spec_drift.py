import copy
import importlib.metadata
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spec_drift
from lava_spec import (
    API_VERSION_VARIABLE,
    API_VERSIONS,
    SPEC_PATH,
    UnknownApiVersionError,
    load_spec,
    spec_path,
)
from lava_spec.versions import accepted_drift_path
from spec_drift import Change, compare_documents, main
from tests.repository import FIXTURES, spec_document

SPEC = load_spec()
METHODS = ("get", "put", "post", "delete", "patch")
Doc = dict[str, Any]


@pytest.fixture(scope="module")
def ours() -> Doc:
    # spec_drift compares whole documents: the tests here change a copy of ours and compare the two.
    return spec_document()


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def resolve(doc: Doc, pointer: str) -> Any:
    node: Any = doc
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def inline_refs(doc: Doc) -> Doc:
    """Replace every local $ref with a copy of its target (our spec has no cycles)."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = walk(copy.deepcopy(resolve(doc, node["$ref"][1:])))
                siblings = {key: walk(value) for key, value in node.items() if key != "$ref"}
                return {**target, **siblings}
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    inlined: Doc = walk(doc)
    return inlined


def reverse_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: reverse_keys(node[key]) for key in reversed(list(node))}
    if isinstance(node, list):
        return [reverse_keys(item) for item in node]
    return node


def to_openapi_30(node: Any) -> Any:
    """Write 3.1 nullability (`anyOf` with a null branch, `type: [x, 'null']`) as 3.0 `nullable: true`."""
    if isinstance(node, list):
        return [to_openapi_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: to_openapi_30(value) for key, value in node.items()}
    if node.get("openapi", "").startswith("3.1"):
        node["openapi"] = "3.0.3"
    for keyword in ("anyOf", "oneOf"):
        branches = node.get(keyword)
        if isinstance(branches, list) and {"type": "null"} in branches:
            rest = [branch for branch in branches if branch != {"type": "null"}]
            del node[keyword]
            if len(rest) == 1 and "$ref" in rest[0]:
                node.update({"allOf": rest, "nullable": True})
            elif len(rest) == 1:
                node.update({**rest[0], "nullable": True})
            else:
                node.update({keyword: rest, "nullable": True})
    if isinstance(node.get("type"), list) and "null" in node["type"]:
        (node["type"],) = [name for name in node["type"] if name != "null"]
        node["nullable"] = True
    return node


def operations(doc: Doc) -> list[tuple[str, str]]:
    return [(path, method) for path, item in doc["paths"].items() for method in METHODS if method in item]


def label(path: str, method: str) -> str:
    return f"{method.upper()} {path}"


def schema_nodes(node: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node under an inlined schema, with its pointer."""
    if not isinstance(node, dict):
        return
    yield pointer, node
    for name, child in (node.get("properties") or {}).items():
        yield from schema_nodes(child, f"{pointer}/properties/{escape(name)}")
    if "items" in node:
        yield from schema_nodes(node["items"], f"{pointer}/items")
    for keyword in ("allOf", "anyOf", "oneOf"):
        for index, child in enumerate(node.get(keyword) or []):
            yield from schema_nodes(child, f"{pointer}/{keyword}/{index}")


def request_schemas(doc: Doc) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(path, method, pointer, node) of every schema node a request carries: body and parameters."""
    for path, method in operations(doc):
        op_pointer = f"/paths/{escape(path)}/{method}"
        op = doc["paths"][path][method]
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            root = f"{op_pointer}/requestBody/content/application~1json/schema"
            for pointer, node in schema_nodes(body["schema"], root):
                yield path, method, pointer, node
        for owner, owner_pointer in ((doc["paths"][path], f"/paths/{escape(path)}"), (op, op_pointer)):
            for index, parameter in enumerate(owner.get("parameters") or []):
                root = f"{owner_pointer}/parameters/{index}/schema"
                for pointer, node in schema_nodes(parameter["schema"], root):
                    yield path, method, pointer, node


def response_schemas(doc: Doc) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(path, method, pointer, node) of every schema node of a success response."""
    for path, method in operations(doc):
        responses = doc["paths"][path][method]["responses"]
        for status, response in responses.items():
            body = response.get("content", {}).get("application/json")
            if status.startswith("2") and body:
                root = f"/paths/{escape(path)}/{method}/responses/{status}/content/application~1json/schema"
                for pointer, node in schema_nodes(body["schema"], root):
                    yield path, method, pointer, node


def properties_of(nodes: Iterator[tuple[str, str, str, dict[str, Any]]]) -> list[tuple[str, str, str, str]]:
    """(path, method, object pointer, property name) for every property."""
    return [
        (path, method, pointer, name)
        for path, method, pointer, node in nodes
        for name in node.get("properties") or {}
    ]


# A mutation takes an inlined copy of our spec and Hypothesis' data; it changes one thing and returns
# the change the differ must report: (severity, operation, location).
Expected = tuple[str, str, str]
Mutation = Callable[[Doc, st.DataObject], Expected]


def remove_operation(doc: Doc, data: st.DataObject) -> Expected:
    path, method = data.draw(st.sampled_from(operations(doc)))
    del doc["paths"][path][method]
    return "breaking", label(path, method), f"/paths/{escape(path)}/{method}"


def change_method(doc: Doc, data: st.DataObject) -> Expected:
    path, method = data.draw(st.sampled_from(operations(doc)))
    free = [other for other in METHODS if other not in doc["paths"][path]]
    new = data.draw(st.sampled_from(free))
    doc["paths"][path][new] = doc["paths"][path].pop(method)
    return "breaking", label(path, method), f"/paths/{escape(path)}/{new}"


def remove_response_field(doc: Doc, data: st.DataObject) -> Expected:
    path, method, pointer, name = data.draw(st.sampled_from(properties_of(response_schemas(doc))))
    node = resolve(doc, pointer)
    del node["properties"][name]
    required = name in node.get("required", [])
    if required:
        node["required"].remove(name)
    # The client raises on a missing required field and reads a missing optional one as UNSET.
    severity = "breaking" if required else "non-breaking"
    return severity, label(path, method), f"{pointer}/properties/{escape(name)}"


def retype_response_field(doc: Doc, data: st.DataObject) -> Expected:
    candidates = [
        (path, method, pointer)
        for path, method, pointer, node in response_schemas(doc)
        if node.get("type") in {"string", "integer", "number", "array", "object"}
        and "/properties/" in pointer
    ]
    path, method, pointer = data.draw(st.sampled_from(candidates))
    resolve(doc, pointer)["type"] = "boolean"
    return "breaking", label(path, method), pointer


def unrequire_response_field(doc: Doc, data: st.DataObject) -> Expected:
    candidates = [
        (path, method, pointer, name)
        for path, method, pointer, node in response_schemas(doc)
        for name in node.get("required", [])
    ]
    path, method, pointer, name = data.draw(st.sampled_from(candidates))
    resolve(doc, pointer)["required"].remove(name)
    return "breaking", label(path, method), f"{pointer}/properties/{escape(name)}"


def add_response_enum_value(doc: Doc, data: st.DataObject) -> Expected:
    candidates = [
        (path, method, pointer) for path, method, pointer, node in response_schemas(doc) if "enum" in node
    ]
    path, method, pointer = data.draw(st.sampled_from(candidates))
    resolve(doc, pointer)["enum"].append("brand_new_value")
    # The client keeps an enum value its spec does not list (is_known False).
    return "non-breaking", label(path, method), pointer


def remove_request_enum_value(doc: Doc, data: st.DataObject) -> Expected:
    candidates = [
        (path, method, pointer)
        for path, method, pointer, node in request_schemas(doc)
        if len(node.get("enum", [])) > 1
    ]
    path, method, pointer = data.draw(st.sampled_from(candidates))
    enum = resolve(doc, pointer)["enum"]
    enum.remove(data.draw(st.sampled_from(enum)))
    return "breaking", label(path, method), pointer


def _request_objects(doc: Doc) -> list[tuple[str, str, str]]:
    return [
        (path, method, pointer)
        for path, method, pointer, node in request_schemas(doc)
        if "properties" in node
    ]


def add_required_request_field(doc: Doc, data: st.DataObject) -> Expected:
    path, method, pointer = data.draw(st.sampled_from(_request_objects(doc)))
    node = resolve(doc, pointer)
    node["properties"]["brand_new_field"] = {"type": "string"}
    node["required"] = [*node.get("required", []), "brand_new_field"]
    return "breaking", label(path, method), f"{pointer}/properties/brand_new_field"


def add_optional_request_field(doc: Doc, data: st.DataObject) -> Expected:
    path, method, pointer = data.draw(st.sampled_from(_request_objects(doc)))
    resolve(doc, pointer)["properties"]["brand_new_field"] = {"type": "string"}
    return "non-breaking", label(path, method), f"{pointer}/properties/brand_new_field"


def remove_request_field(doc: Doc, data: st.DataObject) -> Expected:
    path, method, pointer, name = data.draw(st.sampled_from(properties_of(request_schemas(doc))))
    node = resolve(doc, pointer)
    del node["properties"][name]
    if name in node.get("required", []):
        node["required"].remove(name)
    return "breaking", label(path, method), f"{pointer}/properties/{escape(name)}"


def _bump(keyword: str, delta: int, severity: str) -> Mutation:
    def mutate(doc: Doc, data: st.DataObject) -> Expected:
        candidates = [
            (path, method, pointer) for path, method, pointer, node in request_schemas(doc) if keyword in node
        ]
        path, method, pointer = data.draw(st.sampled_from(candidates))
        resolve(doc, pointer)[keyword] += delta
        return severity, label(path, method), pointer

    mutate.__name__ = f"change_request_{keyword}_by_{delta}"
    return mutate


def add_min_items(doc: Doc, data: st.DataObject) -> Expected:
    candidates = [
        (path, method, pointer)
        for path, method, pointer, node in request_schemas(doc)
        if node.get("type") == "array" and "minItems" not in node
    ]
    path, method, pointer = data.draw(st.sampled_from(candidates))
    resolve(doc, pointer)["minItems"] = 1
    return "breaking", label(path, method), pointer


def change_security(doc: Doc, data: st.DataObject) -> Expected:
    path, method = data.draw(st.sampled_from(operations(doc)))
    doc["components"]["securitySchemes"]["apiKeyAuth"] = {"type": "apiKey", "in": "header", "name": "X-Key"}
    doc["paths"][path][method]["security"] = [{"apiKeyAuth": []}]
    return "breaking", label(path, method), f"/paths/{escape(path)}/{method}/security"


def add_operation(doc: Doc, data: st.DataObject) -> Expected:
    path = data.draw(st.sampled_from(sorted(doc["paths"])))
    method = data.draw(st.sampled_from([other for other in METHODS if other not in doc["paths"][path]]))
    doc["paths"][path][method] = {
        "operationId": "brand_new_operation",
        "responses": {"200": {"description": "OK"}},
    }
    return "non-breaking", label(path, method), f"/paths/{escape(path)}/{method}"


def add_response_field(doc: Doc, data: st.DataObject) -> Expected:
    candidates = [
        (path, method, pointer)
        for path, method, pointer, node in response_schemas(doc)
        if "properties" in node
    ]
    path, method, pointer = data.draw(st.sampled_from(candidates))
    resolve(doc, pointer)["properties"]["brand_new_field"] = {"type": "string"}
    return "non-breaking", label(path, method), f"{pointer}/properties/brand_new_field"


MUTATIONS: list[Mutation] = [
    remove_operation,
    change_method,
    remove_response_field,
    retype_response_field,
    unrequire_response_field,
    add_response_enum_value,
    remove_request_enum_value,
    add_required_request_field,
    remove_request_field,
    _bump("maxLength", -1, "breaking"),
    _bump("minimum", 1, "breaking"),
    add_min_items,
    _bump("maxLength", 1, "non-breaking"),
    change_security,
    add_operation,
    add_optional_request_field,
    add_response_field,
]


# --- our spec against harmless rewrites of itself --------------------------------------------------


def test_our_spec_compared_with_itself_reports_nothing(ours: Doc) -> None:
    assert compare_documents(ours, copy.deepcopy(ours)) == []


@pytest.mark.parametrize(
    "rewrite",
    [reverse_keys, inline_refs, to_openapi_30, lambda doc: to_openapi_30(inline_refs(reverse_keys(doc)))],
    ids=["reordered-keys", "all-refs-inlined", "openapi-3.0-nullable", "all-three"],
)
def test_harmless_rewrites_of_our_spec_report_nothing(ours: Doc, rewrite: Callable[[Doc], Doc]) -> None:
    assert compare_documents(ours, rewrite(copy.deepcopy(ours))) == []


def test_one_component_inlined_reports_nothing(ours: Doc) -> None:
    doc = copy.deepcopy(ours)
    spend_key = doc["components"]["schemas"]["SpendKey"]

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("$ref") == "#/components/schemas/SpendKey":
                return copy.deepcopy(spend_key)
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    doc["paths"] = inline(doc["paths"])
    doc["components"]["schemas"] = {
        name: inline(schema) if name != "SpendKey" else schema
        for name, schema in doc["components"]["schemas"].items()
    }
    assert '"#/components/schemas/SpendKey"' not in json.dumps(doc)
    assert compare_documents(ours, doc) == []


def test_inline_schemas_moved_into_components_report_nothing(ours: Doc) -> None:
    doc = copy.deepcopy(ours)
    schemas = doc["components"]["schemas"]
    schemas["ErrorBody"] = schemas["Error"]["properties"]["error"]
    schemas["Error"]["properties"]["error"] = {"$ref": "#/components/schemas/ErrorBody"}
    list_op = _list_op(doc)
    schemas["PageLimit"] = list_op["parameters"][2]["schema"]
    list_op["parameters"][2]["schema"] = {"$ref": "#/components/schemas/PageLimit"}
    assert compare_documents(ours, doc) == []


def test_manage_prefix_dropped_reports_nothing_with_same_prefix(ours: Doc) -> None:
    doc = copy.deepcopy(ours)
    doc["paths"] = {path.removeprefix("/manage"): item for path, item in doc["paths"].items()}
    assert compare_documents(ours, doc, same_prefix="/manage") == []
    without = compare_documents(ours, doc)
    assert without
    assert all(change.severity == "breaking" and "moved" in change.message for change in without)


def test_3_1_type_list_with_null_is_the_same_as_anyof_with_null(ours: Doc) -> None:
    doc = copy.deepcopy(ours)
    doc["components"]["schemas"]["NullableDateTime"] = {"type": ["string", "null"], "format": "date-time"}
    assert compare_documents(ours, doc) == []


def test_operations_of_other_tags_are_ignored(ours: Doc) -> None:
    doc = copy.deepcopy(ours)
    doc["paths"]["/usage"] = {"get": {"tags": ["Usage"], "responses": {"200": {"description": "OK"}}}}
    assert compare_documents(ours, doc) == []


def test_cyclic_refs_do_not_loop(ours: Doc) -> None:
    doc = copy.deepcopy(ours)
    doc["components"]["schemas"]["SpendKey"]["properties"]["parent"] = {
        "$ref": "#/components/schemas/SpendKey"
    }
    assert compare_documents(doc, copy.deepcopy(doc)) == []


# --- each single mutation is exactly one change ------------------------------------------------------


@pytest.fixture(scope="module")
def inlined(ours: Doc) -> Doc:
    return inline_refs(ours)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_each_single_mutation_reports_exactly_one_change(inlined: Doc, data: st.DataObject) -> None:
    mutation = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    mutated = copy.deepcopy(inlined)
    severity, operation, location = mutation(mutated, data)
    changes = compare_documents(inlined, mutated)
    assert len(changes) == 1, [change.message for change in changes]
    (change,) = changes
    assert (change.severity, change.operation, change.location) == (severity, operation, location)
    # The location resolves in the document it names: ours for removals, upstream's otherwise.
    resolve(inlined if "our spec" in change.message else mutated, change.location)


# --- the command ----------------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, doc: Doc) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


def test_cli_exits_0_when_nothing_changed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SPEC_PATH)]) == 0
    assert "0 changes" in capsys.readouterr().out


def test_cli_fail_on_any_exits_1_on_a_non_breaking_change(
    ours: Doc, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(ours)
    doc["components"]["schemas"]["SpendKey"]["properties"]["brand_new_field"] = {"type": "string"}
    upstream = write(tmp_path, "upstream.yaml", doc)
    assert main([upstream]) == 0
    assert main([upstream, "--fail-on", "any"]) == 1
    out = capsys.readouterr().out
    assert "| non-breaking |" in out


def test_cli_exits_1_on_a_breaking_change_and_json_matches_the_schema(
    ours: Doc, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(ours)
    doc["components"]["schemas"]["SpendKey"]["properties"]["current_requests"]["type"] = "string"
    upstream = write(tmp_path, "upstream.json", doc)
    assert main([upstream, "--format", "json"]) == 1
    output = json.loads(capsys.readouterr().out)
    assert set(output) == {"changes", "accepted", "stale"}
    assert output["accepted"] == output["stale"] == []
    assert output["changes"]
    for change in output["changes"]:
        assert set(change) == {"severity", "operation", "location", "message"}
        assert change["severity"] in {"breaking", "non-breaking"}
        assert change["operation"] is None or change["operation"].split(" ")[0] in {
            "GET",
            "POST",
            "PUT",
            "DELETE",
        }
        assert change["location"].startswith("/")
        assert isinstance(change["message"], str)
    assert any(
        change["location"] == "/components/schemas/SpendKey/properties/current_requests/type"
        or change["location"] == "/components/schemas/SpendKey/properties/current_requests"
        for change in output["changes"]
    )


def test_cli_same_prefix_matches_paths_without_manage(
    ours: Doc, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(ours)
    doc["paths"] = {path.removeprefix("/manage"): item for path, item in doc["paths"].items()}
    upstream = write(tmp_path, "upstream.yaml", doc)
    assert main([upstream, "--same-prefix", "/manage", "--fail-on", "any"]) == 0
    assert main([upstream]) == 1
    capsys.readouterr()


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["/no/such/file.yaml"], "no such file"),
        (["{upstream_not_openapi}"], "not OpenAPI 3.x"),
        (["{upstream_unparseable}"], "neither JSON nor YAML"),
        (["http://127.0.0.1:9/x"], "could not fetch"),
        ([str(SPEC_PATH), "--fail-on", "sometimes"], "--help"),
        ([str(SPEC_PATH), "--ours", "/no/such/ours.yaml"], "no such file"),
    ],
    ids=["missing-file", "not-openapi", "unparseable", "unreachable-url", "bad-argument", "missing-ours"],
)
def test_cli_errors_exit_2_with_one_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], expected: str
) -> None:
    not_openapi = write(tmp_path, "not-openapi.yaml", {"hello": "world"})
    unparseable = tmp_path / "broken.yaml"
    unparseable.write_text("a: [unclosed\n", encoding="utf-8")
    arguments = [
        arg.format(upstream_not_openapi=not_openapi, upstream_unparseable=str(unparseable))
        for arg in arguments
    ]
    assert main(arguments) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert expected in captured.err


@pytest.mark.parametrize("version", API_VERSIONS)
def test_cli_compares_with_the_spec_of_lava_api_version_unless_told_ours(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], version: str
) -> None:
    monkeypatch.setenv(API_VERSION_VARIABLE, version)
    assert main([str(spec_path(version)), "--fail-on", "any"]) == 0
    assert f"Ours: `{spec_path(version)}`" in capsys.readouterr().out
    other = next(known for known in API_VERSIONS if known != version)
    assert main([str(spec_path(version)), "--ours", str(spec_path(other))]) == 1
    assert f"Ours: `{spec_path(other)}`" in capsys.readouterr().out


def test_cli_compares_with_v0_when_lava_api_version_is_not_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(API_VERSION_VARIABLE, raising=False)
    assert main([str(V2_FIXTURE), "--format", "json"]) == 1
    moved = [c for c in json.loads(capsys.readouterr().out)["changes"] if "moved from" in c["message"]]
    assert {c["operation"] for c in moved} == {operation.label for operation in SPEC.operations.values()}


def test_cli_unknown_lava_api_version_exits_2_naming_the_versions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(API_VERSION_VARIABLE, "v9")
    assert main([str(V2_FIXTURE)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "'v9'" in captured.err
    assert all(version in captured.err for version in API_VERSIONS)
    # An explicit --ours needs no version.
    assert main([str(V2_FIXTURE), "--ours", str(spec_path("v2")), "--format", "json"]) in {0, 1}
    capsys.readouterr()


def test_cli_reads_a_spec_over_http(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SPEC_PATH.read_text(encoding="utf-8")

    def fake_get(url: str, **_: Any) -> httpx.Response:
        return httpx.Response(200, text=text, request=httpx.Request("GET", url))

    monkeypatch.setattr(httpx, "get", fake_get)
    assert main(["https://example.test/openapi.yaml", "--fail-on", "any"]) == 0
    capsys.readouterr()


V2_FIXTURE = FIXTURES / "lava-v2.yaml"
CREATE, LIST, UPDATE = (
    SPEC.operation(name).label for name in ("create_spend_key", "list_spend_keys", "update_spend_key")
)
# Every difference between the seed API (v0 pages) and v2 (https://www.lava.so/docs/api-reference/spend-keys/),
# as (severity, operation, message).
FACTS_DRIFT = [
    ("breaking", CREATE, "Request field `wallet_id` is gone upstream"),  # (c) 4
    ("breaking", CREATE, "Request field `connection_id` is gone upstream"),  # (c) 5
    ("non-breaking", CREATE, "New optional request field `request_shape`"),  # (c) 6
    ("non-breaking", UPDATE, "New optional request field `request_shape`"),  # (c) 6
    ("breaking", CREATE, "Request field `allowed_models`: new minItems 1"),  # (c) 7
    ("breaking", UPDATE, "Request field `allowed_models`: new minItems 1"),  # (c) 7
    ("non-breaking", CREATE, "New required response field `request_shape` of 201"),  # (c) 8
    ("non-breaking", CREATE, "New required response field `total_spend` of 201"),  # (c) 9
    ("non-breaking", CREATE, "New required response field `total_requests` of 201"),  # (c) 10
    ("non-breaking", LIST, "New required response field `data[].total_spend` of 200"),  # (c) 9
    ("breaking", LIST, "Parameter `wallet_id` (in query) is gone upstream"),  # (c) 11
    ("non-breaking", CREATE, "Request field `spend_limit` can now be null"),  # (c) 18
]


def _v2_changes(same_prefix: str | None) -> list[Change]:
    return compare_documents(
        spec_document(),
        yaml.safe_load(V2_FIXTURE.read_text(encoding="utf-8")),
        same_prefix=same_prefix,
    )


@pytest.mark.parametrize(("severity", "operation", "message"), FACTS_DRIFT)
def test_the_v2_fixture_reports_each_difference_facts_lists_correctly_classified(
    severity: str, operation: str, message: str
) -> None:
    found = [c for c in _v2_changes("/manage") if c.operation == operation and c.message.startswith(message)]
    assert [c.severity for c in found] == [severity], found


def test_the_v2_fixture_moves_every_operation_from_manage_unless_told_they_are_the_same() -> None:
    moved = [c for c in _v2_changes(None) if "moved from" in c.message]  # (c) 1
    assert {c.operation for c in moved} == {operation.label for operation in SPEC.operations.values()}
    assert {c.severity for c in moved} == {"breaking"}
    assert not [c for c in _v2_changes("/manage") if "moved from" in c.message]


def test_what_facts_says_is_unchanged_is_not_reported() -> None:
    changes = _v2_changes("/manage")
    # (c): update stays PUT, the cycle enum and the list limit's default and maximum are the same.
    assert not [c for c in changes if "enum" in c.message and "cycle" in c.message]
    assert not [
        c for c in changes if "`limit`" in c.message and ("maximum" in c.message or "default" in c.message)
    ]
    assert all(c.operation is None or SPEC.operation("list_spend_keys").path in c.operation for c in changes)


V2_SPEC = load_spec(spec_path("v2"))
# Where our v2 spec says more than Lava's published document, each an `x-lava-inferred` of
# openapi/lava-v2.yaml after the Node SDK's types: the list's `data` and `has_more`, and revoke's `success`,
# are required (our client fails without them), where the published document marks no field of either body.
V2_INFERENCES_LAVA_LEAVES_OPEN = {
    (V2_SPEC.operation("list_spend_keys").label, "data"),
    (V2_SPEC.operation("list_spend_keys").label, "has_more"),
    (V2_SPEC.operation("revoke_spend_key").label, "success"),
}


def test_our_v2_spec_shows_no_breaking_drift_against_lavas_published_v2_beyond_its_stated_inferences() -> (
    None
):
    changes = compare_documents(
        yaml.safe_load(spec_path("v2").read_text(encoding="utf-8")),
        yaml.safe_load(V2_FIXTURE.read_text(encoding="utf-8")),
    )
    breaking = [change for change in changes if change.severity == "breaking"]
    assert {(change.operation, change.subject) for change in breaking} == V2_INFERENCES_LAVA_LEAVES_OPEN, [
        change.message for change in breaking
    ]
    assert {change.kind for change in breaking} == {"field-no-longer-required"}
    # The rest is ours too (inferred error statuses, bounds and patterns, Idempotency-Key, the sandbox),
    # none of it a schema's name: Lava's SDK names (RestSpendKey...) against ours are no change.
    assert not [change for change in changes if change.kind in {"operation-moved", "operation-gone"}]


def test_all_is_complete_and_sorted() -> None:
    public = {name for name in vars(spec_drift) if not name.startswith("_")} - {
        "accepted",
        "cli",
        "compare",
        "load",
        "migration",
        "normalise",
        "render",
    }
    assert spec_drift.__all__ == sorted(spec_drift.__all__)
    assert set(spec_drift.__all__) == public


def test_change_as_json_has_the_four_fields() -> None:
    change = Change("breaking", None, "/paths", "A message.")
    assert change.as_json() == {
        "severity": "breaking",
        "operation": None,
        "location": "/paths",
        "message": "A message.",
    }


# --- single changes written against our spec as it is (with $refs), one per classification rule --------


def _schemas(doc: Doc) -> dict[str, Any]:
    schemas: dict[str, Any] = doc["components"]["schemas"]
    return schemas


def _list_op(doc: Doc) -> dict[str, Any]:
    listing = SPEC.operation("list_spend_keys")
    op: dict[str, Any] = doc["paths"][listing.path][listing.method.lower()]
    return op


ROTATE = SPEC.operation("rotate_spend_key")
REGENERATE_PATH = ROTATE.path.removesuffix("/rotate") + "/regenerate"
CREATE_OPERATION = SPEC.operation("create_spend_key")


def _move_rotate(doc: Doc) -> None:
    doc["paths"][REGENERATE_PATH] = doc["paths"].pop(ROTATE.path)


def _drop_idempotency_key(doc: Doc) -> None:
    create = doc["paths"][CREATE_OPERATION.path][CREATE_OPERATION.method.lower()]
    create["parameters"] = [p for p in create["parameters"] if "IdempotencyKey" not in p.get("$ref", "")]


def _slash_and_another_server(doc: Doc) -> None:
    doc["servers"][0]["url"] += "/"
    doc["servers"].append({"url": "https://other.example/v1"})


def _declare_key_prefixes(doc: Doc) -> None:
    (scheme,) = doc["components"]["securitySchemes"].values()
    scheme["x-lava-key-prefixes"] = {"live": "sk_live_", "test": "sk_test_"}


def _success_201_to_200(doc: Doc) -> None:
    responses = doc["paths"][CREATE_OPERATION.path][CREATE_OPERATION.method.lower()]["responses"]
    responses["200"] = responses.pop(str(CREATE_OPERATION.success_status))


RULES: list[tuple[str, Callable[[Doc], None], str, str]] = [
    (
        "operation-moved-to-another-path",
        _move_rotate,
        "breaking",
        f"moved from {ROTATE.label} to {ROTATE.method} {REGENERATE_PATH}",
    ),
    (
        "success-status-changed",
        _success_201_to_200,
        "breaking",
        f"Success status {CREATE_OPERATION.success_status} changed to 200",
    ),
    (
        "response-field-becomes-nullable",
        lambda doc: _schemas(doc)["SpendKey"]["properties"]["name"].update(type=["string", "null"]),
        "breaking",
        "can now be null",
    ),
    (
        "response-enum-value-removed",
        lambda doc: _schemas(doc)["SpendKey"]["properties"].update(
            status={"type": "string", "enum": ["active"]}
        ),
        "non-breaking",
        "lost the enum values `paused`",
    ),
    (
        "request-enum-value-added",
        lambda doc: _schemas(doc)["SpendKeyCreate"]["properties"].update(
            status={"type": "string", "enum": ["active", "paused", "archived"]}
        ),
        "non-breaking",
        "has new enum values `archived`",
    ),
    (
        "new-error-status",
        lambda doc: _list_op(doc)["responses"].update({"503": {"description": "Down"}}),
        "non-breaking",
        "New error status 503",
    ),
    (
        "required-parameter-added",
        lambda doc: _list_op(doc)["parameters"].append(
            {"name": "wallet", "in": "query", "required": True, "schema": {"type": "string"}}
        ),
        "breaking",
        "New required parameter `wallet`",
    ),
    (
        "optional-parameter-added",
        lambda doc: _list_op(doc)["parameters"].append(
            {"name": "order", "in": "query", "schema": {"type": "string"}}
        ),
        "non-breaking",
        "New optional parameter `order`",
    ),
    (
        "request-constraint-removed",
        lambda doc: _list_op(doc)["parameters"][2]["schema"].pop("maximum"),
        "non-breaking",
        "maximum 100 is gone upstream",
    ),
    (
        "parameter-removed",
        lambda doc: _list_op(doc)["parameters"].pop(0),
        "breaking",
        "Parameter `wallet_id` (in query) is gone upstream",
    ),
    # A server ignores a header it does not know (RFC 9110, 5.1): nothing our client sends is refused.
    (
        "header-parameter-removed",
        _drop_idempotency_key,
        "non-breaking",
        "Parameter `Idempotency-Key` (in header) is gone upstream",
    ),
    (
        "default-server-changed",
        lambda doc: doc["servers"][0].update(url="https://elsewhere.example/v1"),
        "breaking",
        "The first server (the default base URL) changed",
    ),
    (
        "trailing-slash-is-the-same-server",
        _slash_and_another_server,
        "non-breaking",
        "New server https://other.example/v1",
    ),
    (
        "credential-prefixes-declared",
        _declare_key_prefixes,
        "breaking",
        "The credential is a bearer token starting with `sk_live_` (live) or `sk_test_` (test)",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "severity", "fragment"), [rule[1:] for rule in RULES], ids=[rule[0] for rule in RULES]
)
def test_single_change_is_classified(
    ours: Doc, mutate: Callable[[Doc], None], severity: str, fragment: str
) -> None:
    doc = copy.deepcopy(ours)
    mutate(doc)
    changes = compare_documents(ours, doc)
    relevant = [change for change in changes if fragment in change.message]
    assert relevant, [change.message for change in changes]
    assert {change.severity for change in relevant} == {severity}


def test_renamed_schemas_report_nothing(ours: Doc) -> None:
    # Lava's SDK names (RestSpendKey, CreateSpendKeyParams...) against ours: a name is no change.
    doc = copy.deepcopy(ours)
    names = {name: f"Rest{name}Renamed" for name in _schemas(doc)}
    text = json.dumps(doc)
    for old, new in names.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    renamed = json.loads(text)
    renamed["components"]["schemas"] = {names[name]: node for name, node in _schemas(renamed).items()}
    assert compare_documents(ours, renamed) == []


def test_every_change_says_its_kind_and_every_field_change_its_side_and_subject() -> None:
    changes = _v2_changes(None)
    assert changes
    assert all(change.kind for change in changes)
    field_changes = [change for change in changes if change.kind and change.kind.startswith("field-")]
    assert field_changes
    assert all(change.side in {"request", "response"} and change.subject for change in field_changes)
    wallet = [c for c in changes if c.kind == "parameter-gone" and c.operation == LIST]
    assert [(c.side, c.subject) for c in wallet] == [("request", "wallet_id")]


def test_the_tool_runs_as_python_m_spec_drift_from_any_folder_and_is_no_installed_command(
    tmp_path: Path,
) -> None:
    # The drift tool belongs to this repository, not to any distribution: no console script, one way to run.
    result = subprocess.run(  # noqa: S603 - the venv's interpreter, our own module
        [sys.executable, "-m", "spec_drift", str(V2_FIXTURE), "--same-prefix", "/manage", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)
    assert not (Path(sys.executable).parent / "lava-spec-drift").exists()
    shipped = [
        f"{dist.metadata['Name']}: {file}"
        for dist in importlib.metadata.distributions()
        for file in dist.files or []
        if file.parts[0] in {"spec_drift", "contract_tests"}
    ]
    assert shipped == []


# --- the record of accepted drift ---------------------------------------------------------------------------

V2_RECORD = accepted_drift_path("v2")


def _v2_fixture() -> Doc:
    fixture: Doc = yaml.safe_load(V2_FIXTURE.read_text(encoding="utf-8"))
    return fixture


def _record_document() -> Doc:
    record: Doc = yaml.safe_load(V2_RECORD.read_text(encoding="utf-8"))
    return record


def _drift_json(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, Doc]:
    status = main([*arguments, "--ours", str(spec_path("v2")), "--format", "json"])
    output: Doc = json.loads(capsys.readouterr().out)
    return status, output


def test_our_v2_spec_against_lavas_published_v2_is_all_accepted_drift_each_with_its_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    changes = compare_documents(yaml.safe_load(spec_path("v2").read_text(encoding="utf-8")), _v2_fixture())
    status, output = _drift_json(capsys, str(V2_FIXTURE), "--accepted", str(V2_RECORD), "--fail-on", "any")
    assert status == 0, output
    assert output["changes"] == output["stale"] == []
    assert sorted(accepted["message"] for accepted in output["accepted"]) == sorted(
        change.message for change in changes
    )
    assert len(output["accepted"]) == len(changes) > 0
    # The three breaking ones are the stated inferences, and each reason cites its public source.
    breaking = [accepted for accepted in output["accepted"] if accepted["severity"] == "breaking"]
    assert len(breaking) == len(V2_INFERENCES_LAVA_LEAVES_OPEN)
    assert all("Node SDK" in accepted["reason"] for accepted in breaking)


def test_the_record_cites_public_sources_only() -> None:
    for group in _record_document()["accepted"]:
        reason = group["reason"]
        assert "https://" in reason or "RFC " in reason, reason
        assert "shared" not in reason
        assert "FACTS" not in reason


def test_accepted_without_file_takes_the_record_of_our_specs_version(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(API_VERSION_VARIABLE, "v2")
    assert main([str(V2_FIXTURE), "--accepted", "--fail-on", "any"]) == 0
    report = capsys.readouterr().out
    assert f"Accepted drift: `{V2_RECORD}`" in report
    assert "0 changes beyond the accepted ones" in report
    assert "## Accepted differences (" in report
    assert main([str(V2_FIXTURE), "--fail-on", "any"]) == 1, "without --accepted, nothing is accepted"
    assert "## Accepted differences" not in capsys.readouterr().out


def test_accepted_without_file_accepts_nothing_for_a_version_without_a_record(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not accepted_drift_path("v0").exists()
    monkeypatch.delenv(API_VERSION_VARIABLE, raising=False)
    assert main([str(V2_FIXTURE), "--accepted", "--same-prefix", "/manage"]) == 1
    assert "Accepted drift" not in capsys.readouterr().out
    assert main([str(SPEC_PATH), "--accepted", "--fail-on", "any"]) == 0
    capsys.readouterr()


def test_accepted_without_file_for_a_spec_of_no_version_says_to_pass_the_file(
    ours: Doc, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copied = write(tmp_path, "ours.yaml", ours)
    assert main([copied, "--ours", copied, "--accepted"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "--accepted FILE" in captured.err


def test_the_record_of_an_unknown_version_is_refused() -> None:
    with pytest.raises(UnknownApiVersionError):
        accepted_drift_path("v9")


def _get_schema(doc: Doc) -> Doc:
    """The component Lava's get operation answers with, in the fixture."""
    operation = V2_SPEC.operation("get_spend_key")
    schema = doc["paths"][operation.path][operation.method.lower()]["responses"]["200"]["content"]
    component: Doc = resolve(doc, schema["application/json"]["schema"]["$ref"][1:])
    return component


def _remove_a_required_response_field(doc: Doc) -> None:
    component = _get_schema(doc)
    name = component["required"].pop(0)
    del component["properties"][name]


def _rename_a_path(doc: Doc) -> None:
    path = V2_SPEC.operation("rotate_spend_key").path
    doc["paths"][f"{path}_now"] = doc["paths"].pop(path)


def _add_an_enum_value(doc: Doc) -> None:
    component = _get_schema(doc)
    field = next(node for node in component["properties"].values() if "enum" in node)
    field["enum"].append("value_lava_added")


@pytest.mark.parametrize(
    ("move", "fail_on_breaking"),
    [(_remove_a_required_response_field, 1), (_rename_a_path, 1), (_add_an_enum_value, 0)],
    ids=["field-removed", "path-renamed", "enum-value-added"],
)
def test_lava_moving_beyond_the_record_is_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], move: Callable[[Doc], None], fail_on_breaking: int
) -> None:
    doc = _v2_fixture()
    move(doc)
    upstream = write(tmp_path, "lava-v2-moved.yaml", doc)
    status, output = _drift_json(capsys, upstream, "--accepted", str(V2_RECORD), "--fail-on", "any")
    assert status == 1
    assert output["changes"], "the move is reported as drift"
    assert output["accepted"], "the accepted differences are still listed apart"
    status, _ = _drift_json(capsys, upstream, "--accepted", str(V2_RECORD))
    assert status == fail_on_breaking


def test_an_inference_lava_comes_to_publish_leaves_a_stale_entry_that_fails_any_but_not_breaking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _v2_fixture()
    listing = V2_SPEC.operation("list_spend_keys")
    body = doc["paths"][listing.path][listing.method.lower()]["responses"]["200"]["content"]
    schema = body["application/json"]["schema"]
    schema = resolve(doc, schema["$ref"][1:]) if "$ref" in schema else schema
    published = {
        subject for operation, subject in V2_INFERENCES_LAVA_LEAVES_OPEN if operation == listing.label
    }
    schema["required"] = sorted({*schema.get("required", []), *published})
    upstream = write(tmp_path, "lava-v2-published.yaml", doc)
    status, output = _drift_json(capsys, upstream, "--accepted", str(V2_RECORD), "--fail-on", "any")
    assert status == 1
    assert output["changes"] == []
    assert {(entry["operation"], entry["subject"]) for entry in output["stale"]} == {
        (listing.label, subject) for subject in published
    }
    assert all(entry["entry"].startswith("accepted[") for entry in output["stale"])
    assert _drift_json(capsys, upstream, "--accepted", str(V2_RECORD))[0] == 0
    assert (
        main([upstream, "--ours", str(spec_path("v2")), "--accepted", str(V2_RECORD), "--fail-on", "any"])
        == 1
    )
    assert "## Stale accepted entries (2)" in capsys.readouterr().out


def test_an_accepted_difference_that_turns_breaking_is_drift_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ours has minLength 1 on a name where Lava's document has none (accepted, non-breaking); were Lava to
    # publish a larger one, requests our client sends would be refused: not the difference we accepted.
    doc = _v2_fixture()
    create = V2_SPEC.operation("create_spend_key")
    body = doc["paths"][create.path][create.method.lower()]["requestBody"]["content"]["application/json"]
    component = resolve(doc, body["schema"]["$ref"][1:])
    name = next(field for field, node in component["properties"].items() if node.get("maxLength"))
    component["properties"][name]["minLength"] = 3
    upstream = write(tmp_path, "lava-v2-stricter.yaml", doc)
    status, output = _drift_json(capsys, upstream, "--accepted", str(V2_RECORD))
    assert status == 1
    assert [(c["severity"], c["operation"]) for c in output["changes"]] == [("breaking", create.label)]
    assert [(entry["kind"], entry["keyword"], entry["severity"]) for entry in output["stale"]] == [
        ("constraint", "minLength", "non-breaking")
    ]


def _malformed(record: Doc) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        doc.clear()
        doc.update(record)

    return apply


def _set(group: int, change: int | None, key: str, value: object) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        node = doc["accepted"][group] if change is None else doc["accepted"][group]["changes"][change]
        node[key] = value

    return apply


def _drop(group: int, change: int, key: str) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        del doc["accepted"][group]["changes"][change][key]

    return apply


def _repeat(doc: Doc) -> None:
    doc["accepted"][1]["changes"].append(doc["accepted"][0]["changes"][0])


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (_malformed({"changes": []}), "the one key `accepted`"),
        (_malformed({"accepted": {"reason": "x"}}), "must be a list"),
        (_set(0, None, "reason", "TODO"), "accepted[0] has reason TODO"),
        (_set(1, None, "reason", " "), "accepted[1] has no reason"),
        (_set(0, None, "changes", []), "accepted[0].changes must be a non-empty list"),
        (_set(0, 1, "kind", "field-vanished"), "accepted[0].changes[1]: unknown kind 'field-vanished'"),
        (_set(0, 0, "severity", "fatal"), "accepted[0].changes[0]: unknown severity 'fatal'"),
        (_set(2, 0, "message", "Error status 401"), "accepted[2].changes[0] has unknown key 'message'"),
        (_set(2, 0, "subject", ["401"]), "accepted[2].changes[0]: `subject` must be a string"),
        (_drop(0, 0, "kind"), "accepted[0].changes[0] has no 'kind'"),
        (_repeat, "repeats accepted[0].changes[0]"),
    ],
    ids=[
        "no-accepted-key",
        "accepted-not-a-list",
        "reason-todo",
        "reason-empty",
        "no-changes",
        "unknown-kind",
        "unknown-severity",
        "unknown-key",
        "subject-not-a-string",
        "kind-missing",
        "repeated",
    ],
)
def test_a_malformed_record_exits_2_with_one_line_naming_the_file_and_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: Callable[[Doc], None], expected: str
) -> None:
    record = _record_document()
    damage(record)
    path = write(tmp_path, "drift-accepted.yaml", record)
    assert main([str(V2_FIXTURE), "--ours", str(spec_path("v2")), "--accepted", path]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"spec_drift: error: {path}: ")
    assert expected in captured.err


@pytest.mark.parametrize(
    ("text", "expected"), [(None, "no such accepted-drift record"), ("a: [", "cannot read it as YAML")]
)
def test_a_missing_or_unreadable_record_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | None, expected: str
) -> None:
    path = tmp_path / "drift-accepted.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    assert main([str(V2_FIXTURE), "--ours", str(spec_path("v2")), "--accepted", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert f"{path}: {expected}" in captured.err


def test_a_status_written_without_quotes_names_the_same_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = V2_RECORD.read_text(encoding="utf-8").replace('subject: "401"', "subject: 401")
    assert "subject: 401}" in text
    path = tmp_path / "drift-accepted.yaml"
    path.write_text(text, encoding="utf-8")
    assert (
        main([str(V2_FIXTURE), "--ours", str(spec_path("v2")), "--accepted", str(path), "--fail-on", "any"])
        == 0
    )
    capsys.readouterr()


def test_write_accepted_keeps_reasons_drops_stale_entries_and_leaves_new_ones_todo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = _record_document()
    forgotten = record["accepted"][0]["changes"].pop()
    record["accepted"][1]["changes"].append(
        {"severity": "breaking", "kind": "operation-gone", "subject": "x"}
    )
    path = write(tmp_path, "drift-accepted.yaml", record)
    arguments = [str(V2_FIXTURE), "--ours", str(spec_path("v2"))]
    assert main([*arguments, "--write-accepted", path]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "1 new under `reason: TODO`" in captured.err
    assert "1 stale entry dropped" in captured.err
    written = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    original = _record_document()["accepted"]
    assert [group["reason"] for group in written["accepted"]] == [
        *(" ".join(group["reason"].split()) for group in original),
        "TODO",
    ]
    assert written["accepted"][-1]["changes"] == [forgotten]
    assert written["accepted"][1]["changes"] == original[1]["changes"]
    # The check refuses the TODO until someone writes the reason.
    assert main([*arguments, "--accepted", path]) == 2
    assert "has reason TODO" in capsys.readouterr().err
    written["accepted"][-1]["reason"] = "Because."
    Path(path).write_text(yaml.safe_dump(written), encoding="utf-8")
    assert main([*arguments, "--accepted", path, "--fail-on", "any"]) == 0
    capsys.readouterr()


def test_write_accepted_reproduces_the_checked_in_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The record is the writer's own output, hand-written reasons aside: rewriting it changes nothing.
    path = tmp_path / "drift-accepted.yaml"
    path.write_bytes(V2_RECORD.read_bytes())
    assert main([str(V2_FIXTURE), "--ours", str(spec_path("v2")), "--write-accepted", str(path)]) == 0
    assert "0 stale entries dropped" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == V2_RECORD.read_text(encoding="utf-8")


def test_the_record_is_not_for_the_migration_page(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = [str(spec_path("v2")), "--ours", str(spec_path("v0")), "--format", "migration", "--accepted"]
    assert main(arguments) == 2
    assert "not --format migration" in capsys.readouterr().err
