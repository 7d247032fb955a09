"""Regenerate the typed client package, generated/lava_client, from the OpenAPI specs (`make generate`).

The package holds a client for every version of the API that lava_spec knows (`lava_spec.versions`:
lava_client.v0 from openapi/lava.yaml, lava_client.v2 from openapi/lava-v2.yaml), over one shared runtime.
For each version it runs the pinned openapi-python-client over that version's spec with
openapi/generator.yaml and the custom templates in openapi/templates/ (staged with `_spec.jinja`, the facts
of the spec that the generator does not give its templates: the server URL), into lava_client/<version>/
of a staging folder. Then it assembles the package:

- the modules every version shares (`SHARED_MODULES`: client.py, errors.py, types.py), which the generator
  renders in every version's run, are kept once, at the top of lava_client: the renderings must be the same
  byte for byte, or the versions would need different shared code, and generation fails saying which
  module differs and how. A version's operations and resources import them from there; the generator's
  own code imports `types` from the version's package, so each version keeps a ``types.py`` that only
  re-exports the shared one (`REEXPORTED_MODULES`);
- the top of the package, ``lava_client/__init__.py``, rendered from openapi/templates/package/: it exports
  the shared names, and the names 0.1.0 exported that are now a version's, as deprecated aliases of the
  default version's;
- the hand-written runtime modules of openapi/runtime/ (retries, pagination), copied as they are beside the
  shared modules that import them, each under a header that says where to edit it;
- an empty ``py.typed`` (the generator writes one only with package metadata, which we do not generate);
- a comment on top of every module saying that it is generated, from which spec, and how to regenerate it
  (a step here, not a template: that would mean copying every stock template that writes a module, for one
  line each);
- ``_generated.json``, a record of what produced the package, in the spirit of Stainless's ``.stats.yml``:
  the versions of openapi-python-client and ruff, and the sha256 of each version's spec, of the generator
  config and of the templates and of the runtime modules (for a folder: the sha256 of one line per file,
  sorted by its path relative to the folder, each line that path, a NUL byte, the file's sha256 and a
  newline).

Beside the package (in the output folder's parent, generated/) it writes the lava-client distribution's
metadata: ``pyproject.toml`` and ``README.md`` rendered from openapi/templates/distribution/ with values
from the specs (info.version, which every spec must carry alike; info.title, info.description,
externalDocs.url and the first server's URL of each) and openapi/generator.yaml, a copy of the
repository's ``LICENSE`` and a ``.gitignore`` for the build backend. Nothing there is kept by hand.

Only when all of that has worked does it replace the output folder, so a failed run leaves it as it was.
The output is byte for byte the same on every run and machine: it holds no absolute path, time or
version of Python, and the formatter runs isolated from any ruff configuration around it.

It does not check that generated/ is up to date (scripts/check_generated.py does), and it changes no
generated code beyond the header and the assembly above: every other customisation lives in openapi/,
beside the specs.

Exit status: 0 when the package was written; 1 when the generator failed or warned, or the versions'
specs disagree on what they share (nothing was written); 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import hashlib
import importlib.metadata
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import yaml

from lava_spec import SpecError, load_spec
from lava_spec.versions import API_VERSIONS, DEFAULT_API_VERSION, SPEC_PATHS

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "openapi" / "generator.yaml"
TEMPLATES = ROOT / "openapi" / "templates"
RUNTIME = ROOT / "openapi" / "runtime"
DEFAULT_OUTPUT_DIR = ROOT / "generated" / "lava_client"
PACKAGE_NAME = "lava_client"
RECORD_NAME = "_generated.json"
# Rendered by the generator in every version's run from the same templates, and kept once, at the top of
# the package: one client, one error tree, one set of types at run time, whichever version is called.
SHARED_MODULES = ("client.py", "errors.py", "types.py")
# Of those, the ones a version's package keeps as a re-export: the generator's own code (the models' and
# the operations' property imports) imports `types` relatively, from the version's package.
REEXPORTED_MODULES = ("types.py",)
# The top of the package, rendered here (the generator writes one version's package per run).
PACKAGE_INIT_TEMPLATE = TEMPLATES / "package" / "__init__.py.jinja"
# The newest version is the one "Lava serves today" in what the package tells its users.
CURRENT_API_VERSION = API_VERSIONS[-1]
DISTRIBUTION_TEMPLATES = TEMPLATES / "distribution"
# Written beside the templates for each run (`_stage_templates`), never kept in openapi/templates/.
SPEC_TEMPLATE = "_spec.jinja"
LICENSE = ROOT / "LICENSE"
# What `_write_distribution` puts beside the package; the first line of the pyproject marks it as ours.
DISTRIBUTION_FILES = (".gitignore", "LICENSE", "README.md", "pyproject.toml")
# hatchling leaves out what the nearest .gitignore ignores and puts that file into the sdist: without one
# here it would take the repository's, from outside the distribution.
DISTRIBUTION_GITIGNORE = b"# Written by scripts/generate.py: what never ships.\n__pycache__/\n*.pyc\n"
PYPROJECT_MARKER = b"# Generated by scripts/generate.py"

# Not resolved: the venv's python is a symlink out of the venv, and the tools sit beside the link.
BIN_DIR = Path(sys.executable).absolute().parent
GENERATOR = BIN_DIR / "openapi-python-client"


class GenerationError(Exception):
    """Generation failed: the message says what failed and what to do; report holds the tool's own output."""

    def __init__(self, message: str, report: str = "") -> None:
        super().__init__(message)
        self.report = report


