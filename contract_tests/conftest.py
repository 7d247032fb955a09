"""Fixtures of the contract suite: the target server, the generated client, schemathesis's schema.

The target is the embedded reference server unless `LAVA_BASE_URL` and `LAVA_API_KEY` name another; the
suite starts the embedded one itself. Every setting comes from `settings.current()`, read once in
`pytest_configure`: a bad value ends the run there, as a usage error that names it. Every test report is
passed through the redactor before pytest writes it anywhere (terminal, JUnit XML), so tokens and raw keys
never reach a report.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
import requests
import schemathesis
from _pytest.reports import TestReport
from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.utils.conventions import not_set

from contract_tests import run as this_run
from contract_tests import schemathesis_hooks
from contract_tests.applicability import MARK_HELP, inapplicable
from contract_tests.bounds import bounds
from contract_tests.drift import ObservedDrift
from contract_tests.outcome import RunOutcome
from contract_tests.preflight import preflight, still_answers
from contract_tests.redaction import Redactor
from contract_tests.report import RunReport
from contract_tests.run import RunContext
from contract_tests.schemathesis_config import contract_config, enabled_checks
from contract_tests.settings import Settings, current
from contract_tests.spend_key_api import SpendKeyApi
from contract_tests.target import Target, TargetConfigurationError, embedded_target
from contract_tests.traffic import Traffic, schemathesis_through
from contract_tests.traffic import traffic_session as traffic_requests_session
from contract_tests.verdict import Verdict, failure_kind

# Plugins of the suite that live in modules of their own (one line each).
pytest_plugins = ("contract_tests.replay",)
_RUN = pytest.StashKey[RunContext]()
_TARGET_LABEL = pytest.StashKey[str]()
_OUTCOME = pytest.StashKey[RunOutcome]()
_VERDICT = pytest.StashKey[Verdict]()
_TARGET = pytest.StashKey[Target]()
_SETTINGS = pytest.StashKey[Settings]()


def _load_hypothesis_profile(suite: Settings) -> None:
    settings.register_profile(
        "contract",
        # Each example is a network round trip; its duration says nothing about the contract.
        deadline=None,
        max_examples=suite.max_examples,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        print_blob=True,
        # Explicitly random, also where Hypothesis's own "ci" profile (CI=true) would derandomise: a run is
        # reproduced by its seed (--hypothesis-seed, CONTRACT_SEED), and different seeds must differ.
        derandomize=False,
        # No shrinking unless asked for (CONTRACT_SHRINK=1): against a live server every shrink step is
        # more requests, and the first failing example is already a valid, reproducible request.
        phases=[Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if suite.shrink else []),
        # A run may keep its examples apart from other runs' (scripts/mutation.py gives each run its own).
        database=(
            DirectoryBasedExampleDatabase(suite.database_dir) if suite.database_dir is not None else not_set
        ),
    )
    settings.load_profile(suite.hypothesis_profile)


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The server under test, started here when it is the embedded reference server."""
    redactor = pytestconfig.stash[_RUN].redactor
    suite = pytestconfig.stash[_SETTINGS]
    configured = suite.target
    pytestconfig.stash[_TARGET_LABEL] = configured.base_url if configured else "the embedded reference server"
    if configured is not None:
        for secret in configured.secrets:
            redactor.add(secret)
        # scripts/contract.py asks first; a run started by pytest itself asks here.
        refusal = None if suite.preflight_done else preflight(configured, timeout=suite.preflight_timeout)
        if refusal is not None:
            pytestconfig.stash[_OUTCOME].early = refusal
            pytest.exit("\n".join(refusal.lines()), returncode=int(refusal.status))
        pytestconfig.stash[_TARGET] = configured
        yield configured
        return
    with embedded_target(suite.spec_path) as embedded:
        for secret in embedded.secrets:
            redactor.add(secret)
        pytestconfig.stash[_TARGET] = embedded
        yield embedded


@pytest.fixture(scope="session")
def run_context(target: Target, pytestconfig: pytest.Config) -> RunContext:
    """What this run's clients, hooks and reports share; the traffic limits depend on the target."""
    context = pytestconfig.stash[_RUN]
    context.traffic.rate, context.traffic.budget = target.rate, target.budget
    context.traffic.slow_seconds = target.slow_seconds
    return context


