"""The contract suite's schemathesis settings keep every phase, mode and check the contract needs."""

from __future__ import annotations

from schemathesis.generation import GenerationMode

from contract_tests.schemathesis_config import contract_config
from contract_tests.settings import from_environment
from contract_tests.target import Target

REQUIRED_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
)
TOKEN = "config_test_token"  # noqa: S105 - a test token


def _project() -> object:
    target = Target(base_url="http://127.0.0.1:1/v1", token=TOKEN)
    return contract_config(target, from_environment({})).projects.default


def test_examples_coverage_and_fuzzing_run_in_positive_and_negative_mode() -> None:
    project = _project()
    phases = project.phases  # type: ignore[attr-defined]
    assert (phases.examples.enabled, phases.coverage.enabled, phases.fuzzing.enabled) == (True, True, True)
    assert set(project.generation.modes) == {GenerationMode.POSITIVE, GenerationMode.NEGATIVE}  # type: ignore[attr-defined]


def test_every_check_the_contract_names_is_on() -> None:
    checks = _project().checks  # type: ignore[attr-defined]
    assert {name: getattr(checks, name).enabled for name in REQUIRED_CHECKS} == dict.fromkeys(
        REQUIRED_CHECKS, True
    )


def test_the_token_is_auth_and_negative_mode_never_generates_security_parameters() -> None:
    project = _project()
    assert project.generation.with_security_parameters is False  # type: ignore[attr-defined]
    assert project.auth.openapi.schemes["bearerAuth"].bearer == TOKEN  # type: ignore[attr-defined]