def main(argv: list[str] | None = None) -> int:
    """Generate the package into --output-dir; return the exit status."""
    parser = argparse.ArgumentParser(
        description="Regenerate the client package from the OpenAPI specs (what `make generate` runs)."
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        metavar="DIR",
        help="the package folder to (re)write (default: generated/lava_client)",
    )
    parser.add_argument(
        "--spec",
        action="append",
        default=[],
        metavar="VERSION=PATH",
        help=(
            "generate VERSION from the OpenAPI document at PATH instead of its own spec; may be repeated "
            f"(default: each of {', '.join(API_VERSIONS)} from its spec in openapi/)"
        ),
    )
    args = parser.parse_args(argv)
    specs = {version: path.absolute() for version, path in SPEC_PATHS.items()}
    for given in args.spec:
        version, separator, path = given.partition("=")
        if not separator or version not in specs or not path:
            parser.error(
                f"--spec {given}: give VERSION=PATH, with VERSION one of {', '.join(API_VERSIONS)} "
                "(e.g. --spec v0=changed/lava.yaml)"
            )
        specs[version] = Path(path).absolute()
        if not specs[version].is_file():
            parser.error(f"--spec {given}: no such file")
    output_dir: Path = args.output_dir.absolute()
    refusal = _refusal_to_replace(output_dir)
    refusal = refusal or _refusal_to_write_distribution(output_dir.parent)
    if refusal:
        parser.error(f"--output-dir {args.output_dir}: {refusal}")

    try:
        with tempfile.TemporaryDirectory(prefix="lava-generate-") as staging_root:
            # The same folder name on every run: ruff's import sorting can depend on it.
            staging = Path(staging_root) / PACKAGE_NAME
            generate(specs, staging)
            _write_distribution(specs, staging.parent)
            _replace(output_dir, staging)
            _copy_distribution(staging.parent, output_dir.parent)
    except GenerationError as error:
        if error.report.strip():
            print(error.report.rstrip(), end="\n\n", file=sys.stderr)
        print(f"error: {error} {_shown(output_dir)} was left as it was.", file=sys.stderr)
        return 1
    print(f"Generated {_shown(output_dir)} from {_listed(specs)}.")
    return 0


def generate(specs: Mapping[str, Path], package_dir: Path) -> None:
    """Write the finished package, a subpackage per version generated from its spec, into package_dir.

    `specs` maps each version to its spec, the default version first; package_dir must not exist yet.
    """
    if not GENERATOR.is_file():
        raise GenerationError(
            f"{GENERATOR} does not exist. Run this script with the virtual environment's python "
            "(`make generate` does), after `make venv`."
        )
    _require_one_version(specs)
    environment = _tool_environment()
    _require_pinned_ruff(environment)
    for version, spec in specs.items():
        _generate_version(spec, package_dir / version, environment)
    _keep_shared_modules_once(specs, package_dir)
    _write_package_init(specs, package_dir)
    _finish_package(package_dir, specs, environment)


