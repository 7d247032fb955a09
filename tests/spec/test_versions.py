"""lava_spec.versions: which API version a run speaks, and each version's spec."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lava_spec import (
    API_VERSION_VARIABLE,
    API_VERSIONS,
    DEFAULT_API_VERSION,
    SPEC_PATH,
    UnknownApiVersionError,
    load_spec,
    selected_api_version,
    spec_path,
    version_of,
)
from tests.repository import ROOT


def test_the_seed_is_the_default_and_v2_is_chosen_by_the_variable() -> None:
    assert DEFAULT_API_VERSION == "v0"
    assert selected_api_version({}) == "v0"
    assert selected_api_version({API_VERSION_VARIABLE: ""}) == "v0"
    assert selected_api_version({API_VERSION_VARIABLE: " v2 "}) == "v2"
    assert spec_path("v0") == SPEC_PATH == ROOT / "openapi" / "lava.yaml"
    assert spec_path("v2") == ROOT / "openapi" / "lava-v2.yaml"


def test_an_unknown_version_is_refused_with_the_known_ones_named() -> None:
    with pytest.raises(UnknownApiVersionError, match=r"LAVA_API_VERSION='v1'.*one of v0, v2") as raised:
        selected_api_version({API_VERSION_VARIABLE: "v1"})
    assert isinstance(raised.value, ValueError)


def test_load_spec_follows_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_spec().path == SPEC_PATH
    monkeypatch.setenv(API_VERSION_VARIABLE, "v2")
    assert load_spec().path == spec_path("v2")
    monkeypatch.setenv(API_VERSION_VARIABLE, "v9")
    with pytest.raises(UnknownApiVersionError):
        load_spec()
    # An explicit path wins over the variable, good or bad.
    assert load_spec(SPEC_PATH).path == SPEC_PATH


def test_version_of_names_only_the_repository_specs(tmp_path: Path) -> None:
    assert [version_of(spec_path(version)) for version in API_VERSIONS] == list(API_VERSIONS)
    copy = tmp_path / "lava.yaml"
    copy.write_bytes(SPEC_PATH.read_bytes())
    assert version_of(copy) is None


@pytest.mark.parametrize("version", API_VERSIONS)
def test_every_version_serves_the_same_six_operations_under_its_own_paths(version: str) -> None:
    spec = load_spec(spec_path(version))
    assert sorted(spec.operations) == sorted(load_spec(SPEC_PATH).operations)
    assert spec.base_path == "/v1"


def test_v2_drops_manage_and_the_wallet_filter_and_adds_its_fields() -> None:
    v0, v2 = load_spec(spec_path("v0")), load_spec(spec_path("v2"))
    assert v0.operation("list_spend_keys").path == "/manage/spend_keys"
    assert v2.operation("list_spend_keys").path == "/spend_keys"
    assert "wallet_id" in {p.name for p in v0.operation("list_spend_keys").parameters}
    assert "wallet_id" not in {p.name for p in v2.operation("list_spend_keys").parameters}
    added = v2.spend_key_fields - v0.spend_key_fields
    assert added == {"request_shape", "total_spend", "total_requests"}
    create = v2.operation("create_spend_key").request_schema
    assert create is not None
    assert v2.constraints(create, "request_shape").default == "openai"
    assert v2.constraints(create, "allowed_models").min_items == 1
    assert v0.key_prefixes == {}
    assert v2.key_prefixes == {"live": "aks_live_", "test": "aks_test_"}


def test_v2_marks_what_it_infers_and_cites_only_public_pages() -> None:
    text = spec_path("v2").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    assert "x-lava-inferred" in text
    assert all(url.startswith("https://") for url in document["info"]["x-lava-source"].values())
    assert "shared/" not in text
    assert "FACTS" not in text


def test_the_totals_pair_each_current_figure_exactly_where_the_spend_key_shows_both() -> None:
    assert load_spec(spec_path("v0")).usage_totals == {}
    assert load_spec(spec_path("v2")).usage_totals == {
        "current_requests": "total_requests",
        "current_spend": "total_spend",
    }
