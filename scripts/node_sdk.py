"""Lava's own Node SDK against the reference server: `make node-sdk`, one spend key's life in six calls.

The SDK is npm's `@lavapayments/nodejs`, at the version `interop/node_sdk/package-lock.json` pins. This
program:

1. finds `node` (18 or later, as the SDK requires) and `npm` on PATH;
2. installs `interop/node_sdk/` with `npm ci` into a temporary copy, never into the repository, from npm's
   own cache (so a second run fetches nothing);
3. starts the reference server for the spec of `--version` (default: `LAVA_API_VERSION`, v0 when unset),
   with one wallet and a fresh bearer token of the spec's test-key prefix where it declares one
   (`aks_test_` for v2), so the SDK is given the kind of key it is written for;
4. gives the SDK the base URL a user would: the spec's server URL, then the folder of the spend-key
   collection's path, then a slash. The SDK resolves its own relative paths (`spend_keys`,
   `spend_keys/<id>`, ...) against it with `new URL(path, baseUrl)`, as it does against its default
   `https://api.lavapayments.com/v1/`. For v2 that is the server URL and a slash; for v0, whose paths
   start with `/manage`, it is the server URL and `/manage/`;
5. runs `interop/node_sdk/lifecycle.mjs` (create, list, retrieve, update, rotate, revoke) and prints
   its six JSON lines as they are, one per method, then one summary line.

Neither the bearer token nor a raw spend key is printed: the token goes to node in its environment,
never on a command line, and lifecycle.mjs redacts both. It does not run against any other server:
the contract suite (`make contract`) is what tests a server you name.

tests/interop/test_node_sdk.py runs it for each version and asserts each method's outcome.

Exit status: 0 all six methods ok (against v0, older than the SDK's types, an answer may lack a field
v0's spec does not require: the summary names them); 1 any was not (its line says why); 2 bad arguments or
LAVA_API_VERSION; 3 no usable node or npm on PATH; 4 `npm ci` failed (npm's message on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from contract_tests.reference_server import create_app, running_server
from lava_spec import Spec, load_spec
from lava_spec.versions import API_VERSIONS, UnknownApiVersionError, selected_api_version, spec_path

PROJECT: Final = Path(__file__).resolve().parents[1] / "interop" / "node_sdk"
# What npm ci needs (the manifest and its lock) and what it runs; node_modules is made in the copy.
PROJECT_FILES: Final = ("package.json", "package-lock.json", "lifecycle.mjs")
SDK_PACKAGE: Final = "@lavapayments/nodejs"
# The SDK's package.json: "engines": {"node": ">=18.0.0"} (it calls the global fetch).
MINIMUM_NODE_MAJOR: Final = 18
WALLET_ID: Final = "wallet_1"
INSTALL_TIMEOUT_SECONDS: Final = 300
RUN_TIMEOUT_SECONDS: Final = 120
EXIT_NOT_OK: Final = 1
# lifecycle.mjs's methods, a JSON line each: a run that printed fewer did not hold.
METHODS: Final = ("create", "list", "retrieve", "update", "rotate", "revoke")
EXIT_USAGE: Final = 2
EXIT_NO_NODE: Final = 3
EXIT_INSTALL_FAILED: Final = 4


class NodeMissingError(RuntimeError):
    """No usable node or npm on PATH; the message says which and what to install."""


def node_and_npm() -> tuple[str, str]:
    """The paths of `node` and `npm`.

    Raises:
        NodeMissingError: either is not on PATH, or node is older than the SDK needs.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if path is None)
        raise NodeMissingError(
            f"{missing} not on PATH: install Node.js {MINIMUM_NODE_MAJOR} or later (with npm) to run "
            f"Lava's Node SDK"
        )
    version = subprocess.run(  # noqa: S603 - node from PATH, asked its version
        [node, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.strip()
    match = re.fullmatch(r"v(\d+)\..*", version)
    if match is None or int(match.group(1)) < MINIMUM_NODE_MAJOR:
        raise NodeMissingError(
            f"node on PATH is {version or 'of an unknown version'}: {SDK_PACKAGE} needs Node.js "
            f"{MINIMUM_NODE_MAJOR} or later"
        )
    return node, npm


def locked_sdk_version(project: Path = PROJECT) -> str:
    """The version of the SDK that the project's package-lock.json pins."""
    lock = json.loads((project / "package-lock.json").read_text(encoding="utf-8"))
    version: str = lock["packages"][f"node_modules/{SDK_PACKAGE}"]["version"]
    return version


def sdk_base_url(server_url: str, spec: Spec) -> str:
    """The `baseUrl` to give the SDK for a server at `server_url` (the spec's server URL) serving `spec`.

    The SDK's paths are relative (`spend_keys`, `spend_keys/<id>`): the base is the server URL, then the
    folder that holds the spec's spend-key collection, then a slash.
    """
    folder = posixpath.dirname(spec.operation("create_spend_key").path).rstrip("/")
    return f"{server_url.rstrip('/')}{folder}/"


def bearer_token(spec: Spec) -> str:
    """A fresh token for one run: of the spec's test-key prefix where it declares one (v2: `aks_test_`)."""
    return spec.key_prefixes.get("test", "") + secrets.token_hex(16)


def environment_without_lava(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` less every LAVA_* variable, so that no token of the caller's reaches npm or node."""
    return {name: value for name, value in environ.items() if not name.startswith("LAVA_")}


def install(npm: str, into: Path) -> float:
    """Copy the Node project into `into` and `npm ci` it there; return the wall time in seconds.

    Raises:
        subprocess.CalledProcessError: npm ci failed (its output is on the exception).
    """
    for name in PROJECT_FILES:
        shutil.copyfile(PROJECT / name, into / name)
    started = time.monotonic()
    subprocess.run(  # noqa: S603 - npm from PATH, on our own locked project
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
        cwd=into,
        env=environment_without_lava(os.environ),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        check=True,
    )
    return time.monotonic() - started


def run_lifecycle(node: str, project: Path, base_url: str, token: str) -> tuple[list[str], str, int, float]:
    """Run lifecycle.mjs against `base_url`: its JSON lines, its stderr, its exit status and the wall time."""
    environ = environment_without_lava(os.environ) | {"LAVA_SDK_BASE_URL": base_url, "LAVA_API_KEY": token}
    started = time.monotonic()
    finished = subprocess.run(  # noqa: S603 - node from PATH, on our own script
        [node, "lifecycle.mjs"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    elapsed = time.monotonic() - started
    lines = [line for line in finished.stdout.splitlines() if line.startswith("{")]
    return lines, finished.stderr, finished.returncode, elapsed


def beyond_the_spec(record: Mapping[str, object], spec: Spec) -> bool:
    """Whether a method's outcome breaks what the served spec promises (not only the SDK's types).

    The SDK's types are v2's. Against a spec that does not require a field those types name (v0 has no
    `request_shape` or totals), an answer that leaves it out is what that spec promises: a "mismatch"
    made only of such missing fields is no failure of the server, nor of the SDK against that version.
    """
    if record.get("outcome") == "ok":
        return False
    if record.get("outcome") != "mismatch":
        return True
    required = spec.required("SpendKey")
    mismatches = record.get("mismatches")
    return not isinstance(mismatches, list) or any(
        not isinstance(m, dict) or m.get("problem") != "missing" or m.get("field") in required
        for m in mismatches
    )


def summary(lines: list[str], spec: Spec) -> tuple[str, bool]:
    """`6 of 6 methods ok`, or which were not and how; and whether every method held the served spec."""
    records = [json.loads(line) for line in lines]
    failed = [record for record in records if beyond_the_spec(record, spec)]
    lacking = sorted(
        {m["field"] for record in records if record not in failed for m in record.get("mismatches", [])}
    )
    said = f"{len(records) - len(failed)} of {len(records)} methods ok"
    if lacking:
        said += (
            f" (answering without {', '.join(lacking)}: the SDK's types, written for v2, name them and "
            f"{spec.path.name} does not require them)"
        )
    if failed:
        said += "; " + ", ".join(f"{record['method']} {record['outcome']}" for record in failed)
    return said, not failed and len(records) == len(METHODS)


def main(argv: list[str] | None = None) -> int:
    """Install the SDK, serve the version's spec, run the six methods; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--version",
        choices=API_VERSIONS,
        help="the API version whose spec the reference server serves (default: LAVA_API_VERSION, else v0)",
    )
    arguments = parser.parse_args(argv)
    try:
        version = arguments.version or selected_api_version()
    except UnknownApiVersionError as error:
        print(f"node-sdk: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        node, npm = node_and_npm()
    except NodeMissingError as error:
        print(f"node-sdk: {error}", file=sys.stderr)
        return EXIT_NO_NODE
    spec = load_spec(spec_path(version))
    token = bearer_token(spec)
    with tempfile.TemporaryDirectory(prefix="lava-node-sdk-") as folder:
        project = Path(folder)
        try:
            install_seconds = install(npm, project)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            output = error.stderr if isinstance(error.stderr, str) else ""
            how = (
                f"exit status {error.returncode}"
                if isinstance(error, subprocess.CalledProcessError)
                else "timed out"
            )
            print(
                f"node-sdk: npm ci of interop/node_sdk failed ({how}); it needs the npm registry, or npm's "
                f"cache holding {SDK_PACKAGE} {locked_sdk_version()}. npm says:\n{output.strip()}",
                file=sys.stderr,
            )
            return EXIT_INSTALL_FAILED
        app = create_app({token: WALLET_ID}, spec_path=spec.path)
        with running_server(app, base_path=spec.base_path) as server_url:
            base_url = sdk_base_url(server_url, spec)
            print(f"node-sdk: {SDK_PACKAGE} {locked_sdk_version()}, {version} spec, baseUrl {base_url}")
            lines, stderr, status, run_seconds = run_lifecycle(node, project, base_url, token)
    for line in lines:
        print(line)
    if stderr.strip():
        # lifecycle.mjs redacts what it prints; node's own crash report might not.
        print(stderr.strip().replace(token, "<redacted>"), file=sys.stderr)
    if len(lines) == 0:
        print(f"node-sdk: lifecycle.mjs printed no result (exit status {status})", file=sys.stderr)
        return EXIT_NOT_OK
    said, held = summary(lines, spec)
    print(f"node-sdk: {said} (npm ci {install_seconds:.1f} s, six methods {run_seconds:.1f} s)")
    return 0 if held else EXIT_NOT_OK


if __name__ == "__main__":
    sys.exit(main())
