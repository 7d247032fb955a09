"""lava-client as a user gets it: what `make dist` builds, what the wheel holds and needs, and that it runs.

The wheel and sdist are built once for the module by scripts/dist.py (what `make dist` runs). The runtime
check installs the wheel into a fresh virtual environment, with nothing else asked for, and runs
scripts/try_wheel.py against it, as `make test-pythons` does for each supported Python.
"""

from __future__ import annotations

import ast
import hashlib
import re
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

import pytest

from lava_spec import load_spec
from lava_spec.versions import API_VERSIONS
from tests.repository import ROOT

BIN_DIR = Path(sys.executable).absolute().parent
SPEC_VERSION = load_spec().version
PACKAGE = ROOT / "generated" / "lava_client"
# Each runtime dependency by the name lava_client imports it by.
DEPENDENCIES = {
    "attrs": "attrs>=23.1",
    "httpx": "httpx<0.29,>=0.28",
    "httpx_retries": "httpx-retries<0.7,>=0.6",
}


def run(*command: object, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own scripts and the venv's tools
        [*map(str, command)], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def sha256s(folder: Path) -> dict[str, str]:
    # uv build also leaves a .gitignore in the folder it writes to: not a distribution.
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("lava_client-*"))
    }


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, ROOT / "scripts" / "dist.py", "--out-dir", out_dir)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "twine check --strict passed" in built.stdout
    return out_dir


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    return dist / f"lava_client-{SPEC_VERSION}-py3-none-any.whl"


def metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"lava_client-{SPEC_VERSION}.dist-info/METADATA").decode()
    return HeaderParser().parsestr(text)


def test_make_dist_builds_the_same_bytes_twice(dist: Path, tmp_path: Path) -> None:
    again = run(sys.executable, ROOT / "scripts" / "dist.py", "--out-dir", tmp_path)

    assert again.returncode == 0, again.stderr
    assert sha256s(tmp_path) == sha256s(dist)
    assert sorted(sha256s(dist)) == [
        f"lava_client-{SPEC_VERSION}-py3-none-any.whl",
        f"lava_client-{SPEC_VERSION}.tar.gz",
    ]


def test_the_wheel_holds_the_client_and_its_licence_and_nothing_of_the_repository(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    dist_info = f"lava_client-{SPEC_VERSION}.dist-info/"

    assert {name.split("/")[0] + "/" for name in names} == {"lava_client/", dist_info}
    assert f"{dist_info}licenses/LICENSE" in names
    assert "lava_client/py.typed" in names
    shipped = {name.removeprefix("lava_client/") for name in names if name.startswith("lava_client/")}
    in_repository = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*") if path.is_file()}
    assert shipped == {name for name in in_repository if "__pycache__" not in name}


def test_the_wheel_holds_a_client_for_every_version_of_the_api_over_one_shared_runtime(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())

    for version in API_VERSIONS:
        assert f"lava_client/{version}/__init__.py" in names, version
        assert f"lava_client/{version}/api/spend_keys/create_spend_key.py" in names, version
        assert f"lava_client/{version}/models/spend_key.py" in names, version
        assert f"lava_client/{version}/client.py" not in names, version
        assert f"lava_client/{version}/errors.py" not in names, version
    for shared in ("client.py", "errors.py", "types.py", "_retries.py", "_pagination.py"):
        assert f"lava_client/{shared}" in names, shared


def test_the_sdist_holds_the_package_and_its_metadata_files_only(dist: Path) -> None:
    with tarfile.open(dist / f"lava_client-{SPEC_VERSION}.tar.gz") as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames()}

    assert {name for name in names if not name.startswith("lava_client/")} == {
        ".gitignore",
        "LICENSE",
        "PKG-INFO",
        "README.md",
        "pyproject.toml",
    }


def test_the_metadata_names_the_client_by_its_spec_version_and_needs_only_what_it_imports(
    wheel: Path,
) -> None:
    found = metadata(wheel)

    assert found["Name"] == "lava-client"
    assert found["Version"] == SPEC_VERSION
    assert found["Requires-Python"] == ">=3.11"
    assert sorted(found.get_all("Requires-Dist") or []) == sorted(DEPENDENCIES.values())
    assert found["License-Expression"] == "MIT"
    assert "Documentation, https://www.lava.so/docs/api-reference/" in (found.get_all("Project-URL") or [])
    classifiers = found.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert {f"Programming Language :: Python :: 3.{minor}" for minor in (11, 12, 13)} <= set(classifiers)
    assert found["Description-Content-Type"] == "text/markdown"


def test_the_client_imports_nothing_but_the_standard_library_its_dependencies_and_itself() -> None:
    imported: set[str] = set()
    for module in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])

    assert imported - sys.stdlib_module_names - {"lava_client"} == set(DEPENDENCIES)


def test_the_wheel_in_a_fresh_environment_imports_every_module_and_runs_the_readme_example(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    created = run(BIN_DIR / "uv", "venv", "--quiet", "--no-config", "--python", sys.executable, venv)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    installed = run(BIN_DIR / "uv", "pip", "install", "--quiet", "--python", python, wheel)
    assert installed.returncode == 0, installed.stderr

    result = run(sys.executable, ROOT / "scripts" / "try_wheel.py", "--python", python)

    assert result.returncode == 0, result.stderr
    assert f"OK: lava-client {SPEC_VERSION} under Python 3.11" in result.stdout


def test_the_package_readme_shows_the_same_client_example_as_the_repository_readme() -> None:
    def example(readme: Path) -> list[str]:
        return re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), flags=re.DOTALL)

    assert example(ROOT / "generated" / "README.md") == example(ROOT / "README.md")
