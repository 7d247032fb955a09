"""Every setting of a contract run, read from the environment once, checked, and frozen.

The suite's modules ask `current()` rather than `os.environ`, so one run sees one set of values, and a
bad value is named (variable, value, what it must be) when the run starts, not when a late test first
reads it. The API version (`LAVA_API_VERSION`, v0 when not given) is read here, through
`lava_spec.selected_api_version`, and only here: its spec (`Settings.spec_path`) is the one the suite,
schemathesis and the embedded server use. The target (`LAVA_BASE_URL` and the rest) is
`target.configured_target`'s part, called from `from_environment` with that spec; the other variables
below are the suite's own.

It reads the environment in `from_environment` only, and `current()` calls that once per process: the
first module that asks fixes the values (conftest.py asks in `pytest_configure`, before any test is
collected). It does not decide what a value does; the modules that ask do.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from contract_tests.target import (
    PREFLIGHT_DONE_VARIABLE,
    Target,
    TargetConfigurationError,
    configured_target,
)
from contract_tests.verdict import VERDICT_PATH_VARIABLE
from lava_spec import DEFAULT_API_VERSION, UnknownApiVersionError, selected_api_version, spec_path

REPORTS_DIR = Path(__file__).resolve().parents[1] / "reports"
MAX_EXAMPLES_VARIABLE = "CONTRACT_MAX_EXAMPLES"
SHRINK_VARIABLE = "CONTRACT_SHRINK"
DATABASE_DIR_VARIABLE = "CONTRACT_DATABASE_DIR"
HYPOTHESIS_PROFILE_VARIABLE = "HYPOTHESIS_PROFILE"
SEED_VARIABLE = "CONTRACT_SEED"
RUN_ID_VARIABLE = "CONTRACT_RUN_ID"
PREFLIGHT_TIMEOUT_VARIABLE = "CONTRACT_PREFLIGHT_TIMEOUT"
REPLAY_DIR_VARIABLE = "CONTRACT_REPLAY_DIR"
SUMMARY_PATH_VARIABLE = "CONTRACT_SUMMARY_PATH"
DEFAULT_MAX_EXAMPLES = 50
DEFAULT_HYPOTHESIS_PROFILE = "contract"
DEFAULT_PREFLIGHT_TIMEOUT_SECONDS = 10.0


class SettingsError(TargetConfigurationError):
    """A variable holds a value the suite cannot use; the message names it, its value and what it takes."""


@dataclass(frozen=True)
class Settings:
    """One run's settings (see the module docstring); build it with `from_environment`."""

    # The server under test, or None for the embedded reference server.
    target: Target | None
    # The version of Lava's API the run speaks (`LAVA_API_VERSION`): "v0" or "v2".
    api_version: str = DEFAULT_API_VERSION
    # Hypothesis's examples per test, and schemathesis's per operation.
    max_examples: int = DEFAULT_MAX_EXAMPLES
    # Whether Hypothesis shrinks a failing example (more requests against a live server).
    shrink: bool = False
    # Where Hypothesis keeps this run's examples (None: its default database).
    database_dir: Path | None = None
    hypothesis_profile: str = DEFAULT_HYPOTHESIS_PROFILE
    # Schemathesis's seed (None: random); pass the same to --hypothesis-seed for the rest.
    seed: int | None = None
    run_id: str = "local"
    preflight_timeout: float = DEFAULT_PREFLIGHT_TIMEOUT_SECONDS
    preflight_done: bool = False
    replay_dir: Path = REPORTS_DIR / "replays"
    verdict_path: Path | None = None
    summary_path: Path = REPORTS_DIR / "contract-summary.md"

    @property
    def spec_path(self) -> Path:
        """The spec of the run's API version: what the suite, schemathesis and the embedded server read."""
        return spec_path(self.api_version)


def from_environment(environ: Mapping[str, str]) -> Settings:
    """The settings `environ` names, every unset one at its default.

    Raises:
        SettingsError: a variable holds a value the suite cannot use (an unknown `LAVA_API_VERSION`
            among them).
        TargetConfigurationError: the target variables name a target the suite cannot use (its subclass
            ProductionTargetError: a production host or a live key without `LAVA_ALLOW_PRODUCTION=1`).
    """

    def text(name: str) -> str:
        return environ.get(name, "").strip()

    try:
        api_version = selected_api_version(environ)
    except UnknownApiVersionError as error:
        raise SettingsError(str(error)) from None
    seed = text(SEED_VARIABLE)
    return Settings(
        target=configured_target(environ),
        api_version=api_version,
        max_examples=_whole_number(MAX_EXAMPLES_VARIABLE, text(MAX_EXAMPLES_VARIABLE), DEFAULT_MAX_EXAMPLES),
        shrink=_flag(SHRINK_VARIABLE, text(SHRINK_VARIABLE)),
        database_dir=Path(text(DATABASE_DIR_VARIABLE)) if text(DATABASE_DIR_VARIABLE) else None,
        hypothesis_profile=text(HYPOTHESIS_PROFILE_VARIABLE) or DEFAULT_HYPOTHESIS_PROFILE,
        seed=_whole_number(SEED_VARIABLE, seed, 0, lowest=0) if seed else None,
        run_id=_run_id(text(RUN_ID_VARIABLE)),
        preflight_timeout=_seconds(PREFLIGHT_TIMEOUT_VARIABLE, text(PREFLIGHT_TIMEOUT_VARIABLE)),
        preflight_done=_flag(PREFLIGHT_DONE_VARIABLE, text(PREFLIGHT_DONE_VARIABLE)),
        replay_dir=Path(text(REPLAY_DIR_VARIABLE) or REPORTS_DIR / "replays"),
        verdict_path=Path(text(VERDICT_PATH_VARIABLE)) if text(VERDICT_PATH_VARIABLE) else None,
        summary_path=Path(text(SUMMARY_PATH_VARIABLE) or REPORTS_DIR / "contract-summary.md"),
    )


@functools.cache
def current() -> Settings:
    """This process's settings, read from `os.environ` the first time they are asked for."""
    return from_environment(os.environ)


def _whole_number(name: str, raw: str, default: int, *, lowest: int = 1) -> int:
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number of {lowest} or more; got {raw!r}") from None
    if value < lowest:
        raise SettingsError(f"{name} must be a whole number of {lowest} or more; got {raw!r}")
    return value


def _flag(name: str, raw: str) -> bool:
    if raw not in ("", "0", "1"):
        raise SettingsError(f"{name} must be 1 (on) or 0 (off); got {raw!r}")
    return raw == "1"


def _seconds(name: str, raw: str) -> float:
    if not raw:
        return DEFAULT_PREFLIGHT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise SettingsError(f"{name} must be a number of seconds above 0; got {raw!r}")
    return value


def _run_id(raw: str) -> str:
    if not raw:
        return secrets.token_hex(4)
    # The run id goes into every key name and into `make contract-cleanup`'s command line.
    if not all(character.isascii() and (character.isalnum() or character in "-_") for character in raw):
        raise SettingsError(f"{RUN_ID_VARIABLE} may hold only ASCII letters, digits, - and _; got {raw!r}")
    return raw
