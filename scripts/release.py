"""Version lava-client by its specs: check the version, prepare a release, and vouch for a tag.

lava-client holds a client for every version of the API (`lava_spec.versions`: openapi/lava.yaml for v0,
openapi/lava-v2.yaml for v2), and its version is their ``info.version``, which every spec must carry
alike. Each release keeps a copy of every spec it was made from, named after the spec's file:
openapi/released/lava-<version>.yaml, lava-v2-<version>.yaml. The size of the next version's step from
the last release (the newest released copy of any spec) follows from what changed between each spec and
its own last released copy, the largest change deciding; a spec with no released copy yet (a new version
of the API) is an addition:

- breaking (the spec_drift comparison, spec_drift/compare.py, reports a breaking change, taking the
  released spec as "ours" and the current one as "upstream": a client generated from the released
  spec would now send what is refused or fail on what is answered): major;
- any other change to the spec, itemised by that comparison or not (a new optional field, a new
  operation, a new server, an example...), or a new version of the API: minor;
- documentation only (``description``, ``summary``, and the notes ``x-lava-inferred`` and
  ``x-lava-source``; not ``x-lava-secret``, which changes what the generated code redacts): patch;
- nothing (info.version aside): no new version is needed, but one may be made for a client-only change
  (templates, runtime modules, generator); any single step is then allowed.

While the major version is 0, every step moves down one place, as Cargo and PEP 440's ``~=0.1.0`` read
0.x versions: breaking → minor (0.1.0 → 0.2.0), anything else → patch (0.1.0 → 0.1.1). 1.0.0 is a
decision, not a consequence: it is always an allowed step from 0.x. A larger step than required is
allowed (0.1.0 → 0.2.0 for a documentation change); a smaller one, or one that skips versions, is not.

    --check            exit 1, saying which version is required, when info.version does not follow the rule
                       (`make check-generated` runs it)
    --prepare          record a release of info.version: copy each spec to openapi/released/ and put the
                       changelog entry, made from the same comparison, on top of CHANGELOG.md
    --notes VERSION    print VERSION's changelog entry (the GitHub release's text)
    --verify-tag TAG   exit 1 unless TAG, info.version, the version of the distributions in --dist and the
                       released specs of that version all agree (the release workflow runs it)
    --spec PATH        a spec of lava-client, repeated for each (default: every version's)

What it does not do: change info.version (a person decides it, helped by --check's message), build,
tag or publish anything.

Exit status: 0 fine; 1 a rule broken, with a message that says what to do; 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from lava_spec.versions import SPEC_PATHS
from spec_drift.compare import Change, compare_documents

ROOT = Path(__file__).resolve().parent.parent
# The path is lava_spec's; the documents are read raw (`_load`), not through `lava_spec.load_spec`, since
# this script compares two whole documents (the spec and a released one), every key of them, and not the
# facts a `Spec` answers.
# Every version's spec, the seed first: lava-client holds a client for each, under one version.
DEFAULT_SPECS: tuple[Path, ...] = tuple(SPEC_PATHS.values())
RELEASED_DIR = ROOT / "openapi" / "released"
CHANGELOG = ROOT / "CHANGELOG.md"
PROJECT_NAME = "lava-client"

Kind = Literal["unchanged", "docs", "non-breaking", "added", "breaking"]
# From the least to the most a change asks of the version.
KINDS: tuple[Kind, ...] = ("unchanged", "docs", "non-breaking", "added", "breaking")
Step = Literal["patch", "minor", "major"]
STEPS: tuple[Step, ...] = ("patch", "minor", "major")

DOC_KEYS = frozenset({"description", "summary", "x-lava-inferred", "x-lava-source"})
# Keys whose value is a map from names (a property, a path, a status code...) to objects: its keys are
# names, so a property called "description" is kept, while the objects under it are read as usual.
NAME_MAPS = frozenset(
    {
        "$defs",
        "callbacks",
        "content",
        "definitions",
        "encoding",
        "examples",
        "headers",
        "links",
        "mapping",
        "parameters",
        "paths",
        "patternProperties",
        "properties",
        "requestBodies",
        "responses",
        "schemas",
        "securitySchemes",
        "variables",
        "webhooks",
    }
)
CHANGELOG_HEADER = (
    "# Changelog\n\n"
    f"{PROJECT_NAME}'s releases, newest first. Its version is the spec's `info.version`; each entry is\n"
    "written by `scripts/release.py --prepare` from the comparison of each spec (openapi/lava.yaml,\n"
    "openapi/lava-v2.yaml) with its last released copy (openapi/released/), and the size of each step\n"
    "follows from it (README.md, Versions).\n"
)
VERSION_PATTERN = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


class ReleaseError(Exception):
    """A rule is broken: the message says which, and what to do."""


@dataclass(frozen=True, order=True)
class Version:
    """A release version, MAJOR.MINOR.PATCH, with no pre-release or build part."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: object, where: str) -> Version:
        """The version that text spells, or ReleaseError naming where it came from."""
        match = VERSION_PATTERN.fullmatch(str(text))
        if match is None:
            raise ReleaseError(
                f"{where} is {text!r}, not a version of the form MAJOR.MINOR.PATCH (e.g. 0.2.0)."
            )
        return cls(*(int(part) for part in match.groups()))

    def step(self, step: Step) -> Version:
        """The next version after this one by step."""
        if step == "major":
            return Version(self.major + 1, 0, 0)
        if step == "minor":
            return Version(self.major, self.minor + 1, 0)
        return Version(self.major, self.minor, self.patch + 1)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class Comparison:
    """What changed from the released spec to the current one, and the changes the differ itemised."""

    kind: Kind
    changes: tuple[Change, ...]


