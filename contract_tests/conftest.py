"""Fixtures of the contract suite: the target server, the generated client, schemathesis's schema.

The target is the embedded reference server unless `LAVA_BASE_URL` and `LAVA_API_KEY` name another; the
suite starts the embedded one itself. Every test report is passed through the redactor before pytest
writes it anywhere (terminal, JUnit XML), so tokens and raw keys never reach a report.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from _pytest.reports import TestReport
from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.utils.conventions import not_set

from contract_tests import checks as _registered_checks  # noqa: F401 - registers the custom checks
from contract_tests.redaction import Redactor
from contract_tests.spend_key_api import SpendKeyApi
from contract_tests.target import Target, TargetConfigurationError, configured_target, embedded_target

SPEC_PATH = Path(__file__).resolve().parents[1] / "openapi" / "lava.yaml"
_REDACTOR = pytest.StashKey[Redactor]()

settings.register_profile(
    "contract",
    # Each example is a network round trip; its duration says nothing about the contract.
    deadline=None,
    max_examples=int(os.environ.get("CONTRACT_MAX_EXAMPLES", "50")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
    # Explicitly random, also where Hypothesis's own "ci" profile (CI=true) would derandomise: a run is
    # reproduced by its seed (--hypothesis-seed, CONTRACT_SEED), and different seeds must differ.
    derandomize=False,
    # No shrinking unless asked for (CONTRACT_SHRINK=1): against a live server every shrink step is more
    # requests, and the first failing example is already a valid, reproducible request.
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([Phase.shrink] if os.environ.get("CONTRACT_SHRINK") == "1" else []),
    # A run may keep its examples apart from other runs' (scripts/mutation.py gives each run its own).
    database=(
        DirectoryBasedExampleDatabase(os.environ["CONTRACT_DATABASE_DIR"])
        if os.environ.get("CONTRACT_DATABASE_DIR")
        else not_set
    ),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "contract"))


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The server under test, started here when it is the embedded reference server."""
    redactor = pytestconfig.stash[_REDACTOR]
    try:
        configured = configured_target()
    except TargetConfigurationError as error:
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)
    if configured is not None:
        for secret in configured.secrets:
            redactor.add(secret)
        yield configured
        return
    with embedded_target() as embedded:
        for secret in embedded.secrets:
            redactor.add(secret)
        yield embedded


@contextmanager
def _session_api(target: Target, config: pytest.Config) -> Iterator[SpendKeyApi]:
    api = SpendKeyApi(target, config.stash[_REDACTOR])
    try:
        yield api
    finally:
        api.cleanup()
        api.close()


@pytest.fixture(scope="session")
def spend_key_api(target: Target, pytestconfig: pytest.Config) -> Iterator[SpendKeyApi]:
    """The generated client, observed; every key it creates is revoked at the end of the session."""
    with _session_api(target, pytestconfig) as api:
        yield api


@pytest.fixture(scope="session")
def other_wallet_api(target: Target, pytestconfig: pytest.Config) -> Iterator[SpendKeyApi]:
    """The generated client with a second wallet's token; tests that need it skip, saying why, without it."""
    if target.second_token is None:
        pytest.skip("no second wallet: set LAVA_API_KEY_2 to a key of another wallet to check isolation")
    with _session_api(replace(target, token=target.second_token), pytestconfig) as api:
        yield api


@pytest.fixture(scope="session")
def proxy_api(spend_key_api: SpendKeyApi) -> SpendKeyApi:
    """The client, where raw keys can be spent; tests that need it skip, saying why, without it."""
    if not spend_key_api.can_spend:
        pytest.skip("no proxy: set LAVA_PROXY_URL to where raw spend keys are spent to check usage")
    return spend_key_api


def contract_config(target: Target) -> schemathesis.Config:
    """Schemathesis's settings for the contract: every phase, both modes, every check."""
    max_examples = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "50"))
    seed = os.environ.get("CONTRACT_SEED")
    return schemathesis.Config.from_dict(
        {
            # A fixed seed makes a run repeatable (pass the same one to --hypothesis-seed for the rest).
            **({"seed": int(seed)} if seed else {}),
            "base-url": target.base_url,
            # The token is given as the spec's bearer scheme, so that ignored_auth knows what to take
            # away, and security parameters are not generated, so that negative mode never mutates the
            # token: otherwise most negative cases die at 401 before their body is ever read.
            "auth": {"openapi": {"bearerAuth": {"bearer": target.token}}},
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "with-security-parameters": False,
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                # Only the links the spec declares: links inferred from list responses make the rules that
                # are enabled depend on what the (shared, growing) server holds, and Hypothesis then sees
                # a replayed prefix draw differently (FlakyStrategyDefinition).
                "stateful": {"enabled": True, "inference": {"algorithms": []}},
            },
            "checks": {"enabled": True},
            "request-timeout": 30,
        }
    )


@pytest.fixture(scope="session")
def contract_schema(target: Target) -> Any:  # noqa: ANN401 - schemathesis's schema type is not public
    """The spec, loaded by schemathesis and aimed at the target."""
    return schemathesis.openapi.from_path(SPEC_PATH, config=contract_config(target))


# Cheap, pointed tests first, so that a broken server is named within seconds; the broad, random ones
# (which also fill the server with keys) last.
MODULE_ORDER = (
    "test_authentication.py",
    "test_request_rejection.py",
    "test_spend_key_usage.py",
    "test_spend_key_semantics.py",
    "test_spend_key_lifecycle.py",
    "test_linked_workflows.py",
    "test_schema_conformance.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules in MODULE_ORDER (stable within a module; unknown modules last)."""

    def position(item: pytest.Item) -> int:
        name = item.path.name
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)

    items.sort(key=position)


def pytest_configure(config: pytest.Config) -> None:
    """Create the run's redactor before any fixture or report needs it."""
    config.stash[_REDACTOR] = Redactor()


def _redact_report(report: TestReport, redactor: Redactor) -> None:
    if report.longrepr is not None:
        report.longrepr = redactor.redact(str(report.longrepr))
    report.sections = [(title, redactor.redact(text)) for title, text in report.sections]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:  # noqa: ARG001
    """Mask secrets in every report before a reporter (terminal, JUnit XML) sees it."""
    report: TestReport = yield
    _redact_report(report, item.config.stash[_REDACTOR])
    return report


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: pytest.Item, call: pytest.CallInfo[None], report: TestReport) -> None:  # noqa: ARG001
    """Mask again after schemathesis rewrites a failure's text (it does so in this hook, after logging)."""
    _redact_report(report, node.config.stash[_REDACTOR])
