"""scripts/release.py: the version follows the spec's changes since the last release, as the README says.

Each test builds a released spec (openapi/lava.yaml as it is, under some version) and a changed copy in
tmp_path, and runs the script as `make check-generated` and a release would.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from lava_spec import load_spec
from lava_spec.versions import SPEC_PATHS
from tests.repository import SCRIPTS, spec_document

SCRIPT = SCRIPTS / "release.py"
Doc = dict[str, Any]


def run(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ours(version: str) -> Doc:
    document = spec_document()
    document["info"]["version"] = version
    return document


def schemas(document: Doc) -> Doc:
    found: Doc = document["components"]["schemas"]
    return found


def docs_only(document: Doc) -> None:
    document["info"]["description"] += " Now with more words."
    create = load_spec().operation("create_spend_key")
    document["paths"][create.path][create.method.lower()]["summary"] = "Make a spend key"
    schemas(document)["Cycle"]["x-lava-inferred"] = "a new note"


def new_optional_response_field(document: Doc) -> None:
    schemas(document)["SpendKey"]["properties"]["labels"] = {"type": "array", "items": {"type": "string"}}


def a_property_named_description(document: Doc) -> None:
    # Named like documentation, but a field of the API: not a documentation change.
    schemas(document)["SpendKey"]["properties"]["description"] = {"type": "string"}


def a_new_server(document: Doc) -> None:
    # Not a change spec_drift itemises, and still more than documentation.
    document["servers"].append({"url": "https://eu.api.lava.so/v1"})


def a_secret_unmarked(document: Doc) -> None:
    # x-lava-secret changes what the generated code redacts: not a note.
    key = schemas(document)["SpendKeyWithSecret"]["allOf"][1]["properties"]["key"]
    del key["x-lava-secret"]


def a_tighter_request_limit(document: Doc) -> None:
    schemas(document)["SpendKeyName"]["maxLength"] = 100


def a_new_response_enum_value(document: Doc) -> None:
    schemas(document)["Cycle"]["enum"].append("yearly")


Change = Callable[[Doc], None]
# (the change, the released version, the one version the check asks for)
RULE: list[tuple[Change, str, str]] = [
    (docs_only, "0.1.0", "0.1.1"),
    (new_optional_response_field, "0.1.0", "0.1.1"),
    (a_tighter_request_limit, "0.1.0", "0.2.0"),
    # The client keeps an enum value the spec does not list (and flags it unknown): no longer breaking.
    (a_new_response_enum_value, "0.4.2", "0.4.3"),
    (docs_only, "1.2.3", "1.2.4"),
    (new_optional_response_field, "1.2.3", "1.3.0"),
    (a_property_named_description, "1.2.3", "1.3.0"),
    (a_new_server, "1.2.3", "1.3.0"),
    (a_secret_unmarked, "1.2.3", "1.3.0"),
    (a_tighter_request_limit, "1.2.3", "2.0.0"),
    (a_new_response_enum_value, "1.2.3", "1.3.0"),
]


def layout(tmp_path: Path, released: Doc, current: Doc) -> tuple[Path, Path]:
    released_dir = tmp_path / "released"
    released_dir.mkdir(exist_ok=True)
    (released_dir / f"lava-{released['info']['version']}.yaml").write_text(yaml.safe_dump(released))
    spec = tmp_path / "lava.yaml"
    spec.write_text(yaml.safe_dump(current))
    return spec, released_dir


def changed(change: Change, released_version: str, new_version: str) -> tuple[Doc, Doc]:
    released = ours(released_version)
    current = copy.deepcopy(released)
    change(current)
    current["info"]["version"] = new_version
    return released, current


@pytest.mark.parametrize(("change", "released_version", "required"), RULE)
def test_each_kind_of_spec_change_requires_its_step_and_the_check_names_it(
    tmp_path: Path, change: Change, released_version: str, required: str
) -> None:
    released, current = changed(change, released_version, released_version)
    spec, released_dir = layout(tmp_path, released, current)

    unchanged = run("--check", "--spec", spec, "--released-dir", released_dir)

    assert unchanged.returncode == 1
    assert "info.version did not" in unchanged.stderr
    assert f"the version must be {required}" in unchanged.stderr
    assert f"Set info.version in {spec} to {required}" in unchanged.stderr

    current["info"]["version"] = required
    spec.write_text(yaml.safe_dump(current))
    bumped = run("--check", "--spec", spec, "--released-dir", released_dir)

    assert bumped.returncode == 0, bumped.stderr
    assert f"OK: {required} follows the released {released_version}" in bumped.stdout


@pytest.mark.parametrize(
    ("change", "wrong", "required"),
    [
        (a_tighter_request_limit, "0.1.1", "0.2.0"),  # too small a step for a breaking change
        (docs_only, "0.1.2", "0.1.1"),  # skips a version
        (docs_only, "0.0.9", "0.1.1"),  # goes back
    ],
)
def test_a_wrong_step_fails_saying_which_version_is_required(
    tmp_path: Path, change: Change, wrong: str, required: str
) -> None:
    spec, released_dir = layout(tmp_path, *changed(change, "0.1.0", wrong))

    result = run("--check", "--spec", spec, "--released-dir", released_dir)

    assert result.returncode == 1
    assert f"the version must be {required}" in result.stderr


@pytest.mark.parametrize("larger", ["0.2.0", "1.0.0"])
def test_a_larger_step_than_required_is_allowed(tmp_path: Path, larger: str) -> None:
    spec, released_dir = layout(tmp_path, *changed(docs_only, "0.1.0", larger))

    assert run("--check", "--spec", spec, "--released-dir", released_dir).returncode == 0


@pytest.mark.parametrize(("version", "expected"), [("0.1.0", 0), ("0.1.1", 0), ("0.2.0", 0), ("0.1.2", 1)])
def test_an_unchanged_spec_keeps_its_version_or_takes_one_step_for_a_client_only_release(
    tmp_path: Path, version: str, expected: int
) -> None:
    spec, released_dir = layout(tmp_path, ours("0.1.0"), ours(version))

    assert run("--check", "--spec", spec, "--released-dir", released_dir).returncode == expected


def test_the_repository_spec_follows_its_last_release() -> None:
    result = run("--check")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK")


def test_prepare_records_the_spec_and_a_changelog_entry_made_from_the_same_comparison(tmp_path: Path) -> None:
    spec, released_dir = layout(tmp_path, *changed(a_tighter_request_limit, "0.1.0", "0.2.0"))
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\nIntro.\n\n## 0.1.0 (2026-01-01)\n\nFirst release.\n")
    paths = ("--spec", spec, "--released-dir", released_dir, "--changelog", changelog)

    prepared = run("--prepare", "--date", "2026-02-03", *paths)

    assert prepared.returncode == 0, prepared.stderr
    assert (released_dir / "lava-0.2.0.yaml").read_bytes() == spec.read_bytes()
    text = changelog.read_text()
    assert text.index("## 0.2.0 (2026-02-03)") < text.index("## 0.1.0 (2026-01-01)")
    assert text.startswith("# Changelog\n\nIntro.\n")
    entry = run("--notes", "0.2.0", "--changelog", changelog).stdout
    assert "### Breaking" in entry
    assert "maxLength changed from 255 to 100" in entry
    assert "First release" not in entry
    assert run("--check", *paths[:4]).stdout.startswith(f"OK: {spec} is the spec of the released 0.2.0")
    again = run("--prepare", "--date", "2026-02-04", *paths)
    assert again.returncode == 1
    assert "already released" in again.stderr


def test_prepare_refuses_a_version_the_rule_does_not_allow_and_writes_nothing(tmp_path: Path) -> None:
    spec, released_dir = layout(tmp_path, *changed(a_tighter_request_limit, "0.1.0", "0.1.1"))
    changelog = tmp_path / "CHANGELOG.md"

    result = run("--prepare", "--spec", spec, "--released-dir", released_dir, "--changelog", changelog)

    assert result.returncode == 1
    assert "the version must be 0.2.0" in result.stderr
    assert not changelog.exists()
    assert sorted(path.name for path in released_dir.iterdir()) == ["lava-0.1.0.yaml"]


def fake_dist(tmp_path: Path, version: str) -> Path:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / f"lava_client-{version}-py3-none-any.whl").write_bytes(b"")
    (dist / f"lava_client-{version}.tar.gz").write_bytes(b"")
    return dist


@pytest.mark.parametrize(
    ("tag", "built", "said"),
    [
        ("v0.1.0", "0.1.0", None),
        ("v0.1.1", "0.1.0", "the tag is v0.1.1, but the specs' info.version is 0.1.0"),
        ("0.1.0", "0.1.0", "the tag is 0.1.0"),
        ("v0.1.0", "0.0.9", "lava_client-0.0.9-py3-none-any.whl is version 0.0.9, not 0.1.0"),
    ],
)
def test_a_tag_is_released_only_when_tag_spec_and_distributions_agree(
    tmp_path: Path, tag: str, built: str, said: str | None
) -> None:
    spec, released_dir = layout(tmp_path, ours("0.1.0"), ours("0.1.0"))
    dist = fake_dist(tmp_path, built)

    result = run("--verify-tag", tag, "--spec", spec, "--released-dir", released_dir, "--dist", dist)

    if said is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 1
        assert said in result.stderr
        assert result.stderr.startswith("error: Not releasing:")


def test_a_tag_whose_version_was_never_prepared_is_not_released(tmp_path: Path) -> None:
    spec, released_dir = layout(tmp_path, ours("0.1.0"), ours("0.1.1"))

    result = run(
        "--verify-tag",
        "v0.1.1",
        "--spec",
        spec,
        "--released-dir",
        released_dir,
        "--dist",
        fake_dist(tmp_path, "0.1.1"),
    )

    assert result.returncode == 1
    assert "0.1.1 was not prepared" in result.stderr


# Several versions of the API in one lava-client: each spec with its own released copies, one version.


def second_version(version: str) -> Doc:
    """Another version's spec, as v2's is to v0's: another document under the same info.version."""
    document = ours(version)
    document["info"]["title"] += " (another version)"
    new_optional_response_field(document)
    return document