def _generate_version(spec: Path, version_dir: Path, environment: dict[str, str]) -> None:
    """Run the generator over one version's spec into version_dir: that version's whole package."""
    with tempfile.TemporaryDirectory(prefix="lava-templates-") as templates:
        _stage_templates(spec, Path(templates))
        command = [
            str(GENERATOR),
            "generate",
            "--path",
            str(spec),
            "--config",
            str(CONFIG),
            "--custom-template-path",
            templates,
            "--meta",
            "none",
            "--output-path",
            str(version_dir),
            "--overwrite",
            "--fail-on-warning",
        ]
        result = subprocess.run(  # noqa: S603 (the venv's own generator, with our own arguments)
            command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        raise GenerationError(
            f"openapi-python-client failed or warned (exit status {result.returncode}) while generating from "
            f"{_shown(spec)}; its report is above. Fix {_shown(spec)}, openapi/generator.yaml or "
            "openapi/templates/ and run `make generate` again.",
            report=result.stdout + result.stderr,
        )


def _require_one_version(specs: Mapping[str, Path]) -> None:
    """Fail unless every spec carries the same info.version: lava-client has one version, the specs'."""
    found = {spec: _info(spec).get("version") for spec in specs.values()}
    if len({str(version) for version in found.values()}) > 1:
        listed = ", ".join(f"{_shown(spec)} says {version!r}" for spec, version in found.items())
        raise GenerationError(
            f"The specs disagree on info.version ({listed}), but lava-client has one version, the specs' "
            "(scripts/release.py says which one a change requires): set the same info.version in every "
            "spec, then run `make generate` again."
        )


def _keep_shared_modules_once(specs: Mapping[str, Path], package_dir: Path) -> None:
    """Move SHARED_MODULES from the versions' packages to the top, once; fail if the versions' differ."""
    versions = list(specs)
    first = versions[0]
    for name in SHARED_MODULES:
        kept = package_dir / first / name
        for version in versions[1:]:
            other = package_dir / version / name
            if other.read_bytes() != kept.read_bytes():
                raise GenerationError(
                    f"{_shown(specs[first])} and {_shown(specs[version])} generate different {name}s, but "
                    f"{PACKAGE_NAME}/{name} is one module that every version shares: the versions would need "
                    "different shared code. Make the specs agree on what it is made of (client.py: "
                    "info.version and the first server's URL), or move what differs out of "
                    f"openapi/templates/{name}.jinja, then run `make generate` again. The first differences:",
                    report="\n".join(_first_differences(kept, other, first, version)),
                )
        for version in versions:
            moved = package_dir / version / name
            if version == first:
                moved.replace(package_dir / name)
            else:
                moved.unlink()
    for version in versions:
        for name in REEXPORTED_MODULES:
            (package_dir / version / name).write_bytes(_reexport(package_dir / name).encode())


def _first_differences(kept: Path, other: Path, first: str, version: str) -> list[str]:
    lines = difflib.unified_diff(
        kept.read_text(encoding="utf-8").splitlines(),
        other.read_text(encoding="utf-8").splitlines(),
        fromfile=f"{first}/{kept.name}",
        tofile=f"{version}/{other.name}",
        lineterm="",
    )
    return list(lines)[:MAX_DIFFERENCE_LINES]


# How much of a shared module's difference between two versions a failure shows.
MAX_DIFFERENCE_LINES = 40


def _reexport(shared: Path) -> str:
    """A version's copy of the shared module `shared`: its public names (its `__all__`), imported from it."""
    names = _declared_all(shared)
    if not names:
        raise GenerationError(
            f"openapi/templates/{shared.name}.jinja renders no literal __all__, which is what the versions' "
            f"re-exports of {PACKAGE_NAME}/{shared.name} import: add one, then run `make generate` again."
        )
    return (
        f'"""{PACKAGE_NAME}.{shared.stem}, which every version shares, under the name this version\'s '
        'generated modules import it by."""\n\n'
        f"from ..{shared.stem} import {', '.join(names)}\n\n"
        f"__all__ = [{', '.join(json.dumps(name) for name in names)}]\n"
    )


def _declared_all(module: Path) -> list[str]:
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets)
            and isinstance(node.value, ast.List | ast.Tuple)
        ):
            return [
                element.value
                for element in node.value.elts
                if isinstance(element, ast.Constant) and isinstance(element.value, str)
            ]
    return []