def compare_specs(released: dict[str, Any], current: dict[str, Any]) -> Comparison:
    """Classify the change from the released spec to the current one (their info.version aside)."""
    released, current = _without_version(released), _without_version(current)
    if released == current:
        return Comparison("unchanged", ())
    if _without_docs(released) == _without_docs(current):
        return Comparison("docs", ())
    changes = tuple(compare_documents(released, current))
    if any(change.severity == "breaking" for change in changes):
        return Comparison("breaking", changes)
    return Comparison("non-breaking", changes)


def required_step(released: Version, kind: Kind) -> Step | None:
    """The smallest step from released that a change of this kind requires; None when nothing changed."""
    if kind == "unchanged":
        return None
    # A version of the API never released is a new part of the client: an addition, like a new operation.
    by_kind: dict[Kind, Step] = {
        "breaking": "major",
        "added": "minor",
        "non-breaking": "minor",
        "docs": "patch",
    }
    step = by_kind[kind]
    if released.major == 0:
        # 0.x: each step moves down one place (breaking -> minor, anything else -> patch).
        step = "minor" if step == "major" else "patch"
    return step


def allowed_versions(released: Version, kind: Kind) -> list[Version]:
    """Every version the current spec may carry after released, smallest first."""
    step = required_step(released, kind)
    steps = STEPS if step is None else STEPS[STEPS.index(step) :]
    allowed = sorted({released.step(name) for name in steps})
    return [released, *allowed] if step is None else allowed


@dataclass(frozen=True)
class Series:
    """One version of the API as the release sees it: its spec now, and its last released copy (if any).

    A spec's released copies are named after it: openapi/lava.yaml's are lava-<version>.yaml, and
    openapi/lava-v2.yaml's lava-v2-<version>.yaml, in openapi/released/.
    """

    spec: Path
    current: dict[str, Any]
    released: tuple[Version, dict[str, Any]] | None

    @property
    def shown(self) -> str:
        """The spec's path as messages name it."""
        return _shown(self.spec)


def load_series(specs: Sequence[Path], released_dir: Path = RELEASED_DIR) -> list[Series]:
    """Each spec with its last released copy from released_dir."""
    return [Series(spec, _load(spec), last_released(released_dir, spec.stem)) for spec in specs]


def common_version(series: Sequence[Series]) -> Version:
    """The one info.version every spec carries; ReleaseError listing them when they disagree."""
    versions = {
        item.shown: Version.parse(_info_version(item.current), f"{item.shown}'s info.version")
        for item in series
    }
    if len(set(versions.values())) > 1:
        listed = ", ".join(f"{shown} says {version}" for shown, version in versions.items())
        raise ReleaseError(
            f"The specs disagree on info.version ({listed}), but lava-client has one version, the specs': "
            f"set the same info.version in {_listed(series)}, then run `make generate`."
        )
    return next(iter(versions.values()))


