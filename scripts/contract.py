"""Run the contract suite: `make contract` calls this program.

With no `LAVA_BASE_URL` the suite starts the embedded reference server itself and needs no credentials.
With `LAVA_BASE_URL` and `LAVA_API_KEY` set it first checks, with one request, that the target is the
spend-key API and accepts the token (`contract_tests.preflight`), so that a wrong URL or token ends in
one clear verdict rather than hundreds of failed tests. Any other arguments go to pytest unchanged
(`make contract ARGS="-k rotate -x"`).

Every run ends with a short verdict and one of the exit statuses in `contract_tests.verdict.ExitStatus`
(0 holds, 1 broken, 2 usage, 3 unreachable or too slow, 4 token rejected, 5 suite error, 6 production
refused, 7 not the spend-key API, 8 keys left behind, 9 another version of the API, 130 interrupted),
so CI can tell them apart. It never prints a token. `LAVA_API_VERSION` (v0 when not given) names the
version of Lava's API that the suite, schemathesis and the embedded server speak.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from contract_tests.bounds import bounds
from contract_tests.preflight import preflight
from contract_tests.reference_server import create_app
from contract_tests.settings import from_environment
from contract_tests.target import (
    ALLOW_PRODUCTION_VARIABLE,
    PREFLIGHT_DONE_VARIABLE,
    RATE_LIMIT_VARIABLE,
    ProductionTargetError,
    TargetConfigurationError,
)
from contract_tests.verdict import VERDICT_PATH_VARIABLE, ExitStatus, Verdict
from lava_spec import API_VERSION_VARIABLE, SpecError

ROOT = Path(__file__).resolve().parents[1]


def _say(verdict: Verdict) -> int:
    stream = sys.stdout if verdict.status == ExitStatus.OK else sys.stderr
    for line in verdict.lines():
        print(line, file=stream)
    return int(verdict.status)


def main(argv: list[str]) -> int:
    """Check the target, then run pytest over contract_tests/ with `argv` appended."""
    if "--allow-production" in argv:
        argv = [arg for arg in argv if arg != "--allow-production"]
        os.environ[ALLOW_PRODUCTION_VARIABLE] = "1"
    try:
        # Every setting, and every fact of the spec the suite draws from, is checked here, before any
        # request or test: a bad value or an unusable spec is one usage verdict.
        settings = from_environment(os.environ)
        target = settings.target
        bounds()
    except SpecError as error:
        return _say(
            Verdict(
                ExitStatus.USAGE,
                f"the contract suite cannot use the spec: {error}",
                "Fix that spec (make validate-spec checks every version's spec against the OpenAPI schema).",
            )
        )
    except ProductionTargetError as error:
        return _say(Verdict(ExitStatus.PRODUCTION_REFUSED, str(error)))
    except TargetConfigurationError as error:
        return _say(Verdict(ExitStatus.USAGE, str(error)))
    environment = dict(os.environ)
    if target is not None:
        refusal = preflight(target)
        if refusal is not None:
            return _say(refusal)
        # A run sends a few thousand requests: at the polite pace for a shared server that is minutes (nine
        # against a `make serve` of one's own), which a person should know before waiting for it.
        pace = (
            f" (at most {target.rate:g} requests a second, so this takes minutes; {RATE_LIMIT_VARIABLE}=0 "
            "lifts the pace for a server of your own)"
            if target.rate
            else ""
        )
        print(f"contract: testing {target.base_url} as Lava's {settings.api_version} API{pace}")
        environment[PREFLIGHT_DONE_VARIABLE] = "1"
    else:
        unservable = _embedded_server_problem(settings.spec_path)
        if unservable is not None:
            return _say(unservable)
        print(
            f"contract: testing the embedded reference server as Lava's {settings.api_version} API "
            f"(set LAVA_BASE_URL to test another, {API_VERSION_VARIABLE} to choose the version)"
        )
    reports = ROOT / "reports"
    reports.mkdir(exist_ok=True)
    # A file of this run's own: two runs side by side (CI, tests in parallel) never read each other's.
    with tempfile.TemporaryDirectory(prefix="lava-contract-") as scratch:
        verdict_path = Path(scratch) / "verdict.json"
        environment[VERDICT_PATH_VARIABLE] = str(verdict_path)
        return _run_suite(argv, environment, reports, verdict_path)


def _embedded_server_problem(spec: Path) -> Verdict | None:
    """Why the embedded reference server cannot serve `spec`, as a verdict; None when it can.

    The spec may be unreadable, or declare an operation the server has no handler for. It is said here,
    once, rather than as an error in every test's fixture.
    """
    try:
        create_app(spec_path=spec)
    except (SpecError, ValueError) as error:
        return Verdict(
            ExitStatus.USAGE,
            f"the embedded reference server cannot serve the spec: {error}",
            f"Fix {spec.relative_to(ROOT) if spec.is_relative_to(ROOT) else spec}, or give the new "
            "operation its semantics where the message says; or set LAVA_BASE_URL and LAVA_API_KEY to "
            "test another server.",
        )
    return None


def _run_suite(argv: list[str], environment: dict[str, str], reports: Path, verdict_path: Path) -> int:
    """Run pytest over the suite and turn how it ended into a verdict."""
    args = [
        str(ROOT / "contract_tests"),
        f"--rootdir={ROOT}",
        f"--junitxml={reports / 'contract-junit.xml'}",
        "-p",
        "no:cacheprovider",
        *argv,
    ]
    # pytest runs in a process of its own: this one has imported httpx already, and pytest must import
    # the suite's modules itself to rewrite their asserts.
    suite = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=environment)  # noqa: S603
    try:
        exit_code = suite.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached pytest too: let it revoke this run's keys before we go.
        print("contract: interrupted; waiting for the suite to revoke this run's keys", file=sys.stderr)
        suite.wait()
        return int(ExitStatus.INTERRUPTED)
    verdict = Verdict.read(verdict_path)
    if verdict is not None:
        return _say(verdict)
    # No verdict: pytest stopped before the suite could give one (a usage error, no tests, a crash).
    if exit_code == pytest.ExitCode.USAGE_ERROR:
        return _say(Verdict(ExitStatus.USAGE, "pytest refused the arguments (see above).", "Check ARGS."))
    if exit_code == pytest.ExitCode.INTERRUPTED:
        return int(ExitStatus.INTERRUPTED)
    return _say(
        Verdict(
            ExitStatus.SUITE_ERROR,
            f"the suite stopped without a verdict (pytest exit status {exit_code}).",
            "This is a bug of the suite, not of the server: the output above says where.",
        )
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
