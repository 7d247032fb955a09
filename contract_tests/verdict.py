"""The outcome of a contract run, in one line and one exit status, whatever the target did.

A run ends in exactly one `Verdict`: what was wrong (or that nothing was), what to check, and the exit
status that `scripts/contract.py` documents. The statuses are defined here once, for the runner, the
pytest plugin (conftest.py) and `make contract-cleanup`:

    0  OK                  the server honours the contract
    1  CONTRACT_BROKEN     the server broke the contract; the report names each operation and check
    2  USAGE               bad usage: an unknown flag, or an environment that names an incomplete target
    3  UNREACHABLE         the target could not be reached, stopped answering, or answered too slowly
    4  TOKEN_REJECTED      the target rejected LAVA_API_KEY (or LAVA_API_KEY_2)
    5  SUITE_ERROR         the suite itself failed (a bug of ours, a spent request budget, no tests)
    6  PRODUCTION_REFUSED  the target is Lava's production API and --allow-production was not given
    7  NOT_THE_API         the target answers, but not as Lava's spend-key API does: a web page, a
                           redirect, no such path, a body that is not JSON or not a list page
    8  KEYS_LEFT_BEHIND    the contract held, but cleanup could not revoke every key this run created
    9  OTHER_VERSION       the target speaks another version of Lava's API than LAVA_API_VERSION names
    130 INTERRUPTED        Ctrl-C; the suite still revoked the keys it had created

`failure_kind` sorts a failed test by its exception: the target not answering (a connection error, a
timeout) is not the contract being broken, and must not be reported as if it were. This module decides
nothing about a particular response; `preflight` and the tests do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Literal

import httpx
import requests
from lava_client.errors import APIConnectionError

from contract_tests.traffic import RequestBudgetExhaustedError, SlowTargetError

# Where the suite writes its verdict for the process that started it (scripts/contract.py).
VERDICT_PATH_VARIABLE = "CONTRACT_VERDICT_PATH"


class ExitStatus(IntEnum):
    """The exit statuses of `make contract` (see the module docstring)."""

    OK = 0
    CONTRACT_BROKEN = 1
    USAGE = 2
    UNREACHABLE = 3
    TOKEN_REJECTED = 4
    SUITE_ERROR = 5
    PRODUCTION_REFUSED = 6
    NOT_THE_API = 7
    KEYS_LEFT_BEHIND = 8
    OTHER_VERSION = 9
    INTERRUPTED = 130


@dataclass(frozen=True)
class Verdict:
    """How a run ended: its exit status, one line on what happened, and what to check."""

    status: ExitStatus
    headline: str
    advice: str = ""
    # Extra lines (e.g. the ids of keys left behind); never a token or a raw key.
    details: tuple[str, ...] = field(default=())

    def lines(self) -> Iterator[str]:
        """The verdict as a person reads it: the headline, what to check, then any details."""
        yield f"contract: {self.headline}"
        if self.advice:
            yield f"contract: {self.advice}"
        for detail in self.details:
            yield f"  {detail}"

    def write(self, path: Path) -> None:
        """Save the verdict as JSON for the process that started the suite."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**asdict(self), "status": int(self.status)}), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Verdict | None:
        """A verdict saved by `write`, or None when there is none (or it cannot be read)."""
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                status=ExitStatus(saved["status"]),
                headline=str(saved["headline"]),
                advice=str(saved.get("advice", "")),
                details=tuple(str(line) for line in saved.get("details", ())),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


FailureKind = Literal["contract", "unreachable", "slow", "budget"]


def failure_kind(error: BaseException) -> FailureKind:
    """Whether a failed test met the contract broken, the target not answering or too slow, or the budget."""
    for cause in _causes(error):
        if isinstance(cause, RequestBudgetExhaustedError):
            return "budget"
        if isinstance(cause, SlowTargetError):
            return "slow"
        if isinstance(
            cause,
            httpx.TransportError | requests.ConnectionError | requests.Timeout | APIConnectionError,
        ):
            return "unreachable"
    return "contract"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, what it was raised from, and the members of any exception group, each once."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(cause for cause in (current.__cause__, current.__context__) if cause is not None)