def compare_series(item: Series) -> Comparison:
    """What changed in one spec since its last released copy; `added` for a spec never released."""
    if item.released is None:
        return Comparison("added", ())
    return compare_specs(item.released[1], item.current)


def last_release(series: Sequence[Series]) -> Version | None:
    """lava-client's last released version: the newest of every spec's released copies."""
    return max((item.released[0] for item in series if item.released is not None), default=None)


def check(series: Sequence[Series]) -> str:
    """A line saying why info.version is right; ReleaseError saying which version is required if not."""
    version = common_version(series)
    released_version = last_release(series)
    if released_version is None:
        return f"OK: nothing released yet; the first release will be {version}."
    comparisons = [compare_series(item) for item in series]
    kind = max((comparison.kind for comparison in comparisons), key=KINDS.index)
    allowed = allowed_versions(released_version, kind)
    what = _what_changed_in(series, comparisons)
    if version in allowed:
        if version == released_version:
            which = "is the spec" if len(series) == 1 else "are the specs"
            return f"OK: {_listed(series)} {which} of the released {version}."
        return f"OK: {version} follows the released {released_version} ({what})."
    required = allowed[0]
    others = ", ".join(str(other) for other in allowed[1:])
    if version == released_version:
        problem = (
            f"{_listed(series)} changed since the release of {released_version}, but info.version did not"
        )
    elif version < released_version:
        problem = f"info.version {version} is older than the released {released_version}"
    else:
        problem = f"info.version {version} is not the step from {released_version} that the change requires"
    raise ReleaseError(
        f"{problem}: {what}, so the version must be {required}"
        f"{f' (or a larger step: {others})' if others else ''}. {_rule(released_version)} "
        f"Set info.version in {_listed(series)} to {required}, then run `make generate`."
        + "".join(_itemised(comparison) for comparison in comparisons)
    )


def changelog_entry(version: Version, date: str, series: Sequence[Series]) -> str:
    """The CHANGELOG.md section of the release of version, made from the same comparison as check."""
    lines = [f"## {version} ({date})", ""]
    released_version = last_release(series)
    if released_version is None:
        lines += [f"First release: the client for {_listed(series)} {version}.", ""]
        return "\n".join(lines)
    comparisons = [compare_series(item) for item in series]
    if all(comparison.kind == "unchanged" for comparison in comparisons):
        lines += [
            (
                f"The specs did not change since {released_version}: this release carries changes to the "
                "generated client alone (openapi/templates/, openapi/runtime/ or the generator)."
            ),
            "",
        ]
        return "\n".join(lines)
    several = len(series) > 1
    for item, comparison in zip(series, comparisons, strict=True):
        lines += _series_entry(item, comparison, released_version, several=several)
    return "\n".join(lines)


def _series_entry(
    item: Series, comparison: Comparison, released_version: Version, *, several: bool
) -> list[str]:
    """The lines of a changelog entry about one spec (headings name it when there are several)."""
    suffix = f" ({item.shown})" if several else ""
    if comparison.kind == "added":
        return [f"New: the client for {item.shown}, a version of the API not released before.", ""]
    if comparison.kind == "unchanged":
        return [f"{item.shown} did not change since {released_version}.", ""] if several else []
    lines = [f"Changes to {item.shown} since {released_version}: {_what_changed(comparison)}.", ""]
    breaking = [change for change in comparison.changes if change.severity == "breaking"]
    other = [change for change in comparison.changes if change.severity != "breaking"]
    for title, changes in (("Breaking", breaking), ("Other changes", other)):
        if changes:
            lines += [f"### {title}{suffix}", "", *(_bullet(change) for change in changes), ""]
    if comparison.kind == "docs":
        lines += [
            f"### Documentation{suffix}",
            "",
            "- Descriptions, summaries or notes of the spec changed.",
            "",
        ]
    elif not comparison.changes:
        lines += [
            f"### Other changes{suffix}",
            "",
            (
                "- Changes outside the requests and responses that spec_drift compares; see the diff of "
                f"{item.shown}."
            ),
            "",
        ]
    return lines