def two_specs(tmp_path: Path, first: Doc, second: Doc) -> tuple[Path, Path]:
    (tmp_path / "lava.yaml").write_text(yaml.safe_dump(first))
    (tmp_path / "lava-v2.yaml").write_text(yaml.safe_dump(second))
    return tmp_path / "lava.yaml", tmp_path / "lava-v2.yaml"


def release(released_dir: Path, name: str, document: Doc) -> None:
    released_dir.mkdir(exist_ok=True)
    (released_dir / f"{name}-{document['info']['version']}.yaml").write_text(yaml.safe_dump(document))


def test_a_version_of_the_api_never_released_is_an_addition_beside_an_unchanged_one(tmp_path: Path) -> None:
    released_dir = tmp_path / "released"
    release(released_dir, "lava", ours("0.1.0"))
    first, second = two_specs(tmp_path, ours("0.1.0"), second_version("0.1.0"))
    specs = ("--spec", first, "--spec", second, "--released-dir", released_dir)

    unchanged = run("--check", *specs)

    assert unchanged.returncode == 1
    assert "lava-v2.yaml: a version of the API with no released copy yet (an addition)" in unchanged.stderr
    assert "the version must be 0.1.1 (or a larger step: 0.2.0, 1.0.0)" in unchanged.stderr
    for version in ("0.1.1", "0.2.0"):
        two_specs(tmp_path, ours(version), second_version(version))
        assert run("--check", *specs).returncode == 0, version