@pytest.fixture(scope="session")
def traffic_session(run_context: RunContext) -> Iterator[requests.Session]:
    """The requests session schemathesis sends with, through the run's `Traffic`.

    While it is open, the requests schemathesis's checks send of their own go through the same `Traffic`
    (ignored_auth's probes drop the session), and a session that is not paced is refused.
    """
    traffic = run_context.traffic
    with traffic_requests_session(traffic) as session, schemathesis_through(traffic):
        yield session


@contextmanager
def _session_api(target: Target, config: pytest.Config, run: RunContext) -> Iterator[SpendKeyApi]:
    api = SpendKeyApi(target, run)
    try:
        yield api
    finally:
        # Cleanup waits for a slow target rather than give up on it: its keys must go.
        run.traffic.slow_seconds = None
        # Each client (one per wallet) adds its own account; none overwrites another's.
        config.stash[_OUTCOME].cleaned(api.cleanup(this_run.name_prefix()))
        api.close()


@pytest.fixture(scope="session")
def spend_key_api(
    target: Target, pytestconfig: pytest.Config, run_context: RunContext
) -> Iterator[SpendKeyApi]:
    """The generated client, observed; at the end every key of this run is revoked, and the list checked."""
    with _session_api(target, pytestconfig, run_context) as api:
        yield api


@pytest.fixture(scope="session")
def other_wallet_api(
    target: Target, pytestconfig: pytest.Config, run_context: RunContext
) -> Iterator[SpendKeyApi]:
    """The generated client with a second wallet's token; tests that need it skip, saying why, without it."""
    if target.second_token is None:
        pytest.skip("no second wallet: set LAVA_API_KEY_2 to a key of another wallet to check isolation")
    with _session_api(replace(target, token=target.second_token), pytestconfig, run_context) as api:
        yield api


@pytest.fixture(scope="session")
def proxy_api(spend_key_api: SpendKeyApi) -> SpendKeyApi:
    """The client, where raw keys can be spent; tests that need it skip, saying why, without it."""
    if not spend_key_api.can_spend:
        pytest.skip("no proxy: set LAVA_PROXY_URL to where raw spend keys are spent to check usage")
    return spend_key_api


@pytest.fixture(scope="session")
def contract_schema(target: Target, pytestconfig: pytest.Config) -> Any:  # noqa: ANN401 - schemathesis's schema type is not public
    """The spec, loaded by schemathesis and aimed at the target."""
    config = contract_config(target, pytestconfig.stash[_SETTINGS])
    pytestconfig.stash[_RUN].report.schemathesis_checks = enabled_checks(config)
    return schemathesis.openapi.from_path(bounds().spec.path, config=config)


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect, with its reason, each test of what the spec does not declare; order the rest by MODULE_ORDER.

    Order is stable within a module; unknown modules go last.
    """

    def position(item: pytest.Item) -> int:
        name = item.path.name
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)

    reasons = inapplicable(items)
    if reasons:
        config.hook.pytest_deselected(items=[item for item in items if item.nodeid in reasons])
        items[:] = [item for item in items if item.nodeid not in reasons]
        config.stash[_RUN].report.not_applicable.update(reasons)
    items.sort(key=position)


def pytest_configure(config: pytest.Config) -> None:
    """Read the settings (a bad one ends the run here, named); create what the run shares."""
    try:
        suite = current()
    except TargetConfigurationError as error:
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)
    config.stash[_SETTINGS] = suite
    config.addinivalue_line("markers", MARK_HELP)
    _load_hypothesis_profile(suite)
    context = RunContext(
        redactor=Redactor(),
        traffic=Traffic(),
        drift=ObservedDrift(bounds().spec.spend_key_fields),
        report=RunReport(),
    )
    config.stash[_RUN] = context
    config.stash[_OUTCOME] = RunOutcome()
    schemathesis_hooks.RUN["run"] = context


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:  # noqa: ANN401 - pytest's type
    """Say what the run sent, what drift it saw, and its verdict (unless scripts/contract.py will)."""
    write = terminalreporter.write_line
    run = config.stash[_RUN]
    run_id = this_run.run_id()
    write(f"contract run {run_id}: {run.traffic.summary()}")
    write(f"contract run {run_id}: {config.stash[_OUTCOME].cleanup_summary(this_run.name_prefix())}")
    for warning in run.drift.warnings():
        write(f"drift (warning): {warning}", yellow=True)
    for nodeid, reason in run.report.not_applicable.items():
        write(f"not applicable to {config.stash[_SETTINGS].spec_path.name} (deselected): {nodeid}: {reason}")
    verdict = config.stash.get(_VERDICT, None)
    if verdict is not None and config.stash[_SETTINGS].verdict_path is None:
        for line in verdict.lines():
            write(line)


def pytest_runtest_logreport(report: TestReport) -> None:
    """Keep every failure (already redacted) for the Markdown summary."""
    run = schemathesis_hooks.RUN.get("run")
    if report.failed and run is not None:
        run.report.failure(report.nodeid, str(report.longrepr))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Give the run's verdict, and write reports/contract-summary.md (or CONTRACT_SUMMARY_PATH).

    Last of all, so that the session's fixtures, and with them the cleanup, have finished.
    """
    config = session.config
    suite = config.stash[_SETTINGS]
    run = config.stash[_RUN]
    target = config.stash.get(_TARGET_LABEL, "not reached")
    outcome = config.stash[_OUTCOME]
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        # Count passes as pytest's own last line does (schemathesis's sub-tests are reported apart).
        outcome.passed_count = len([r for r in reporter.stats.get("passed", []) if r.when == "call"])
    verdict = outcome.verdict(
        target=target,
        run_id=suite.run_id,
        name_prefix=this_run.name_prefix(),
        interrupted=exitstatus == pytest.ExitCode.INTERRUPTED,
        embedded=suite.target is None,
    )
    verdict = Verdict(
        verdict.status,
        run.redactor.redact(verdict.headline),
        verdict.advice,
        tuple(run.redactor.redact(line) for line in verdict.details),
    )
    config.stash[_VERDICT] = verdict
    if suite.verdict_path is not None:
        verdict.write(suite.verdict_path)
    path = suite.summary_path
    path.parent.mkdir(parents=True, exist_ok=True)
    text = run.report.render(
        run_id=suite.run_id,
        target=target,
        traffic=run.traffic.summary(),
        verdict=list(verdict.lines()),
        drift=run.drift.warnings(),
    )
    path.write_text(run.redactor.redact(text), encoding="utf-8")