def notes(changelog: str, version: str) -> str:
    """The body of version's changelog section, or ReleaseError when there is none."""
    match = re.search(
        rf"^## {re.escape(version)} \(.*?\)\n(.*?)(?=^## |\Z)", changelog, flags=re.DOTALL | re.MULTILINE
    )
    if match is None:
        raise ReleaseError(
            f"CHANGELOG.md has no entry for {version}: run `scripts/release.py --prepare` first."
        )
    return match.group(1).strip() + "\n"


def verify_tag(tag: str, series: Sequence[Series], dist: Path, released_dir: Path = RELEASED_DIR) -> str:
    """A line when tag, specs, distributions and released specs agree; ReleaseError saying which do not."""
    version = common_version(series)
    problems = []
    if tag != f"v{version}":
        problems.append(f"the tag is {tag}, but the specs' info.version is {version} (tag v{version})")
    built = sorted(path.name for path in dist.glob("lava_client-*") if path.suffix in {".whl", ".gz"})
    if not built:
        problems.append(f"{dist} holds no lava_client wheel or sdist: run `make dist` first")
    for name in built:
        found = name.removeprefix("lava_client-").removesuffix(".tar.gz").split("-")[0]
        if found != str(version):
            problems.append(
                f"{name} is version {found}, not {version}: run `make generate`, then `make dist`"
            )
    for item in series:
        released = released_dir / _released_name(item.spec.stem, version)
        if not released.is_file():
            problems.append(
                f"{version} was not prepared for {item.shown}: run `scripts/release.py --prepare` and "
                "commit the result"
            )
        elif _load(released) != item.current:
            problems.append(f"{item.shown} differs from {released.name}, the spec released as {version}")
    if problems:
        raise ReleaseError("Not releasing: " + "; ".join(problems) + ".")
    return f"OK: tag {tag}, info.version, {', '.join(built)} and the released specs agree on {version}."


def last_released(
    released_dir: Path = RELEASED_DIR, name: str = "lava"
) -> tuple[Version, dict[str, Any]] | None:
    """The newest released copy of the spec named `name` (its file's stem) and its version, or None."""
    found: list[tuple[Version, Path]] = []
    pattern = re.compile(rf"{re.escape(name)}-({VERSION_PATTERN.pattern})\.yaml")
    for path in released_dir.glob(f"{name}-*.yaml"):
        match = pattern.fullmatch(path.name)
        if match is None:
            continue  # another spec's copy, whose name starts like this one's (lava-v2-... for lava)
        found.append((Version.parse(match.group(1), f"the version in the name {path.name}"), path))
    if not found:
        return None
    version, path = max(found)
    spec = _load(path)
    if Version.parse(_info_version(spec), f"{path.name}'s info.version") != version:
        raise ReleaseError(
            f"{path.name} says info.version {_info_version(spec)}: a released spec is never edited."
        )
    return version, spec


def prepare(
    date: str,
    specs: Sequence[Path] = DEFAULT_SPECS,
    released_dir: Path = RELEASED_DIR,
    changelog: Path = CHANGELOG,
) -> str:
    """Record the release of the specs' info.version; return a line saying what was written."""
    series = load_series(specs, released_dir)
    check(series)
    version = common_version(series)
    if version == last_release(series) and all(compare_series(item).kind == "unchanged" for item in series):
        raise ReleaseError(
            f"{version} is already released and the specs have not changed since: to release a change to the "
            "client alone, set info.version to the next patch version first."
        )
    entry = changelog_entry(version, date, series)
    text = changelog.read_text(encoding="utf-8") if changelog.is_file() else CHANGELOG_HEADER
    # The new entry goes between the header and the newest entry.
    head, separator, rest = text.partition("\n## ")
    updated = f"{head.rstrip()}\n\n{entry.rstrip()}\n"
    if separator:
        updated += f"{separator}{rest}"
    changelog.write_text(updated, encoding="utf-8")
    released_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for item in series:
        target = released_dir / _released_name(item.spec.stem, version)
        target.write_bytes(item.spec.read_bytes())
        written.append(target.name)
    return (
        f"Prepared {version}: wrote {', '.join(written)} and its CHANGELOG.md entry. "
        f"Commit them, tag v{version}."
    )


