"""Which version of Lava's API a run speaks, and where its spec is: the one place that knows the versions.

Lava's spend-key API has two documented versions that matter here: "v0", the seed (`/manage/spend_keys`,
openapi/lava.yaml, exactly as the seed page documents it), and "v2", the version Lava documents and serves
today (`/spend_keys`, openapi/lava-v2.yaml). Every part of the project that serves, tests or generates for
one version takes it from `LAVA_API_VERSION` through `selected_api_version`, v0 when the variable is not
set, and reads that version's spec with `load_spec()`; nothing else names a version's file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

API_VERSION_VARIABLE: Final = "LAVA_API_VERSION"
DEFAULT_API_VERSION: Final = "v0"
_SPEC_DIR: Final = Path(__file__).resolve().parents[1] / "openapi"
# Each version and its spec, the seed first.
SPEC_PATHS: Final[Mapping[str, Path]] = {
    "v0": _SPEC_DIR / "lava.yaml",
    "v2": _SPEC_DIR / "lava-v2.yaml",
}
API_VERSIONS: Final = tuple(SPEC_PATHS)


class UnknownApiVersionError(ValueError):
    """`LAVA_API_VERSION` (or a version given otherwise) names no version this project knows."""


def spec_path(version: str) -> Path:
    """The spec of `version` ("v0" or "v2").

    Raises:
        UnknownApiVersionError: `version` is none of `API_VERSIONS`; the message lists them.
    """
    try:
        return SPEC_PATHS[version]
    except KeyError:
        raise UnknownApiVersionError(
            f"{API_VERSION_VARIABLE}={version!r} is not a version of Lava's spend-key API that this "
            f"project knows: set it to one of {', '.join(API_VERSIONS)} (v0, the seed's /manage/spend_keys, "
            "when it is not set; v2 is the /spend_keys API Lava serves today)"
        ) from None


def accepted_drift_path(version: str) -> Path:
    """Where the record of accepted drift for `version` is: where our spec knowingly differs from Lava's.

    The record (spec_drift's `--accepted`) sits beside the spec, one per version that needs one; the file
    need not exist (the seed, v0, is compared with nothing Lava still publishes).

    Raises:
        UnknownApiVersionError: `version` is none of `API_VERSIONS`.
    """
    spec_path(version)
    return _SPEC_DIR / f"drift-accepted-{version}.yaml"


def selected_api_version(environ: Mapping[str, str] | None = None) -> str:
    """The version `LAVA_API_VERSION` names (v0 when it is unset or empty).

    Raises:
        UnknownApiVersionError: the variable names no known version.
    """
    value = (os.environ if environ is None else environ).get(API_VERSION_VARIABLE, "").strip()
    version = value or DEFAULT_API_VERSION
    spec_path(version)
    return version


def version_of(path: Path | str) -> str | None:
    """The version whose spec is at `path`, or None for any other file (a changed copy, a fixture)."""
    resolved = Path(path).resolve()
    return next((version for version, known in SPEC_PATHS.items() if known == resolved), None)
