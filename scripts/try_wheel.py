"""Try an installed lava-client as a user would: in another Python environment, against the reference server.

Given the interpreter of an environment where lava-client was installed from its wheel (and nothing else
was asked for), it checks, by running that interpreter:

- every module of lava_client imports, from that environment (not from this repository's generated/), and
  every version of the API it has a client for (`lava_client.API_VERSIONS`: lava_client.v0, lava_client.v2)
  exports its LavaClient over the one shared error tree;
- every distribution installed there is lava-client or one of its dependencies, transitively: what the
  client imports is declared, and nothing of the development environment is needed;
- the name, the version, `lava_client.__version__` and the User-Agent agree;
- the Python examples of the package's README, read from the installed metadata (the page PyPI shows),
  run against the reference server, which this script starts here, in the development environment, each
  serving the spec of the version the example imports (`from lava_client.v2 ...`), and print neither the
  token nor a raw key.

tests/client/test_distribution.py runs it on a fresh virtual environment, and noxfile.py on one per supported
Python (`make test-pythons`). It does not build or install anything.

Exit status: 0 all held; 1 something did not, with what and why on stderr; 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from typing import Any

from contract_tests.reference_server import create_app, running_server
from lava_spec import load_spec
from lava_spec.versions import DEFAULT_API_VERSION, spec_path

TOKEN = "wheel_token_not_a_secret"  # noqa: S105 - a test token for the reference server
RAW_KEY = re.compile(r"lava_sk_[0-9a-f]{20,}")
# The version of the API an example uses: the first version package it imports.
EXAMPLE_VERSION = re.compile(r"\blava_client\.(v\d+)\b")
# Run by the environment under test: it sees only what is installed there.
PROBE = r"""
import importlib, importlib.metadata as md, json, pkgutil, platform, re

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

import lava_client
modules = sorted(info.name for info in pkgutil.walk_packages(lava_client.__path__, "lava_client."))
for module in modules:
    importlib.import_module(module)
from lava_client.client import USER_AGENT

versions = {}
for version in lava_client.API_VERSIONS:
    package = importlib.import_module(f"lava_client.{version}")
    operations = importlib.import_module(f"lava_client.{version}.api.spend_keys.get_spend_key")
    versions[version] = {
        "clients": sorted(package.__all__),
        "shared_errors": operations.errors is lava_client.errors,
        "shared_client": issubclass(package.LavaClient, lava_client.AuthenticatedClient),
    }

