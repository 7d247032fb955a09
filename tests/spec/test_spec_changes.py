"""The changes `make spec-flow` applies: each is a valid OpenAPI document that says what its name says.

`make spec-flow` itself (scripts/spec_flow.py) generates, serves and tests each changed copy; these checks
are what make its verdicts mean something: a change that did nothing would "flow through" trivially.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import spec_flow  # scripts/spec_flow.py: tests/spec/conftest.py puts scripts/ on the path
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from lava_spec import Found, load_spec


def _changed(tmp_path: Path, name: str) -> Path:
    (tmp_path / "openapi").mkdir(parents=True)
    spec = tmp_path / "openapi" / "lava.yaml"
    spec.write_bytes(load_spec().path.read_bytes())
    change = next(change for change in spec_flow.CHANGES if change.name == name)
    spec_flow.apply_change(tmp_path, change)
    return spec


@pytest.mark.parametrize("name", [change.name for change in spec_flow.CHANGES])
def test_every_change_is_a_valid_openapi_document_and_changes_it(tmp_path: Path, name: str) -> None:
    spec = _changed(tmp_path, name)
    document, _ = read_from_filename(str(spec))
    validate(document)
    assert spec.read_text(encoding="utf-8") != load_spec().path.read_text(encoding="utf-8")


def test_each_change_says_what_its_name_says(tmp_path: Path) -> None:
    before = load_spec()
    specs = {
        change.name: load_spec(_changed(tmp_path / change.name, change.name)) for change in spec_flow.CHANGES
    }
    assert "team_label" in specs["response-field"].spend_key_fields - before.spend_key_fields
    assert "team" in specs["request-field"].properties("SpendKeyCreate")
    assert specs["enum-value"].enum("Cycle") == (*before.enum("Cycle"), "yearly")
    assert specs["tighter-constraints"].constraints("SpendKeyCreate", "name").max_length == 128
    assert 409 in specs["error-status"].operation("create_spend_key").responses
    assert specs["no-manage"].operation("list_spend_keys").path == "/spend_keys"
    assert isinstance(specs["no-manage"].router().match("GET", "/v1/spend_keys/x"), Found)
    limit = specs["tighter-constraints"].operation("list_spend_keys").parameter("limit")
    assert limit.constraints.highest == 50
    assert set(specs["new-operation"].operations) - set(before.operations) == {"pause_spend_key"}


def test_the_copy_holds_the_working_tree_and_links_the_environment(tmp_path: Path) -> None:
    spec_flow.copy_project(tmp_path / "copy")
    copied = tmp_path / "copy"
    assert (copied / "openapi" / "lava.yaml").read_bytes() == load_spec().path.read_bytes()
    assert (copied / "scripts" / "spec_flow.py").is_file()
    assert (copied / ".venv").is_symlink()
    assert not (copied / ".git").exists()


def test_a_callers_make_arguments_never_reach_the_copys_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGS", "--change no-manage")
    monkeypatch.setenv("LAVA_BASE_URL", "https://api.lava.so/v1")
    environment = spec_flow._environment(tmp_path, 1)  # noqa: SLF001 - the environment is the point
    assert "ARGS" not in environment
    assert "LAVA_BASE_URL" not in environment
    assert environment["PYTHONPATH"].split(":")[0] == str(tmp_path)
    # On its command line, which overrides any ARGS that still reached it (MAKEFLAGS, say).
    assert "ARGS=" in spec_flow.COPY_MAKE