def test_every_spec_must_carry_the_same_version_and_the_check_says_which_differ(tmp_path: Path) -> None:
    released_dir = tmp_path / "released"
    release(released_dir, "lava", ours("0.1.0"))
    first, second = two_specs(tmp_path, ours("0.2.0"), second_version("0.1.0"))

    result = run("--check", "--spec", first, "--spec", second, "--released-dir", released_dir)

    assert result.returncode == 1
    assert f"The specs disagree on info.version ({first} says 0.2.0, {second} says 0.1.0)" in result.stderr
    assert "set the same info.version in" in result.stderr


def test_the_largest_change_of_any_spec_decides_the_step(tmp_path: Path) -> None:
    released_dir = tmp_path / "released"
    release(released_dir, "lava", ours("0.2.0"))
    release(released_dir, "lava-v2", second_version("0.2.0"))
    breaking = second_version("0.2.1")
    a_tighter_request_limit(breaking)
    first, second = two_specs(tmp_path, ours("0.2.1"), breaking)

    result = run("--check", "--spec", first, "--spec", second, "--released-dir", released_dir)

    assert result.returncode == 1
    assert f"{second}: the spec has a breaking change" in result.stderr
    assert "the version must be 0.3.0" in result.stderr


def test_prepare_keeps_a_copy_of_every_spec_and_a_tag_needs_all_of_them(tmp_path: Path) -> None:
    released_dir = tmp_path / "released"
    release(released_dir, "lava", ours("0.1.0"))
    first, second = two_specs(tmp_path, ours("0.2.0"), second_version("0.2.0"))
    changelog = tmp_path / "CHANGELOG.md"
    specs = ("--spec", first, "--spec", second, "--released-dir", released_dir)

    prepared = run("--prepare", "--date", "2026-02-03", *specs, "--changelog", changelog)

    assert prepared.returncode == 0, prepared.stderr
    assert (released_dir / "lava-0.2.0.yaml").read_bytes() == first.read_bytes()
    assert (released_dir / "lava-v2-0.2.0.yaml").read_bytes() == second.read_bytes()
    entry = run("--notes", "0.2.0", "--changelog", changelog).stdout
    assert f"New: the client for {second}" in entry
    assert f"{first} did not change since 0.1.0" in entry
    assert run("--check", *specs).stdout.startswith(f"OK: {first} and {second} are the specs of the released")
    dist = fake_dist(tmp_path, "0.2.0")
    assert run("--verify-tag", "v0.2.0", *specs, "--dist", dist).returncode == 0
    (released_dir / "lava-v2-0.2.0.yaml").unlink()
    refused = run("--verify-tag", "v0.2.0", *specs, "--dist", dist)
    assert refused.returncode == 1
    assert f"0.2.0 was not prepared for {second}" in refused.stderr


def test_by_default_every_version_of_the_api_is_checked() -> None:
    result = run("--check")

    assert result.returncode == 0, result.stderr
    for spec in SPEC_PATHS.values():
        assert f"openapi/{spec.name}" in result.stdout
