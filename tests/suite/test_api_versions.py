"""The contract suite speaks the version `LAVA_API_VERSION` names, and says so when a target speaks another.

One variable names the version (v0 when it is not given) for the settings, the spec the suite and the
embedded server read, and the typed client; an unknown one is a usage verdict before any test. A target
of the other version gets one line and its own exit status from the preflight, in both directions,
against the reference server started on the other version's spec. The production guard knows every
version: a live merchant key is refused whatever the URL, the production hosts of every version's spec
are refused, and Lava's sandbox host is a target like any other.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import contract  # scripts/contract.py: tests/suite/conftest.py puts scripts/ on the path
import pytest

from contract_tests.bounds import LIST_OPERATION
from contract_tests.reference_server import create_app, running_server
from contract_tests.settings import SettingsError, from_environment
from contract_tests.target import ProductionTargetError, embedded_tokens, loopback_environment
from contract_tests.verdict import ExitStatus
from lava_spec import API_VERSION_VARIABLE, API_VERSIONS, load_spec, spec_path
from tests.repository import ROOT

STAGING = "https://staging.example/v1"
# Fake credentials of the two kinds v2 states (`x-lava-key-prefixes`): never sent anywhere by these tests.
PREFIXES = load_spec(spec_path("v2")).key_prefixes
LIVE_KEY = f"{PREFIXES['live']}canary_5e1f_must_never_appear"
TEST_KEY = f"{PREFIXES['test']}canary_77a0_must_never_appear"


def _other(version: str) -> str:
    return next(other for other in API_VERSIONS if other != version)


def test_the_version_is_read_once_into_the_settings_with_its_spec() -> None:
    assert from_environment({}).api_version == "v0"
    assert from_environment({}).spec_path == spec_path("v0")
    settings = from_environment({API_VERSION_VARIABLE: "v2"})
    assert (settings.api_version, settings.spec_path) == ("v2", spec_path("v2"))


def test_an_unknown_version_is_a_usage_verdict_of_one_line_before_any_test(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SettingsError, match=rf"{API_VERSION_VARIABLE}='v1'.*one of v0, v2"):
        from_environment({API_VERSION_VARIABLE: "v1"})
    monkeypatch.setenv(API_VERSION_VARIABLE, "v1")
    monkeypatch.delenv("LAVA_BASE_URL", raising=False)
    assert contract.main([]) == ExitStatus.USAGE
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [captured.err.splitlines()[0]]
    assert captured.err.startswith(f"contract: {API_VERSION_VARIABLE}='v1' is not a version")
    assert "testing" not in captured.out


@pytest.fixture(params=API_VERSIONS)
def server_of_one_version(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str]]:
    """The reference server started on one version's spec: (its version, its base URL, its token)."""
    version: str = request.param
    spec = spec_path(version)
    token, _ = embedded_tokens(spec)
    with running_server(create_app({token: "wallet_1"}, spec_path=spec)) as base_url:
        yield version, base_url, token


