"""Per-call cost of lava_client against raw httpx making the same requests, sync and async (`make bench`).

It starts the conforming reference server in a process of its own (so the server's work does not share
this interpreter), generates openapi-python-client's plain client from the same spec with the stock
templates into a temporary folder, and then times three operations (get, list of 10, update) made three
ways over the same loopback server. It measures v0 (`openapi/lava.yaml`, `lava_client.v0`) whatever
`LAVA_API_VERSION` says: both versions share the runtime it measures, and a shell that exports the
variable for `make contract` must not turn the bench's requests to the other version's paths:

- raw httpx: `client.get(...)`, `raise_for_status()`, `.json()`: the least any caller does;
- plain generated: the stock generator's `sync` / `asyncio` functions, no retries, no timeouts;
- lava_client: ours, with everything on: retries armed, timeouts, User-Agent, typed errors;
- LavaClient: the same through the resource-style client (`client.spend_keys.retrieve(...)`, `list(...)`
  over every page, `update(..., name=...)`), which calls the functions above: its extra cost is one more
  call and the building of the body model from keyword arguments.

Calls are interleaved: each turn makes one call of every (operation, way) pair, in a shuffled order,
and times each call on its own, so that drift in the machine's speed falls on all pairs alike. The
figure for a pair is the median of its `--calls` call times (a median, so that a garbage collection
or a scheduling hiccup does not decide it). A ratio is that median over raw httpx's for the same
operation, and "all" is the geometric mean of the three ratios. Timings vary with the machine; the
ratios are what to compare. The budget (issues 6 and 11) is lava_client and LavaClient each at or under
1.05 times raw httpx, sync and async.

Exit status: 0 within the budget; 1 over it; 2 on bad arguments or when the server or the generator
cannot start.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import yaml
from lava_client import AuthenticatedClient
from lava_client.v0 import AsyncLavaClient, LavaClient
from lava_client.v0.api.spend_keys import get_spend_key, list_spend_keys, update_spend_key
from lava_client.v0.models import SpendKeyUpdate

from contract_tests.bounds import Bounds
from contract_tests.reference_server.runner import server_process
from lava_spec import SPEC_PATH, load_spec

BIN = Path(sys.executable).absolute().parent
TOKEN = "bench_token_not_a_secret"  # noqa: S105 - a loopback-only token
PLAIN_PACKAGE = "lava_client_plain"
OPERATIONS = ("get", "list", "update")
WAYS = ("raw httpx", "plain generated", "lava_client", "LavaClient")
# The ways the budget applies to: ours.
BUDGETED_WAYS = ("lava_client", "LavaClient")
KEYS_TO_LIST = 10
BUDGET = 1.05
WARM_UP_TURNS = 50
EXIT_OVER_BUDGET = 1
EXIT_CANNOT_RUN = 2

SyncCall = Callable[[], object]
AsyncCall = Callable[[], Awaitable[object]]


class BenchError(Exception):
    """The bench cannot run: the message says why and what to do."""


@dataclass(frozen=True)
class Figures:
    """Median per-call microseconds by (mode, operation, way)."""

    micros: dict[tuple[str, str, str], float]

    def ratio(self, mode: str, operation: str, way: str) -> float:
        """The figure of `way` over raw httpx's, for one operation."""
        return self.micros[mode, operation, way] / self.micros[mode, operation, "raw httpx"]

    def overall(self, mode: str, way: str) -> float:
        """The geometric mean of `way`'s ratios over the operations."""
        ratios = [self.ratio(mode, operation, way) for operation in OPERATIONS]
        return math.exp(sum(map(math.log, ratios)) / len(ratios))


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print the table; return the exit status."""
    parser = argparse.ArgumentParser(
        description="Per-call cost of lava_client against raw httpx (`make bench`)."
    )
    parser.add_argument(
        "--calls", type=_positive, default=3000, help="calls per operation and way (default 3000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffled order (default 0)")
    parser.add_argument(
        "--budget", type=float, default=BUDGET, help=f"the ratio lava_client may cost (default {BUDGET})"
    )
    args = parser.parse_args(argv)
    try:
        with reference_server() as base_url, plain_client_package() as plain:
            target = Target(base_url, seed_keys(base_url), plain)
            python = sys.version.split()[0]
            print(f"Server: the reference server at {base_url}, in its own process; Python {python}.")
            print(f"Each figure: the median of {args.calls} calls, interleaved with every other pair's.")
            rng = random.Random(args.seed)  # noqa: S311 - an order to shuffle, not a secret
            micros = {
                **measure_sync(target, args.calls, rng),
                **asyncio.run(measure_async(target, args.calls, rng)),
            }
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    figures = Figures(micros)
    print_table(figures)
    return verdict(figures, args.budget)


@dataclass(frozen=True)
class Target:
    """The running server, a key on it, and the plain generated package."""

    base_url: str
    spend_key_id: str
    plain: ModuleType

    def path(self, operation_id: str) -> str:
        """The path of `operation_id` for the key the bench reads and updates, as the spec builds it."""
        return Bounds.of(load_spec(SPEC_PATH)).path_of(operation_id, self.spend_key_id)

    def plain_operation(self, name: str) -> Any:  # noqa: ANN401 - a package generated at run time
        """The plain generated package's module for operation `name`."""
        return importlib.import_module(f"{self.plain.__name__}.api.spend_keys.{name}")

    def plain_update_body(self) -> Any:  # noqa: ANN401 - a package generated at run time
        """The plain generated package's update body."""
        return importlib.import_module(f"{self.plain.__name__}.models").SpendKeyUpdate(name="bench")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


