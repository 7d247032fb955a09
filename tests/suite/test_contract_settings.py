"""The suite's settings are read once, from one place, and a bad value is named with what it must be."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_tests.cleanup import Cleanup
from contract_tests.outcome import RunOutcome
from contract_tests.schemathesis_config import contract_config
from contract_tests.settings import DEFAULT_MAX_EXAMPLES, SettingsError, from_environment
from contract_tests.target import ProductionTargetError, Target
from contract_tests.verdict import ExitStatus


def test_an_empty_environment_gives_the_defaults_and_the_embedded_target() -> None:
    settings = from_environment({})
    assert settings.target is None
    assert (settings.max_examples, settings.shrink, settings.seed) == (DEFAULT_MAX_EXAMPLES, False, None)
    assert settings.database_dir is None
    assert settings.verdict_path is None
    assert len(settings.run_id) == 8
    assert settings.summary_path.name == "contract-summary.md"


def test_every_variable_is_read_into_its_setting() -> None:
    settings = from_environment(
        {
            "CONTRACT_MAX_EXAMPLES": "7",
            "CONTRACT_SHRINK": "1",
            "CONTRACT_DATABASE_DIR": "/srv/run/db",
            "HYPOTHESIS_PROFILE": "ci",
            "CONTRACT_SEED": "42",
            "CONTRACT_RUN_ID": "gha-99-1",
            "CONTRACT_PREFLIGHT_TIMEOUT": "2.5",
            "CONTRACT_PREFLIGHT_DONE": "1",
            "CONTRACT_REPLAY_DIR": "/srv/run/replays",
            "CONTRACT_VERDICT_PATH": "/srv/run/verdict.json",
            "CONTRACT_SUMMARY_PATH": "/srv/run/summary.md",
            "LAVA_BASE_URL": "https://staging.example/v1/",
            "LAVA_API_KEY": "token",
        }
    )
    assert (settings.max_examples, settings.shrink, settings.seed, settings.run_id) == (
        7,
        True,
        42,
        "gha-99-1",
    )
    assert (settings.database_dir, settings.hypothesis_profile) == (Path("/srv/run/db"), "ci")
    assert (settings.preflight_timeout, settings.preflight_done) == (2.5, True)
    assert settings.replay_dir == Path("/srv/run/replays")
    assert (settings.verdict_path, settings.summary_path) == (
        Path("/srv/run/verdict.json"),
        Path("/srv/run/summary.md"),
    )
    assert settings.target is not None
    assert settings.target.base_url == "https://staging.example/v1"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("CONTRACT_MAX_EXAMPLES", "many", "a whole number of 1 or more"),
        ("CONTRACT_MAX_EXAMPLES", "0", "a whole number of 1 or more"),
        ("CONTRACT_SEED", "-3", "a whole number of 0 or more"),
        ("CONTRACT_SHRINK", "yes", "1 (on) or 0 (off)"),
        ("CONTRACT_PREFLIGHT_TIMEOUT", "soon", "a number of seconds above 0"),
        ("CONTRACT_PREFLIGHT_TIMEOUT", "0", "a number of seconds above 0"),
        ("CONTRACT_RUN_ID", "my run", "only ASCII letters, digits, - and _"),
    ],
)
def test_a_bad_value_is_named_with_its_variable_and_what_it_must_be(
    variable: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        from_environment({variable: value})
    message = str(raised.value)
    assert variable in message
    assert expected in message
    assert repr(value) in message


def test_the_target_part_is_checked_as_target_py_checks_it() -> None:
    with pytest.raises(ProductionTargetError):
        from_environment({"LAVA_BASE_URL": "https://api.lava.so/v1", "LAVA_API_KEY": "token"})


def test_schemathesis_takes_the_examples_and_seed_from_the_settings() -> None:
    settings = from_environment({"CONTRACT_MAX_EXAMPLES": "3", "CONTRACT_SEED": "9"})
    config = contract_config(Target(base_url="http://127.0.0.1:1/v1", token="t"), settings)  # noqa: S106
    assert config.projects.default.generation.max_examples == 3
    assert config.seed == 9


def test_the_cleanups_of_both_session_clients_add_up_to_one_account() -> None:
    # conftest.py's two session fixtures (`spend_key_api`, `other_wallet_api`) each hand their cleanup to
    # `RunOutcome.cleaned`; the second must not replace the first.
    outcome = RunOutcome()
    outcome.passed_one("a test")
    outcome.cleaned(Cleanup(left=("sk_own",), problems=("revoking sk_own answered 500",), verified=False))
    outcome.cleaned(Cleanup(left=("sk_other_wallet",), problems=(), verified=True))
    verdict = outcome.verdict(target="t", run_id="r", name_prefix="p-")
    assert verdict.status == ExitStatus.KEYS_LEFT_BEHIND
    assert "2 keys of this run known by id may be left" in verdict.headline
    text = "\n".join(verdict.lines())
    assert "sk_other_wallet, sk_own" in text
    assert "cleanup: revoking sk_own answered 500" in text
    assert outcome.cleanup_summary("p-").startswith("2 keys named p-* left")