@pytest.mark.parametrize("key", ["the server's", "the tested version's"])
def test_a_target_of_the_other_version_ends_the_run_with_one_line_naming_the_version_to_run_with(
    server_of_one_version: tuple[str, str, str], key: str, tmp_path: Path
) -> None:
    served, base_url, token = server_of_one_version
    tested = _other(served)
    if key == "the tested version's":
        # What a user holds who believes the server speaks `tested`: a key of that version's kind, which
        # the server refuses (401) at its own list path. That path answering at all still names it.
        token, _ = embedded_tokens(spec_path(tested))
    environment = loopback_environment(
        base_url,
        token,
        CONTRACT_PREFLIGHT_TIMEOUT="5",
        CONTRACT_SUMMARY_PATH=str(tmp_path / "summary.md"),
        **{API_VERSION_VARIABLE: tested},
    )
    completed = subprocess.run(  # noqa: S603 - our own script, run by this interpreter
        [sys.executable, str(ROOT / "scripts" / "contract.py")],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == ExitStatus.OTHER_VERSION, completed.stdout + completed.stderr
    list_path = load_spec(spec_path(served)).operation(LIST_OPERATION).path_for()
    verdict = [line for line in completed.stderr.splitlines() if line.startswith("contract: ")]
    assert verdict[0] == (
        f"contract: the target speaks Lava's {served} API (/v1{list_path}), not {tested}: run with "
        f"{API_VERSION_VARIABLE}={served}"
    )
    assert "testing" not in completed.stdout, "the suite ran after the preflight's verdict"
    assert not (tmp_path / "summary.md").exists(), "the suite ran after the preflight's verdict"
    assert token not in completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_v2_target_that_refuses_a_wallet_key_says_which_keys_v2_takes(tmp_path: Path) -> None:
    spec = spec_path("v2")
    token, _ = embedded_tokens(spec)
    wallet_key = "lava_wk_canary_41d2_must_never_appear"
    with running_server(create_app({token: "wallet_1"}, spec_path=spec)) as base_url:
        completed = subprocess.run(  # noqa: S603 - our own script, run by this interpreter
            [sys.executable, str(ROOT / "scripts" / "contract.py")],
            cwd=ROOT,
            env=loopback_environment(
                base_url,
                wallet_key,
                CONTRACT_SUMMARY_PATH=str(tmp_path / "summary.md"),
                **{API_VERSION_VARIABLE: "v2"},
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert completed.returncode == ExitStatus.TOKEN_REJECTED, completed.stdout + completed.stderr
    verdict = [line for line in completed.stderr.splitlines() if line.startswith("contract: ")]
    assert "rejected LAVA_API_KEY with 401" in verdict[0]
    takes = f"LAVA_API_KEY is no key of Lava's v2 API, which takes only keys starting {PREFIXES['live']}..."
    assert takes in verdict[1]
    assert f"{PREFIXES['test']}... for a test server" in verdict[1]
    assert wallet_key not in completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize("version", API_VERSIONS)
@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"LAVA_API_KEY": LIVE_KEY}, "LAVA_API_KEY is a live merchant key"),
        ({"LAVA_API_KEY": TEST_KEY, "LAVA_API_KEY_2": LIVE_KEY}, "LAVA_API_KEY_2 is a live merchant key"),
    ],
    ids=["LAVA_API_KEY", "LAVA_API_KEY_2"],
)
def test_a_live_merchant_key_is_refused_like_production_whatever_the_url_and_never_shown(
    version: str, variables: dict[str, str], named: str
) -> None:
    environment = {"LAVA_BASE_URL": STAGING, API_VERSION_VARIABLE: version, **variables}
    with pytest.raises(ProductionTargetError) as raised:
        from_environment(environment)
    message = str(raised.value)
    assert named in message
    assert f"({PREFIXES['live']}...)" in message
    assert "--allow-production" in message
    assert all(token not in message for token in variables.values())
    allowed = from_environment({**environment, "LAVA_ALLOW_PRODUCTION": "1"}).target
    assert allowed is not None
    assert allowed.base_url == STAGING


def test_a_live_key_ends_make_contract_with_the_production_status_before_any_request(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A closed port: a request would fail as unreachable (3), not as production refused (6).
    for name, value in loopback_environment("http://127.0.0.1:9/v1", LIVE_KEY).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(API_VERSION_VARIABLE, "v2")
    assert contract.main([]) == ExitStatus.PRODUCTION_REFUSED
    captured = capsys.readouterr()
    assert "LAVA_API_KEY is a live merchant key" in captured.err
    assert LIVE_KEY not in captured.out + captured.err
    assert "testing" not in captured.out


@pytest.mark.parametrize("version", API_VERSIONS)
@pytest.mark.parametrize(
    "url",
    # Every version's spec's production server, and the host Lava's Node SDK sends live keys to.
    sorted({*load_spec(spec_path("v2")).server_urls("production"), "https://api.lavapayments.com/v1"}),
)
def test_every_production_host_is_refused_whichever_version_the_run_speaks(version: str, url: str) -> None:
    with pytest.raises(ProductionTargetError, match="production API"):
        from_environment({"LAVA_BASE_URL": url, "LAVA_API_KEY": TEST_KEY, API_VERSION_VARIABLE: version})


def test_lavas_sandbox_host_with_a_test_key_is_a_target_like_any_other() -> None:
    (sandbox,) = load_spec(spec_path("v2")).server_urls("sandbox")
    settings = from_environment(
        {"LAVA_BASE_URL": sandbox, "LAVA_API_KEY": TEST_KEY, API_VERSION_VARIABLE: "v2"}
    )
    assert settings.target is not None
    assert settings.target.base_url == sandbox
    assert TEST_KEY not in repr(settings)