@contextmanager
def reference_server() -> Iterator[str]:
    """Start the reference server's command line in a process of its own; yield its base URL."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("LAVA_")}
    with server_process(environ={**environment, "LAVA_API_KEY": TOKEN}) as server:
        if not server.started:
            server.process.kill()
            _, stderr = server.process.communicate()
            raise BenchError(
                f"the reference server did not start: {stderr.strip() or server.first_line.strip()} "
                "(run `make venv`, then try `make serve` to see it start)"
            )
        yield server.base_url


@contextmanager
def plain_client_package() -> Iterator[ModuleType]:
    """Generate the stock client (no custom templates, no post-hooks) from our spec; yield its package."""
    with tempfile.TemporaryDirectory(prefix="lava-bench-") as scratch:
        config = Path(scratch) / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {"package_name_override": PLAIN_PACKAGE, "project_name_override": "lava-client-plain"}
            )
        )
        output = Path(scratch) / PLAIN_PACKAGE
        result = subprocess.run(  # noqa: S603 - the venv's own generator
            [
                str(BIN / "openapi-python-client"),
                "generate",
                "--path",
                str(SPEC_PATH),
                "--config",
                str(config),
                "--meta",
                "none",
                "--output-path",
                str(output),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BenchError(
                f"openapi-python-client could not generate the plain client: {result.stdout}{result.stderr}"
                " (run `make venv`)"
            )
        sys.path.insert(0, scratch)
        try:
            yield importlib.import_module(PLAIN_PACKAGE)
        finally:
            sys.path.remove(scratch)


def seed_keys(base_url: str) -> str:
    """Create enough keys for a full list page; return the id of the first."""
    create = load_spec(SPEC_PATH).operation("create_spend_key")
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        ids = []
        for n in range(KEYS_TO_LIST):
            answer = client.request(create.method, create.path_for(), json={"name": f"bench-{n}"})
            answer.raise_for_status()
            ids.append(answer.json()["spend_key_id"])
    return str(ids[0])


def measure_sync(target: Target, calls: int, rng: random.Random) -> dict[tuple[str, str, str], float]:
    """Median per-call microseconds of every (operation, way), sync."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    url, key_id = target.base_url, target.spend_key_id
    get_path, update_path = target.path("get_spend_key"), target.path("update_spend_key")
    list_path = load_spec(SPEC_PATH).operation("list_spend_keys").path_for()
    get_plain, list_plain = target.plain_operation("get_spend_key"), target.plain_operation("list_spend_keys")
    update_plain, plain_body = target.plain_operation("update_spend_key"), target.plain_update_body()
    with (
        httpx.Client(base_url=url, headers=auth) as raw,
        target.plain.AuthenticatedClient(base_url=url, token=TOKEN) as stock,
        AuthenticatedClient(base_url=url, token=TOKEN) as ours,
        LavaClient(base_url=url, token=TOKEN) as resources,
    ):
        limit = {"limit": KEYS_TO_LIST}
        spend_keys = resources.spend_keys
        pairs: dict[tuple[str, str], SyncCall] = {
            ("get", "raw httpx"): lambda: raw.get(get_path).raise_for_status().json(),
            ("list", "raw httpx"): lambda: raw.get(list_path, params=limit).raise_for_status().json(),
            ("update", "raw httpx"): lambda: (
                raw.put(update_path, json={"name": "bench"}).raise_for_status().json()
            ),
            ("get", "plain generated"): lambda: get_plain.sync(key_id, client=stock),
            ("list", "plain generated"): lambda: list_plain.sync(client=stock, limit=KEYS_TO_LIST),
            ("update", "plain generated"): lambda: update_plain.sync(key_id, client=stock, body=plain_body),
            ("get", "lava_client"): lambda: get_spend_key.sync(key_id, client=ours),
            ("list", "lava_client"): lambda: list_spend_keys.sync(client=ours, limit=KEYS_TO_LIST),
            ("update", "lava_client"): lambda: update_spend_key.sync(
                key_id, client=ours, body=SpendKeyUpdate(name="bench")
            ),
            ("get", "LavaClient"): lambda: spend_keys.retrieve(key_id),
            # Every page: one here, as the server holds exactly KEYS_TO_LIST keys.
            ("list", "LavaClient"): lambda: list(spend_keys.list(limit=KEYS_TO_LIST)),
            ("update", "LavaClient"): lambda: spend_keys.update(key_id, name="bench"),
        }
        samples: dict[tuple[str, str], list[int]] = {pair: [] for pair in pairs}
        order = list(pairs)
        for _ in range(WARM_UP_TURNS):
            for call in pairs.values():
                call()
        clock = time.perf_counter_ns
        for _ in range(calls):
            rng.shuffle(order)
            for pair in order:
                call = pairs[pair]
                started = clock()
                call()
                samples[pair].append(clock() - started)
    return {("sync", *pair): statistics.median(values) / 1000 for pair, values in samples.items()}