needed, todo = set(), ["lava-client"]
while todo:
    name = norm(todo.pop())
    if name in needed:
        continue
    needed.add(name)
    try:
        requirements = md.requires(name) or []
    except md.PackageNotFoundError:
        continue
    for requirement in requirements:
        if "extra ==" not in requirement:
            todo.append(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
print(json.dumps({
    "python": platform.python_version(),
    "file": lava_client.__file__,
    "modules": modules,
    "version": md.version("lava-client"),
    "dunder_version": lava_client.__version__,
    "user_agent": USER_AGENT,
    "versions": versions,
    "installed": sorted(norm(dist.metadata["Name"]) for dist in md.distributions()),
    "needed": sorted(needed),
    "readme": md.metadata("lava-client").get_payload(),
}))
"""


def main(argv: list[str] | None = None) -> int:
    """Probe the environment of --python, run its README example; return the exit status."""
    parser = argparse.ArgumentParser(description="Try an installed lava-client against the reference server.")
    parser.add_argument("--python", required=True, help="the interpreter of the environment to try")
    args = parser.parse_args(argv)
    problems = try_environment(args.python)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


def try_environment(python: str) -> list[str]:
    """What is wrong with lava-client as installed for python; an empty list when nothing is."""
    environment = {
        key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    with tempfile.TemporaryDirectory(prefix="lava-try-wheel-") as scratch:
        # Another folder than the repository's, so that nothing of it is importable by accident.
        probe = _run([python, "-c", PROBE], scratch, environment)
        if probe.returncode != 0:
            return [f"importing lava_client failed under {python}:\n{probe.stderr}"]
        found: dict[str, Any] = json.loads(probe.stdout)
        problems = _probe_problems(found)
        blocks = re.findall(r"```python\n(.*?)```", found["readme"], flags=re.DOTALL)
        if not blocks:
            return [*problems, "the installed README holds no Python example"]
        with ExitStack() as servers:
            targets: dict[str, dict[str, str]] = {}
            examples = []
            for block in blocks:
                version = _example_version(block)
                if version not in targets:
                    token = _token(version)
                    app = create_app({token: "wallet_1"}, spec_path=spec_path(version))
                    base_url = servers.enter_context(running_server(app))
                    targets[version] = {"LAVA_API_KEY": token, "LAVA_BASE_URL": base_url}
                example_environment = {**environment, **targets[version]}
                examples.append(_run([python, "-c", block], scratch, example_environment))
    # The first example shows what the client prints; every one must run and leak nothing.
    problems += _example_problems(examples[0])
    for example in examples[1:]:
        problems += [problem for problem in _example_problems(example) if "did not print" not in problem]
    if not problems:
        dependencies = ", ".join(sorted(set(found["installed"]) - {"lava-client"}))
        print(
            f"OK: lava-client {found['version']} under Python {found['python']}: "
            f"{len(found['modules'])} modules (versions {', '.join(sorted(found['versions']))}) import "
            f"with only {dependencies}; "
            f"the README's {len(blocks)} examples ran against the reference server."
        )
    return problems


def _example_version(example: str) -> str:
    match = EXAMPLE_VERSION.search(example)
    return match.group(1) if match else DEFAULT_API_VERSION


def _token(version: str) -> str:
    """A token the reference server of version takes: with the test prefix its spec states, if any."""
    return load_spec(spec_path(version)).key_prefixes.get("test", "") + TOKEN


def _probe_problems(found: dict[str, Any]) -> list[str]:
    problems = []
    if len(found["versions"]) < 2:
        problems.append(f"lava_client has a client for {sorted(found['versions'])} only")
    for version, facts in found["versions"].items():
        if facts["clients"] != ["AsyncLavaClient", "LavaClient"]:
            problems.append(
                f"lava_client.{version} exports {facts['clients']}, not AsyncLavaClient and LavaClient"
            )
        if not (facts["shared_errors"] and facts["shared_client"]):
            problems.append(f"lava_client.{version} does not use the shared errors and AuthenticatedClient")
    if "site-packages" not in found["file"]:
        problems.append(
            f"lava_client was imported from {found['file']}, not from the environment's site-packages"
        )
    extra = sorted(set(found["installed"]) - set(found["needed"]))
    if extra:
        problems.append(
            f"installed but not needed by lava-client (is the environment fresh?): {', '.join(extra)}"
        )
    version = found["version"]
    if found["dunder_version"] != version or not found["user_agent"].startswith(f"lava-client/{version} "):
        problems.append(
            f"the distribution is {version}, lava_client.__version__ {found['dunder_version']}, "
            f"the User-Agent {found['user_agent']!r}: they must agree"
        )
    return problems


def _example_problems(example: subprocess.CompletedProcess[str]) -> list[str]:
    output = example.stdout + example.stderr
    problems = []
    if example.returncode != 0:
        problems.append(f"the README example exited {example.returncode}:\n{example.stderr}")
    elif "key='<redacted>'" not in example.stdout or "lava_sk_" not in example.stdout:
        problems.append(f"the README example did not print what it shows:\n{example.stdout}")
    if RAW_KEY.search(output) or TOKEN in output:
        problems.append("the README example printed a raw key or the token")
    return problems


def _run(command: list[str], cwd: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (the interpreter under test, running our probe or the README example)
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


if __name__ == "__main__":
    sys.exit(main())
