"""The contract suite takes every fact of the spec from lava_spec: change the spec, and the suite follows.

Each test writes a changed copy of openapi/lava.yaml (a shorter name, another `limit` range, another
cycle, the paths without `/manage`), reads it with `load_spec`, and shows that what the suite draws,
sends and checks follows the copy, with no edit to the suite.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import find, given, settings
from hypothesis import strategies as st

from contract_tests import strategies
from contract_tests.bounds import Bounds, bounds
from contract_tests.drift import ObservedDrift
from contract_tests.redaction import Redactor
from contract_tests.report import RunReport
from contract_tests.run import NotOursError, RunContext, named, not_ours_id
from contract_tests.spend_key_api import SpendKeyApi
from contract_tests.target import embedded_target
from contract_tests.traffic import Traffic
from lava_spec import SPEC_PATH, Spec, SpecError, load_spec

Change = Callable[[dict[str, Any]], None]


def _changed(tmp_path: Path, change: Change) -> Spec:
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "lava.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_spec(path)


def _name_max_128(document: dict[str, Any]) -> None:
    document["components"]["schemas"]["SpendKeyName"]["maxLength"] = 128


def _limit_5_to_50(document: dict[str, Any]) -> None:
    for parameter in document["paths"]["/manage/spend_keys"]["get"]["parameters"]:
        if parameter.get("name") == "limit":
            parameter["schema"].update({"minimum": 5, "maximum": 50, "default": 20})


def _without_manage(document: dict[str, Any]) -> None:
    document["paths"] = {path.removeprefix("/manage"): item for path, item in document["paths"].items()}


def _id_renamed(document: dict[str, Any]) -> None:
    """The path parameter `id` renamed `spend_key_id`, in the paths, the parameter and the links."""
    document["paths"] = {
        path.replace("{id}", "{spend_key_id}"): item for path, item in document["paths"].items()
    }
    document["components"]["parameters"]["SpendKeyId"]["name"] = "spend_key_id"
    for link in document["components"]["links"].values():
        link["parameters"] = {"spend_key_id": link["parameters"].pop("id")}


@pytest.fixture(scope="module")
def name_128(tmp_path_factory: pytest.TempPathFactory) -> Bounds:
    return Bounds.of(_changed(tmp_path_factory.mktemp("name"), _name_max_128))


def test_the_repository_spec_gives_the_bounds_the_docs_state() -> None:
    repository = bounds()
    assert (repository.name_min_length, repository.name_max_length) == (1, 255)
    assert (repository.limit_lowest, repository.limit_highest) == (1, 100)
    assert repository.raw_key_field == "key"
    assert repository.revealing_operations == {"create_spend_key", "rotate_spend_key"}


def test_a_max_length_of_128_gives_names_up_to_128_and_over_long_names_from_129(name_128: Bounds) -> None:
    assert name_128.name_max_length == 128
    drawn = strategies.for_bounds(name_128)
    # Names reach far towards 128 (the very longest are rare draws; the boundary is an @example in the suite)
    # and never pass it (the test below); the shortest over-long name is 129 characters.
    long_name = find(drawn.valid_names, lambda name: len(name) >= 64, settings=settings(max_examples=2000))
    assert 64 <= len(long_name) <= 128
    assert len(find(drawn.over_long_names, lambda _name: True)) == 129


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_name_drawn_for_a_max_of_128_is_on_its_side_of_128(
    name_128: Bounds, data: st.DataObject
) -> None:
    drawn = strategies.for_bounds(name_128)
    valid = data.draw(drawn.valid_names)
    over_long = data.draw(drawn.over_long_names)
    assert 1 <= len(valid) <= 128
    assert valid.startswith(named(""))
    assert len(over_long) >= 129
    body = data.draw(drawn.create_bodies())
    assert len(body["name"]) <= 128


def test_changed_enums_and_minimums_reach_the_strategies(tmp_path: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        schemas["Cycle"]["enum"] = ["hourly", "yearly"]
        schemas["SpendKeyStatus"]["enum"] = ["active", "frozen"]
        schemas["RateLimit"]["properties"]["rpm"]["minimum"] = 7
        schemas["RequestLimit"]["properties"]["count"]["minimum"] = 3

    changed = Bounds.of(_changed(tmp_path, change))
    assert (changed.cycles, changed.statuses) == (("hourly", "yearly"), ("active", "frozen"))
    assert (changed.rpm_lowest, changed.count_lowest) == (7, 3)
    drawn = strategies.for_bounds(changed)
    assert find(drawn.rate_limits, lambda _limit: True)["rpm"] == 7
    assert find(drawn.request_limits, lambda _limit: True)["count"] == 3
    assert find(drawn.cycles, lambda cycle: cycle == "yearly") == "yearly"


def _model_names_3_to_12_lowercase_at_most_2(document: dict[str, Any]) -> None:
    model_list = document["components"]["schemas"]["ModelList"]["anyOf"][0]
    model_list["maxItems"] = 2
    model_list["items"].update({"minLength": 3, "maxLength": 12, "pattern": "^[a-z0-9-]+$"})


@pytest.fixture(scope="module")
def model_names_3_to_12(tmp_path_factory: pytest.TempPathFactory) -> Bounds:
    return Bounds.of(_changed(tmp_path_factory.mktemp("models"), _model_names_3_to_12_lowercase_at_most_2))


def test_the_model_lists_items_constraints_reach_the_bounds(model_names_3_to_12: Bounds) -> None:
    for field in ("allowed_models", "allowed_providers"):
        models = model_names_3_to_12.name_lists[field]
        assert (models.nullable, models.min_items, models.max_items) == (True, 0, 2)
        assert (models.item.min_length, models.item.max_length) == (3, 12)
        assert models.item.pattern == "^[a-z0-9-]+$"


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_every_model_list_drawn_keeps_to_the_items_constraints(
    model_names_3_to_12: Bounds, data: st.DataObject
) -> None:
    body = data.draw(strategies.for_bounds(model_names_3_to_12).create_bodies())
    for field in ("allowed_models", "allowed_providers"):
        names = body.get(field)
        if names is not None:
            assert len(names) <= 2
            assert all(re.fullmatch("[a-z0-9-]{3,12}", name) for name in names), names


def test_a_spec_without_the_bounds_the_suite_draws_from_is_named(tmp_path: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        del document["components"]["schemas"]["SpendKeyName"]["maxLength"]

    with pytest.raises(SpecError, match=re.escape("SpendKeyCreate.name maxLength")):
        Bounds.of(_changed(tmp_path, change))


def test_paths_without_manage_reach_the_suites_paths_and_its_ownership_guard(tmp_path: Path) -> None:
    changed = Bounds.of(_changed(tmp_path, _without_manage))
    assert changed.collection_path == "/spend_keys"
    assert changed.path_of("rotate_spend_key", "sk 1") == "/spend_keys/sk%201/rotate"
    assert changed.revealing_labels == {"POST /spend_keys", "POST /spend_keys/{id}/rotate"}


@pytest.fixture(scope="module")
def run_context() -> RunContext:
    return RunContext(
        redactor=Redactor(),
        traffic=Traffic(),
        drift=ObservedDrift(bounds().spec.spend_key_fields),
        report=RunReport(),
    )


@contextmanager
def _api(spec_bounds: Bounds, run_context: RunContext, sent: list[httpx.Request]) -> Iterator[SpendKeyApi]:
    with embedded_target() as target:
        api = SpendKeyApi(target, run_context, spec_bounds)
        api.watch(lambda response: sent.append(response.request))
        try:
            yield api
        finally:
            api.close()


def test_the_list_asks_for_the_specs_maximum_and_pages_within_it(
    tmp_path: Path, run_context: RunContext
) -> None:
    changed = Bounds.of(_changed(tmp_path, _limit_5_to_50))
    assert (changed.limit_lowest, changed.limit_highest) == (5, 50)
    sent: list[httpx.Request] = []
    with _api(changed, run_context, sent) as api:
        api.list_page()
        list(api.pages())
    assert [request.url.params["limit"] for request in sent] == ["50", "50"]


def test_a_raw_request_is_routed_with_the_specs_paths_before_the_ownership_guard(
    tmp_path: Path, run_context: RunContext
) -> None:
    changed = Bounds.of(_changed(tmp_path, _without_manage))
    sent: list[httpx.Request] = []
    with _api(changed, run_context, sent) as api:
        with pytest.raises(NotOursError, match=re.escape("DELETE /spend_keys/{id}")):
            api.send("DELETE", changed.path_of("revoke_spend_key", "sk_of_someone_else"))
        # Not a key of this spec's paths: nothing to guard (the server answers 404 for the path it lacks).
        api.send("GET", "/nowhere")
        # An id no server issues may always be aimed at.
        api.send("DELETE", changed.path_of("revoke_spend_key", not_ours_id()))
    assert [request.url.path for request in sent] == ["/v1/nowhere", f"/v1/spend_keys/{not_ours_id()}"]


def test_a_renamed_path_parameter_reaches_every_call_and_the_ownership_guard_with_no_edit(
    tmp_path: Path, run_context: RunContext
) -> None:
    changed = Bounds.of(_changed(tmp_path, _id_renamed))
    assert changed.operation("get_spend_key").path_parameters == ("spend_key_id",)
    assert changed.path_of("rotate_spend_key", "sk 1") == "/manage/spend_keys/sk%201/rotate"
    sent: list[httpx.Request] = []
    with _api(changed, run_context, sent) as api:
        spend_key_id = api.create({"name": named("renamed")}).parsed.spend_key_id  # type: ignore[union-attr]
        assert api.get(spend_key_id).status_code == 200
        assert api.update(spend_key_id, {"name": named("renamed again")}).status_code == 200
        assert api.rotate(spend_key_id).status_code == 200
        assert api.revoke(spend_key_id).status_code == 200
        # The guard still refuses a key of someone else's by the renamed parameter.
        with pytest.raises(NotOursError):
            api.revoke("sk_of_someone_else")
        cleanup = api.cleanup(named(""))
    assert cleanup.problems == ()
