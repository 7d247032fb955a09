"""The contract suite is safe against a shared staging server: proved on loopback.

A staging-like reference server holds other people's keys in the same wallet, answers some requests with
429 and Retry-After, is slow on one endpoint and returns fields the spec does not declare. The suite, run
exactly as a user runs it (`scripts/contract.py` with LAVA_BASE_URL and canary tokens), must leave the
pre-existing keys unchanged and none of its own behind (also when interrupted), wait out the 429s, report
the undeclared fields as drift, and write no canary and no raw key into anything it prints or writes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from contract_tests.bounds import Bounds
from contract_tests.reference_server import StagingConditions, create_app, running_server
from contract_tests.target import loopback_environment
from lava_spec import SPEC_PATH, load_spec, spec_path
from tests.repository import ROOT

CANARY = "canary_staging_token_5f3a_must_never_appear"
CANARY_2 = "canary_staging_token_2_9c1e_must_never_appear"
RAW_KEY = re.compile(r"lava_sk_[0-9a-f]{20,}")
CONDITIONS = StagingConditions(
    preexisting_keys=4,
    # Rare and short enough to keep this test quick (each costs a 1 s wait), often enough that every run
    # (a few thousand requests) meets them.
    throttle_every=1000,
    retry_after_seconds=1,
    # Slower than the rest, yet quick: the lifecycle test lists after every step.
    slow_seconds=0.01,
    slow_operation="list_spend_keys",
    undeclared_fields={"request_shape": "openai", "total_spend": "0", "total_requests": 0},
)


LIST = load_spec().operation("list_spend_keys")
CREATE = load_spec().operation("create_spend_key")
CREATE_V2 = load_spec(spec_path("v2")).operation("create_spend_key")
# A live merchant key of the spec that states one (v2): the guard refuses it whatever the URL.
LIVE_PREFIX = load_spec(spec_path("v2")).key_prefixes["live"]


def _keys(base_url: str, token: str) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = []
    cursor = None
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        while True:
            params: dict[str, Any] = {"limit": LIST.parameter("limit").constraints.highest}
            params.update({"cursor": cursor} if cursor else {})
            response = client.request(LIST.method, LIST.path, params=params)
            if response.status_code == 429:
                time.sleep(float(response.headers.get("retry-after", "1")))
                continue
            page = response.json()
            keys += page["data"]
            if not page["has_more"]:
                return keys
            cursor = page["next_cursor"]


@pytest.fixture
def staging() -> Iterator[str]:
    app = create_app({CANARY: "wallet_1", CANARY_2: "wallet_2"}, staging=CONDITIONS)
    with running_server(app) as base_url:
        yield base_url


def _environment(base_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    settings = {"CONTRACT_MAX_EXAMPLES": "5", "CONTRACT_SUMMARY_PATH": str(tmp_path / "summary.md"), **extra}
    return loopback_environment(base_url, CANARY, CANARY_2, **settings)


def _contract(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "scripts" / "contract.py"), *args]


def test_a_run_against_staging_changes_nothing_of_others_leaves_nothing_and_leaks_nothing(
    staging: str, tmp_path: Path
) -> None:
    before = {key["spend_key_id"]: key for key in _keys(staging, CANARY)}
    before_other = {key["spend_key_id"]: key for key in _keys(staging, CANARY_2)}
    assert len(before) == len(before_other) == CONDITIONS.preexisting_keys
    junit = tmp_path / "junit.xml"
    result = subprocess.run(  # noqa: S603 - our own script
        _contract(f"--junitxml={junit}"),
        env=_environment(staging, tmp_path, CONTRACT_RUN_ID="proof1"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # Nothing of others changed, nothing of ours left.
    assert {key["spend_key_id"]: key for key in _keys(staging, CANARY)} == before
    assert {key["spend_key_id"]: key for key in _keys(staging, CANARY_2)} == before_other
    assert "0 keys named lava-contract-proof1-* left after cleanup" in result.stdout
    # The 429s were waited out, and the run says how much it sent.
    retried = re.search(r"(\d+) requests sent; (\d+) retried after a 429", result.stdout)
    assert retried, result.stdout[-2000:]
    assert int(retried.group(2)) > 0, "the staging-like server sent 429s; the run should have retried"
    # The undeclared fields are reported as drift, not failures.
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    for field in CONDITIONS.undeclared_fields:
        assert f"returns `{field}`" in result.stdout
        assert f"returns `{field}`" in summary
    # No canary, no raw key, anywhere the run wrote.
    artifacts = [result.stdout, result.stderr, junit.read_text(encoding="utf-8"), summary]
    artifacts += [
        path.read_text(encoding="utf-8", errors="replace") for path in tmp_path.rglob("*") if path.is_file()
    ]
    for text in artifacts:
        assert CANARY not in text
        assert CANARY_2 not in text
        assert not RAW_KEY.search(text), RAW_KEY.search(text)


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_an_interrupted_run_still_revokes_its_keys(staging: str, tmp_path: Path) -> None:
    before = {key["spend_key_id"] for key in _keys(staging, CANARY)}
    run = subprocess.Popen(  # noqa: S603 - our own script
        _contract("-k", "semantics or lifecycle"),
        env=_environment(staging, tmp_path, CONTRACT_RUN_ID="proof2", CONTRACT_MAX_EXAMPLES="50"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # Ctrl-C as a terminal delivers it: a `make test` started in the background (`cmd &` in a script, or
        # under nohup) hands its children SIGINT ignored, and Python then installs no KeyboardInterrupt.
        preexec_fn=_interruptible,  # noqa: PLW1509 - resets one signal; no thread-unsafe call
    )
    deadline = time.monotonic() + 60
    while not any(key["name"].startswith("lava-contract-proof2-") for key in _keys(staging, CANARY)):
        assert time.monotonic() < deadline, "the run created no key within 60 s"
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    output, _ = run.communicate(timeout=300)
    assert run.returncode == 130, output[-3000:]
    after = _keys(staging, CANARY)
    assert not [key for key in after if key["name"].startswith("lava-contract-")], output[-3000:]
    assert {key["spend_key_id"] for key in after} == before


def test_contract_cleanup_sweeps_what_a_killed_run_left_and_nothing_else(staging: str) -> None:
    before = _keys(staging, CANARY)
    with httpx.Client(base_url=staging, headers={"Authorization": f"Bearer {CANARY}"}, timeout=30) as client:
        for name in ("lava-contract-killedrun-a", "lava-contract-killedrun-b"):
            while (
                response := client.request(CREATE.method, CREATE.path, json={"name": name})
            ).status_code == 429:
                time.sleep(1)
            assert response.status_code == 201
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "scripts" / "contract_cleanup.py")],
        env=loopback_environment(staging, CANARY),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "revoked 2 keys" in result.stdout
    assert _keys(staging, CANARY) == before
    assert CANARY not in result.stdout + result.stderr


def test_contract_cleanup_lists_in_pages_of_the_specs_largest_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import contract_cleanup  # noqa: PLC0415 - scripts/ is on sys.path for this folder's tests

    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    limit = next(p for p in document["paths"][LIST.path]["get"]["parameters"] if p["name"] == "limit")
    limit["schema"].update({"maximum": 7, "default": 7})
    changed = tmp_path / "lava.yaml"
    changed.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    # A server of the changed spec answers 400 to any `limit` over 7: the sweep must ask for 7, page by page.
    with running_server(create_app({CANARY: "wallet_1"}, spec_path=changed)) as base_url:
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {CANARY}"}) as client:
            for index in range(9):
                assert (
                    client.post(CREATE.path, json={"name": f"lava-contract-paged-{index}"}).status_code == 201
                )
        monkeypatch.setattr(os, "environ", loopback_environment(base_url, CANARY))
        monkeypatch.setattr(sys, "argv", ["contract_cleanup.py"])
        monkeypatch.setattr(contract_cleanup, "bounds", lambda: Bounds.of(load_spec(changed)))
        assert contract_cleanup.main() == 0
    assert "revoked 9 keys named lava-contract-*; 0 left" in capsys.readouterr().out


def _cleanup(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "scripts" / "contract_cleanup.py"), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("settings", "status", "named"),
    [
        ({"LAVA_API_VERSION": "v3"}, 2, "LAVA_API_VERSION='v3' is not a version"),
        ({"LAVA_API_KEY": f"{LIVE_PREFIX}{CANARY}"}, 6, "--allow-production"),
        ({"LAVA_API_KEY": ""}, 2, "LAVA_API_KEY is not"),
    ],
    ids=["unknown-version", "live-key", "no-key"],
)
def test_contract_cleanup_turns_a_bad_setting_into_one_line_and_its_status_not_a_traceback(
    settings: dict[str, str], status: int, named: str
) -> None:
    # Settings the sweep refuses before any request: nothing needs to listen at this URL.
    result = _cleanup(loopback_environment("http://127.0.0.1:9/v1", CANARY, **settings))

    assert (result.returncode, result.stdout) == (status, ""), result.stderr
    assert result.stderr.startswith("contract-cleanup: "), result.stderr
    assert named in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert CANARY not in result.stderr


def test_contract_cleanup_sweeps_with_a_live_key_when_allow_production_is_given() -> None:
    live = f"{LIVE_PREFIX}{CANARY}"
    spec = spec_path("v2")
    with running_server(create_app({live: "wallet_1"}, spec_path=spec)) as base_url:
        environment = loopback_environment(base_url, live, LAVA_API_VERSION="v2")
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {live}"}) as client:
            assert (
                client.post(CREATE_V2.path, json={"name": "lava-contract-killedrun-live"}).status_code == 201
            )

        refused = _cleanup(environment)
        swept = _cleanup(environment, "--allow-production")

    assert refused.returncode == 6, refused.stderr
    assert swept.returncode == 0, swept.stderr
    assert "revoked 1 keys named lava-contract-*; 0 left" in swept.stdout
    assert CANARY not in refused.stderr + swept.stdout + swept.stderr


@pytest.mark.parametrize("host", ["api.lava.so", "api.lavapayments.com"])
def test_a_production_host_is_refused_before_any_request_naming_the_flag(host: str, tmp_path: Path) -> None:
    environment = _environment(f"https://{host}/v1", tmp_path)
    result = subprocess.run(  # noqa: S603 - our own script
        _contract(), env=environment, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 6
    assert "--allow-production" in result.stderr
    assert "testing" not in result.stdout  # refused before the preflight request
    assert CANARY not in result.stdout + result.stderr


def test_the_schemathesis_toml_gives_the_cli_the_suites_auth_hooks_and_limits() -> None:
    import tomllib  # noqa: PLC0415 - only this test reads TOML

    config = tomllib.loads((ROOT / "schemathesis.toml").read_text(encoding="utf-8"))
    assert config["hooks"] == "contract_tests.schemathesis_hooks"
    assert config["auth"]["openapi"]["bearerAuth"]["bearer"] == "${LAVA_API_KEY}"
    assert config["generation"]["with-security-parameters"] is False
    assert config["rate-limit"]
    assert json.dumps(config).count("${") == 2  # the URL and the token come from the environment only