def _redact_report(report: TestReport, redactor: Redactor) -> None:
    report.longrepr = _redacted_longrepr(report.longrepr, redactor)
    report.sections = [(title, redactor.redact(text)) for title, text in report.sections]


def _redacted_longrepr(longrepr: object, redactor: Redactor) -> Any:  # noqa: ANN401 - pytest's own union
    """`longrepr` with secrets masked, in the form pytest's report writers expect of it.

    A skip's longrepr is a `(path, line, reason)` tuple, and the JUnit writer asserts exactly that shape;
    everything else (a failure's or an error's representation) is written as text.
    """
    if longrepr is None:
        return None
    if isinstance(longrepr, tuple):
        return tuple(redactor.redact(part) if isinstance(part, str) else part for part in longrepr)
    return redactor.redact(str(longrepr))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Mask secrets in every report before a reporter (terminal, JUnit XML) sees it; count the outcome.

    A failure is sorted by its exception (the contract broken, the target not answering, the budget
    spent), and the run stops early when the target has stopped answering or the budget is spent.
    """
    report: TestReport = yield
    redactor = item.config.stash[_RUN].redactor
    _redact_report(report, redactor)
    outcome = item.config.stash[_OUTCOME]
    if report.failed and call.excinfo is not None:
        message = redactor.redact(call.excinfo.exconly())
        kind = failure_kind(call.excinfo.value)
        target = item.config.stash.get(_TARGET, None)
        if kind == "contract" and target is not None:
            # Whatever the test ended with (Hypothesis may report a target that died as flaky data), a
            # target that no longer answers at all is not a finding about its contract.
            item.config.stash[_RUN].traffic.before_request()
            if not still_answers(target):
                kind = "unreachable"
        outcome.failed(item.nodeid, kind, message)
        if kind != "contract":
            # Not a finding about the server's contract, so no traceback through the suite: one line.
            report.longrepr = (
                f"{'the target did not answer' if kind == 'unreachable' else 'stopped'}: {message}"
            )
        reason = outcome.should_stop()
        if reason:
            item.session.shouldstop = reason
    elif report.skipped and report.when in ("setup", "call"):
        outcome.skipped_one()
    elif report.passed and report.when == "call":
        outcome.passed_one(item.nodeid)
    return report


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: pytest.Item, call: pytest.CallInfo[None], report: TestReport) -> None:  # noqa: ARG001
    """Mask again after schemathesis rewrites a failure's text (it does so in this hook, after logging)."""
    _redact_report(report, node.config.stash[_RUN].redactor)