async def measure_async(target: Target, calls: int, rng: random.Random) -> dict[tuple[str, str, str], float]:
    """Median per-call microseconds of every (operation, way), async (one call at a time)."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    url, key_id = target.base_url, target.spend_key_id
    get_path, update_path = target.path("get_spend_key"), target.path("update_spend_key")
    list_path = load_spec(SPEC_PATH).operation("list_spend_keys").path_for()
    get_plain, list_plain = target.plain_operation("get_spend_key"), target.plain_operation("list_spend_keys")
    update_plain, plain_body = target.plain_operation("update_spend_key"), target.plain_update_body()
    async with (
        httpx.AsyncClient(base_url=url, headers=auth) as raw,
        target.plain.AuthenticatedClient(base_url=url, token=TOKEN) as stock,
        AuthenticatedClient(base_url=url, token=TOKEN) as ours,
        AsyncLavaClient(base_url=url, token=TOKEN) as resources,
    ):
        spend_keys = resources.spend_keys

        async def every_key() -> object:
            return [key async for key in spend_keys.list(limit=KEYS_TO_LIST)]

        async def raw_json(answer: Awaitable[httpx.Response]) -> object:
            return (await answer).raise_for_status().json()

        limit = {"limit": KEYS_TO_LIST}
        pairs: dict[tuple[str, str], AsyncCall] = {
            ("get", "raw httpx"): lambda: raw_json(raw.get(get_path)),
            ("list", "raw httpx"): lambda: raw_json(raw.get(list_path, params=limit)),
            ("update", "raw httpx"): lambda: raw_json(raw.put(update_path, json={"name": "bench"})),
            ("get", "plain generated"): lambda: get_plain.asyncio(key_id, client=stock),
            ("list", "plain generated"): lambda: list_plain.asyncio(client=stock, limit=KEYS_TO_LIST),
            ("update", "plain generated"): lambda: update_plain.asyncio(
                key_id, client=stock, body=plain_body
            ),
            ("get", "lava_client"): lambda: get_spend_key.asyncio(key_id, client=ours),
            ("list", "lava_client"): lambda: list_spend_keys.asyncio(client=ours, limit=KEYS_TO_LIST),
            ("update", "lava_client"): lambda: update_spend_key.asyncio(
                key_id, client=ours, body=SpendKeyUpdate(name="bench")
            ),
            ("get", "LavaClient"): lambda: spend_keys.retrieve(key_id),
            ("list", "LavaClient"): every_key,
            ("update", "LavaClient"): lambda: spend_keys.update(key_id, name="bench"),
        }
        samples: dict[tuple[str, str], list[int]] = {pair: [] for pair in pairs}
        order = list(pairs)
        for _ in range(WARM_UP_TURNS):
            for call in pairs.values():
                await call()
        clock = time.perf_counter_ns
        for _ in range(calls):
            rng.shuffle(order)
            for pair in order:
                call = pairs[pair]
                started = clock()
                await call()
                samples[pair].append(clock() - started)
    return {("async", *pair): statistics.median(values) / 1000 for pair, values in samples.items()}


def print_table(figures: Figures) -> None:
    """Microseconds per call and the ratios to raw httpx, one row per mode and operation."""
    print()
    print(
        f"{'mode':<6} {'operation':<9} "
        + " ".join(f"{way + ' us':>18}" for way in WAYS)
        + "   plain/raw  ours/raw  LavaClient/raw"
    )
    for mode in ("sync", "async"):
        for operation in OPERATIONS:
            cells = " ".join(f"{figures.micros[mode, operation, way]:>18.1f}" for way in WAYS)
            plain, ours, resources = (figures.ratio(mode, operation, way) for way in WAYS[1:])
            print(f"{mode:<6} {operation:<9} {cells}   {plain:>9.3f}  {ours:>8.3f}  {resources:>14.3f}")
        plain, ours, resources = (figures.overall(mode, way) for way in WAYS[1:])
        print(
            f"{mode:<6} {'all':<9} {'(geometric mean of the three ratios)':>75}   "
            f"{plain:>9.3f}  {ours:>8.3f}  {resources:>14.3f}"
        )


def verdict(figures: Figures, budget: float) -> int:
    """Print whether our ways are within `budget` times raw httpx, sync and async; return the exit status."""
    print()
    all_within = True
    for way in BUDGETED_WAYS:
        sync, asynchronous = figures.overall("sync", way), figures.overall("async", way)
        within = sync <= budget and asynchronous <= budget
        all_within = all_within and within
        state = "within" if within else "OVER"
        ratios = f"sync {sync:.3f}, async {asynchronous:.3f}"
        print(f"{way} / raw httpx: {ratios}: {state} the budget of {budget:.2f}.")
    return 0 if all_within else EXIT_OVER_BUDGET


if __name__ == "__main__":
    sys.exit(main())