def _write_package_init(specs: Mapping[str, Path], package_dir: Path) -> None:
    """Render the top of the package from PACKAGE_INIT_TEMPLATE: the shared names, and the moved ones."""
    moved = sorted(
        {name for version in specs for name in _declared_all(package_dir / version / "__init__.py")}
    )
    values = {
        "versions": list(specs),
        "default_version": DEFAULT_API_VERSION,
        "current_version": CURRENT_API_VERSION,
        "deprecated": moved,
    }
    environment = jinja2.Environment(  # noqa: S701 (Python, not HTML: nothing to escape)
        loader=jinja2.FileSystemLoader(PACKAGE_INIT_TEMPLATE.parent),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    rendered = environment.get_template(PACKAGE_INIT_TEMPLATE.name).render(values)
    (package_dir / "__init__.py").write_bytes(rendered.encode())


def _stage_templates(spec: Path, templates: Path) -> None:
    """Copy openapi/templates/ into `templates`, with `SPEC_TEMPLATE` beside them: the spec's facts they use.

    openapi-python-client gives its templates the parsed operations, models and `info`, but not `servers`;
    the client's default base URL is the spec's first server all the same, so it reaches them this way:
    `{% from "_spec.jinja" import server_url %}`.
    """
    shutil.copytree(TEMPLATES, templates, dirs_exist_ok=True)
    values = {"server_url": _server_url(spec)}
    lines = [f"{{% set {name} = {json.dumps(value)} %}}\n" for name, value in values.items()]
    (templates / SPEC_TEMPLATE).write_text("".join(lines), encoding="utf-8")


def _server_url(spec: Path) -> str:
    try:
        return load_spec(spec).server_url
    except SpecError as error:
        raise GenerationError(f"{error}. Fix {_shown(spec)} and run `make generate` again.") from None


def _finish_package(package_dir: Path, specs: Mapping[str, Path], environment: dict[str, str]) -> None:
    every_spec = _listed(specs, recorded=True)
    for module in sorted(package_dir.rglob("*.py")):
        version = module.relative_to(package_dir).parts[0]
        # A version's modules come from its spec; the top of the package from every spec.
        origin = _recorded(specs[version]) if version in specs else every_spec
        header = (
            f"# Generated from {origin} by `make generate`: do not edit this file.\n"
            "# Change openapi/ (the specs, generator.yaml or templates/) and run `make generate` instead.\n\n"
        )
        module.write_bytes(header.encode() + module.read_bytes())
    # The post-hooks run again so that the header, the package's top and the re-exports are formatted by
    # exactly the rules that formatted the rest.
    _run_post_hooks(package_dir, environment)
    # After the post-hooks: the runtime modules are copied byte for byte, formatted by our own ruff rules.
    for source in _runtime_modules():
        target = package_dir / source.name
        if target.exists():
            raise GenerationError(
                f"{_recorded(source)} would replace the generated module {source.name}: "
                "rename it in openapi/runtime/."
            )
        runtime_header = (
            f"# Hand-written in {_recorded(source)}, not generated: edit it there, then run "
            "`make generate`,\n"
            "# which copies it here unchanged (but for this header).\n\n"
        )
        target.write_bytes(runtime_header.encode() + source.read_bytes())
    py_typed = package_dir / "py.typed"
    if not py_typed.exists():
        py_typed.write_bytes(b"")
    record = {
        "about": "What produced this package; written by scripts/generate.py (`make generate`), not by hand.",
        "generator": {
            "name": "openapi-python-client",
            "version": importlib.metadata.version("openapi-python-client"),
        },
        "formatter": {"name": "ruff", "version": importlib.metadata.version("ruff")},
        "specs": {
            version: {"path": _recorded(spec), "sha256": _sha256(spec.read_bytes())}
            for version, spec in specs.items()
        },
        "generator_config": {"path": _recorded(CONFIG), "sha256": _sha256(CONFIG.read_bytes())},
        "templates": {"path": _recorded(TEMPLATES), "sha256": _folder_sha256(TEMPLATES, _templates())},
        "runtime": {"path": _recorded(RUNTIME), "sha256": _folder_sha256(RUNTIME, _runtime_modules())},
    }
    (package_dir / RECORD_NAME).write_bytes((json.dumps(record, indent=2, sort_keys=True) + "\n").encode())


def _run_post_hooks(package_dir: Path, environment: dict[str, str]) -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for hook in config.get("post_hooks") or []:
        result = subprocess.run(  # noqa: S603 (the hooks are our own config, the same the generator runs)
            shlex.split(hook), cwd=package_dir, env=environment, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise GenerationError(
                f"The post-hook `{hook}` of openapi/generator.yaml failed (report above) when "
                "scripts/generate.py ran it again after adding the do-not-edit header. Make sure "
                "openapi/templates/ render valid Python, then run `make generate` again.",
                report=result.stdout + result.stderr,
            )


def _tool_environment() -> dict[str, str]:
    """The environment for the generator and its post-hooks: the pinned tools, nothing that retunes them."""
    environment = {
        name: value
        for name, value in os.environ.items()
        # RUFF_* would change how the post-hooks format; PYTHONPATH could load another generator.
        if not name.startswith("RUFF_") and name != "PYTHONPATH"
    }
    # The post-hooks call plain `ruff`: the venv's comes first, so it is the pinned one.
    environment["PATH"] = os.pathsep.join(filter(None, [str(BIN_DIR), environment.get("PATH")]))
    # The output must not depend on the order of a set, should the generator ever iterate one.
    environment["PYTHONHASHSEED"] = "0"
    return environment


def _require_pinned_ruff(environment: dict[str, str]) -> None:
    found = shutil.which("ruff", path=environment["PATH"])
    if found is None or Path(found).parent != BIN_DIR:
        raise GenerationError(
            f"The post-hooks would run {found or 'no ruff at all'}, not the ruff pinned in uv.lock "
            f"(expected in {BIN_DIR}). Run `make venv`, then `make generate`."
        )


def _refusal_to_replace(output_dir: Path) -> str | None:
    """Why output_dir must not be replaced, or None: only a package this script wrote is ever deleted."""
    if not output_dir.exists():
        return None
    if not output_dir.is_dir():
        return "exists and is not a folder"
    if any(output_dir.iterdir()) and not (output_dir / RECORD_NAME).is_file():
        return (
            f"holds files but no {RECORD_NAME}, so this script did not write it and will not delete it; "
            "choose an empty or new folder"
        )
    return None


def _replace(output_dir: Path, package_dir: Path) -> None:
    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(package_dir, output_dir)


# The lava-client distribution around the package: pyproject.toml, README.md, LICENSE. Kept apart from the
# package's own generation above, which these functions neither read nor change.


def _write_distribution(specs: Mapping[str, Path], project_dir: Path) -> None:
    """Render the distribution's metadata files into project_dir, from the specs and the generator config."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    versions = [_version_values(version, spec) for version, spec in specs.items()]
    default = next(values for values in versions if values["name"] == DEFAULT_API_VERSION)
    current = next(values for values in versions if values["name"] == CURRENT_API_VERSION)
    values = {
        "project_name": config.get("project_name_override"),
        "package_name": config.get("package_name_override"),
        "repository_url": config.get("x_repository_url"),
        # One version for every spec: `_require_one_version` has checked that they agree.
        "version": default["version"],
        # The package as a whole is named after the seed's title, and documented by today's API reference.
        "title": default["title"],
        "docs_url": current["docs_url"],
        # The shared client's default: `_keep_shared_modules_once` has checked that every version has it.
        "server_url": default["server_url"],
        "versions": versions,
        "default_version": DEFAULT_API_VERSION,
        "current_version": CURRENT_API_VERSION,
    }
    missing = sorted(name for name, value in values.items() if not value)
    missing += sorted(
        f"{name} of {values['name']}"
        for values in versions
        for name, value in values.items()
        if not value and name not in OPTIONAL_VERSION_VALUES
    )
    if missing:
        raise GenerationError(
            f"The distribution's metadata lacks {', '.join(missing)}: set info.version, info.title, "
            f"info.description and externalDocs.url in every spec ({_listed(specs)}), and "
            "project_name_override, package_name_override and x_repository_url in openapi/generator.yaml."
        )
    environment = jinja2.Environment(  # noqa: S701 (TOML and Markdown, not HTML: nothing to escape)
        loader=jinja2.FileSystemLoader(DISTRIBUTION_TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    # A JSON string is a valid TOML basic string: quotes, backslashes and control characters escaped.
    environment.filters["toml"] = lambda value: json.dumps(str(value), ensure_ascii=False)
    for name in ("pyproject.toml", "README.md"):
        rendered = environment.get_template(f"{name}.jinja").render(values)
        (project_dir / name).write_bytes(rendered.encode())
    shutil.copyfile(LICENSE, project_dir / "LICENSE")
    (project_dir / ".gitignore").write_bytes(DISTRIBUTION_GITIGNORE)


def _version_values(version: str, spec: Path) -> dict[str, str]:
    """What the distribution's files say about one version: from its spec's info, externalDocs and server."""
    # Read raw, not through lava_spec: the metadata is the document's `info` and `externalDocs` as written
    # (title, description, docs URL), which are no facts of the API that a `Spec` answers.
    document = _document(spec)
    info = document.get("info") or {}
    servers = document.get("servers")
    sandbox = [
        server
        for server in (servers if isinstance(servers, list) else [])
        if isinstance(server, dict) and server.get(SANDBOX_MARK) == "sandbox"
    ]
    prefixes = _key_prefixes(spec)
    return {
        "name": version,
        "spec": _recorded(spec),
        "version": str(info.get("version") or ""),
        "title": str(info.get("title") or ""),
        "description": " ".join(str(info.get("description") or "").split()),
        "docs_url": str((document.get("externalDocs") or {}).get("url") or ""),
        "server_url": _server_url(spec),
        # Optional (v0 states neither): the README names them only for a version that has them.
        "sandbox_url": str(sandbox[0].get("url") or "") if sandbox else "",
        "live_prefix": prefixes.get("live", ""),
        "test_prefix": prefixes.get("test", ""),
    }


# The extension that says which environment a server of the spec is (production, sandbox).
SANDBOX_MARK = "x-lava-environment"
# What a version may leave empty in `_version_values`.
OPTIONAL_VERSION_VALUES = frozenset({"sandbox_url", "live_prefix", "test_prefix"})


def _key_prefixes(spec: Path) -> Mapping[str, str]:
    try:
        return load_spec(spec).key_prefixes
    except SpecError as error:
        raise GenerationError(f"{error}. Fix {_shown(spec)} and run `make generate` again.") from None


def _document(spec: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise GenerationError(
            f"{_shown(spec)} is not YAML ({error}). Fix {_shown(spec)} and run `make generate` again."
        ) from None
    if not isinstance(document, dict):
        raise GenerationError(
            f"{_shown(spec)} is not an OpenAPI document. Fix {_shown(spec)} and run `make generate` again."
        )
    return document


def _info(spec: Path) -> dict[str, Any]:
    info = _document(spec).get("info")
    return info if isinstance(info, dict) else {}


def _listed(specs: Mapping[str, Path], *, recorded: bool = False) -> str:
    """The specs, named for a message (or, `recorded`, for a generated file): "a, b and c"."""
    names = [(_recorded if recorded else _shown)(spec) for spec in specs.values()]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _refusal_to_write_distribution(project_dir: Path) -> str | None:
    """Why the distribution files must not be written into project_dir, or None: never over a real project."""
    pyproject = project_dir / "pyproject.toml"
    if pyproject.is_file() and not pyproject.read_bytes().startswith(PYPROJECT_MARKER):
        return (
            "its parent holds a pyproject.toml that this script did not write, and the distribution's "
            "would replace it; choose an output folder inside a folder of its own"
        )
    return None


def _copy_distribution(staging_dir: Path, project_dir: Path) -> None:
    for name in DISTRIBUTION_FILES:
        shutil.copyfile(staging_dir / name, project_dir / name)


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.jinja"))


def _runtime_modules() -> list[Path]:
    return sorted(RUNTIME.glob("*.py"))


def _folder_sha256(folder: Path, files: list[Path]) -> str:
    names = sorted(path.relative_to(folder).as_posix() for path in files)
    lines = [f"{name}\0{_sha256((folder / name).read_bytes())}\n" for name in names]
    return _sha256("".join(lines).encode())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _recorded(path: Path) -> str:
    """The path as the generated files name it: relative to the repository, never machine-specific."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def _shown(path: Path) -> str:
    """The path as messages name it: relative to the repository when inside it, else in full."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
