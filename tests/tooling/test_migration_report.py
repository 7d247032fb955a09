"""The migration page (docs/migrating-v0-to-v2.md) is what spec_drift says of the two specs, and says it all.

`make migration-report` writes it (scripts/migration_report.py); `make check-generated` and the first test
here fail, naming that command, when the specs have moved on without it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import migration_report
import pytest

from lava_spec import API_VERSIONS, load_spec, spec_path
from spec_drift import compare_documents, load_document, main
from spec_drift.compare import Change
from tests.repository import FIXTURES, ROOT, SCRIPTS

OLD, NEW = API_VERSIONS[0], API_VERSIONS[-1]
PAGE = ROOT / "docs" / f"migrating-{OLD}-to-{NEW}.md"


def _changes() -> list[Change]:
    return compare_documents(load_document(spec_path(OLD)), load_document(spec_path(NEW)))


def _names(change: Change) -> list[str]:
    """How the page names what a change is about: a field's last name, a server, each credential prefix."""
    return [part.replace("[]", "").split(".")[-1] for part in change.subject.split(", ")]


def _mentions(item: str, name: str) -> bool:
    """Whether an item names `name` in code: `name`, or a model's field `Model.name`."""
    return re.search(rf"`(?:\w+\.)?{re.escape(name)}", item) is not None


def test_the_checked_in_page_matches_the_specs() -> None:
    assert PAGE.read_text(encoding="utf-8") == migration_report.expected_page(), (
        f"{PAGE.relative_to(ROOT)} no longer matches the specs: run `make migration-report` and commit it"
    )


def test_check_fails_naming_the_command_when_the_page_differs(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(migration_report.expected_page() + "a line written by hand\n", encoding="utf-8")
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCRIPTS / "migration_report.py"), "--check", "--page", str(page)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "run `make migration-report`" in result.stderr
    assert page.read_text(encoding="utf-8").endswith("a line written by hand\n"), "--check wrote the page"
    assert migration_report.main(["--page", str(page)]) == 0
    assert migration_report.main(["--check", "--page", str(page)]) == 0


def test_the_page_is_the_cli_s_migration_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(spec_path(NEW)), "--ours", str(spec_path(OLD)), "--format", "migration"]) == 0
    assert capsys.readouterr().out == PAGE.read_text(encoding="utf-8")


def test_the_page_names_every_change_and_what_to_do_in_terms_of_the_new_client() -> None:
    page = PAGE.read_text(encoding="utf-8")
    changes = _changes()
    assert changes
    for change in changes:
        assert all(name in page for name in _names(change)), change
    assert f"from lava_client.{NEW} import" in page
    assert f"`lava_client.{OLD}`" in page
    # Moved operations share one breaking table; every other breaking change has a breaking item.
    items = [line for line in page.splitlines() if line.startswith("- **Breaking.**")]
    unflagged = [
        change
        for change in changes
        if change.severity == "breaking"
        and change.kind != "operation-moved"
        and not any(all(_mentions(item, name) for name in _names(change)) for item in items)
    ]
    assert not unflagged, f"breaking changes without a breaking item: {unflagged}"


@pytest.mark.parametrize(
    ("fact", "fragment"),
    [
        ("the path prefix", "`POST /spend_keys`"),
        ("the credential", "`aks_live_` (live) or `aks_test_` (test)"),
        ("the sandbox host", 'base_url="https://sandbox-api.lava.so/v1"'),
        ("wallet_id leaves the create body", "Stop passing `wallet_id=`"),
        ("request_shape's default", 'left out, it is `"openai"`'),
        ("total usage", "`SpendKey.total_spend` is new"),
        ("allowed_models' minItems", "new minItems 1"),
    ],
)
def test_the_page_tells_each_change_the_issue_names(fact: str, fragment: str) -> None:
    assert fragment in PAGE.read_text(encoding="utf-8"), fact


def test_the_client_methods_the_page_names_are_the_generated_client_s() -> None:
    # The page restates the generator's naming rule (openapi/templates/endpoint_init.py.jinja); every
    # generated client (lava_client, or lava_client.<version> once there are several) must agree with it.
    page = PAGE.read_text(encoding="utf-8")
    resources = sorted((ROOT / "generated").glob("lava_client/**/api/spend_keys/__init__.py"))
    assert resources
    named = {part.split("(")[0] for part in page.split("`client.spend_keys.")[1:]}
    assert named == {"create", "list", "retrieve", "update", "revoke", "rotate"}
    assert len(named) == len(load_spec().operations)
    for resource in resources:
        source = resource.read_text(encoding="utf-8")
        assert all(f"def {method}(" in source for method in named), resource


def test_migration_format_refuses_a_document_that_is_not_one_of_our_specs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([str(FIXTURES / "lava-v2.yaml"), "--ours", str(spec_path(OLD)), "--format", "migration"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--format migration compares two of this project's specs" in captured.err
    assert captured.err.count("\n") == 1