def _released_name(name: str, version: Version) -> str:
    return f"{name}-{version}.yaml"


def _what_changed_in(series: Sequence[Series], comparisons: Sequence[Comparison]) -> str:
    if len(series) == 1:
        return _what_changed(comparisons[0])
    return "; ".join(
        f"{item.shown}: {_what_changed(comparison)}"
        for item, comparison in zip(series, comparisons, strict=True)
    )


def _what_changed(comparison: Comparison) -> str:
    return {
        "unchanged": "the spec did not change (a release of the client alone)",
        "docs": "only the spec's documentation changed",
        "non-breaking": "the spec changed, with no breaking change",
        "added": "a version of the API with no released copy yet (an addition)",
        "breaking": "the spec has a breaking change",
    }[comparison.kind]


def _rule(released: Version) -> str:
    if released.major == 0:
        return (
            "While the major version is 0, a breaking change takes a minor step and any other a patch step."
        )
    return "A breaking change takes a major step, any other API change a minor one, documentation a patch."


def _itemised(comparison: Comparison) -> str:
    if not comparison.changes:
        return ""
    return "\n" + "\n".join(_bullet(change) for change in comparison.changes)


def _bullet(change: Change) -> str:
    where = f"{change.operation}: " if change.operation else ""
    return f"- {where}{change.message}"


def _without_version(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    if isinstance(document.get("info"), dict):
        document["info"].pop("version", None)
    return document


def _without_docs(node: object, names: bool = False) -> object:  # noqa: FBT001, FBT002 (recursion only)
    if isinstance(node, dict):
        return {
            key: _without_docs(value, names=not names and key in NAME_MAPS)
            for key, value in node.items()
            if names or key not in DOC_KEYS
        }
    if isinstance(node, list):
        return [_without_docs(item) for item in node]
    return node


def _info_version(document: dict[str, Any]) -> object:
    return (document.get("info") or {}).get("version")


def _load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ReleaseError(f"{path} is not an OpenAPI document.")
    return loaded


def main(argv: list[str] | None = None) -> int:
    """Run the action the arguments name; return the exit status."""
    parser = argparse.ArgumentParser(
        description="Version lava-client by its specs, and prepare its releases."
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="check info.version against the last release")
    action.add_argument("--prepare", action="store_true", help="record the release of info.version")
    action.add_argument("--notes", metavar="VERSION", help="print VERSION's changelog entry")
    action.add_argument("--verify-tag", metavar="TAG", help="check that TAG, the specs and --dist agree")
    parser.add_argument(
        "--spec",
        type=Path,
        action="append",
        default=None,
        help="a spec of lava-client; may be repeated (default: every version's, from lava_spec.versions)",
    )
    parser.add_argument("--released-dir", type=Path, default=RELEASED_DIR, help="the released specs")
    parser.add_argument(
        "--changelog", type=Path, default=CHANGELOG, help="the changelog (default: CHANGELOG.md)"
    )
    parser.add_argument(
        "--dist", type=Path, default=ROOT / "dist", help="the built distributions (--verify-tag)"
    )
    parser.add_argument("--date", default=None, help="the release date for --prepare (default: today, UTC)")
    args = parser.parse_args(argv)
    specs: list[Path] = args.spec or list(DEFAULT_SPECS)
    stems = [spec.stem for spec in specs]
    if len(set(stems)) != len(stems):
        parser.error("--spec: two specs with the same file name would share their released copies")
    try:
        if args.check:
            print(check(load_series(specs, args.released_dir)))
        elif args.prepare:
            date = args.date or dt.datetime.now(tz=dt.UTC).date().isoformat()
            print(prepare(date, specs, args.released_dir, args.changelog))
        elif args.notes:
            print(notes(args.changelog.read_text(encoding="utf-8"), args.notes), end="")
        else:
            print(
                verify_tag(
                    args.verify_tag, load_series(specs, args.released_dir), args.dist, args.released_dir
                )
            )
    except ReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _listed(series: Sequence[Series]) -> str:
    names = [item.shown for item in series]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
