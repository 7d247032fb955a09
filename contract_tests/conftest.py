"""Fixtures of the contract suite: the target server, the generated client, schemathesis's schema.

The target is the embedded reference server unless `LAVA_BASE_URL` and `LAVA_API_KEY` name another; the
suite starts the embedded one itself. Every test report is passed through the redactor before pytest
writes it anywhere (terminal, JUnit XML), so tokens and raw keys never reach a report.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from _pytest.reports import TestReport
from hypothesis import HealthCheck, settings

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


@pytest.fixture(scope="session")
def spend_key_api(target: Target, pytestconfig: pytest.Config) -> Iterator[SpendKeyApi]:
    """The generated client, observed; every key it creates is revoked at the end of the session."""
    api = SpendKeyApi(target, pytestconfig.stash[_REDACTOR])
    try:
        yield api
    finally:
        api.cleanup()
        api.close()


def contract_config(target: Target) -> schemathesis.Config:
    """Schemathesis's settings for the contract: every phase but stateful, both modes, every check."""
    max_examples = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "50"))
    return schemathesis.Config.from_dict(
        {
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
                "stateful": {"enabled": False},
            },
            "checks": {"enabled": True},
            "request-timeout": 30,
        }
    )


@pytest.fixture(scope="session")
def contract_schema(target: Target) -> Any:  # noqa: ANN401 - schemathesis's schema type is not public
    """The spec, loaded by schemathesis and aimed at the target."""
    return schemathesis.openapi.from_path(SPEC_PATH, config=contract_config(target))


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
