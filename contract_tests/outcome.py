"""What a run has met so far, and the one `Verdict` it ends with.

conftest.py feeds a `RunOutcome` as the run goes: each failed test with the kind of its failure (the
contract broken, the target not answering, the request budget spent), each pass, and the account of each
cleanup. It asks `should_stop` after every test, so a target that stopped answering ends the run after a
few tests instead of after every test's timeout; at the end `verdict` says how the run ended, in one line
and one exit status, and lists the ids (never the raw keys) of keys this run may have left behind, with
the command that sweeps them (or, on the embedded reference server, the word that they ended with it).

It does not run tests, send requests or write files; conftest.py does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from contract_tests.cleanup import Cleanup
from contract_tests.verdict import ExitStatus, FailureKind, Verdict

# The run stops after this many tests in a row met a target that does not answer.
STOP_AFTER_UNREACHABLE = 3
_EXCERPT = 240
_SHOWN_IDS = 20
# Instead of a sweep command: the embedded server lives in the run's process, and its keys with it.
EMBEDDED_KEYS_GONE = (
    "They were on the embedded reference server, which stopped with the run and took its keys with it: "
    "there is nothing to sweep."
)


@dataclass
class RunOutcome:
    """The failures, passes and cleanups of one run (thread-safe)."""

    failures: dict[FailureKind, list[tuple[str, str]]] = field(
        default_factory=lambda: {"contract": [], "unreachable": [], "slow": [], "budget": []}
    )
    # By node id: schemathesis reports some tests' sub-cases as passes of their own.
    passed_tests: set[str] = field(default_factory=set)
    # pytest's own count of passed tests, when its terminal reporter gives one; else `passed_tests`.
    passed_count: int | None = None
    skipped: int = 0
    # Set when the run was ended before its tests, e.g. by the preflight.
    early: Verdict | None = None
    cleanups: list[Cleanup] = field(default_factory=list)
    _unreachable_in_a_row: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def failed(self, nodeid: str, kind: FailureKind, message: str) -> None:
        """A test failed; `message` is already redacted."""
        with self._lock:
            self.failures[kind].append((nodeid, " ".join(message.split())[:_EXCERPT]))
            self._unreachable_in_a_row = self._unreachable_in_a_row + 1 if kind == "unreachable" else 0

    def passed_one(self, nodeid: str) -> None:
        """A test passed."""
        with self._lock:
            self.passed_tests.add(nodeid)
            self._unreachable_in_a_row = 0

    @property
    def passed(self) -> int:
        """How many tests passed (as pytest counts them, when it said)."""
        return self.passed_count if self.passed_count is not None else len(self.passed_tests)

    def cleanup_summary(self, name_prefix: str) -> str:
        """One line on what cleanup left."""
        if not self.cleanups:
            return "no keys created"
        verified = all(cleanup.verified for cleanup in self.cleanups)
        return f"{len(self._left_ids())} keys named {name_prefix}* left after cleanup" + (
            "" if verified else " (not verified: cleanup could not list the keys)"
        )

    def skipped_one(self) -> None:
        """A test was skipped (it says why)."""
        with self._lock:
            self.skipped += 1

    def cleaned(self, cleanup: Cleanup) -> None:
        """One client's cleanup finished; keep its account beside the others'."""
        with self._lock:
            self.cleanups.append(cleanup)

    def should_stop(self) -> str | None:
        """Why the run should stop now, or None to go on."""
        if self.failures["budget"]:
            return "the request budget is spent"
        if self.failures["slow"]:
            return "the target answers too slowly"
        if self._unreachable_in_a_row >= STOP_AFTER_UNREACHABLE:
            return f"the target did not answer {self._unreachable_in_a_row} tests in a row"
        return None

    def verdict(  # noqa: PLR0911 - one return per way a run ends, in order of precedence
        self, *, target: str, run_id: str, name_prefix: str, interrupted: bool = False, embedded: bool = False
    ) -> Verdict:
        """How the run ended; see `contract_tests.verdict` for the statuses.

        `embedded`: the target was the embedded reference server, whose keys end with the run.
        """
        left = self._left_behind(target, run_id, name_prefix, embedded=embedded)
        if self.early is not None:
            return _with_details(self.early, left)
        if self.failures["budget"]:
            return _with_details(
                Verdict(
                    ExitStatus.SUITE_ERROR,
                    "the run stopped: its request budget is spent.",
                    "Raise CONTRACT_REQUEST_BUDGET (0 for no limit), or run fewer tests (ARGS=-k ...).",
                ),
                left,
            )
        if self.failures["slow"]:
            _, message = self.failures["slow"][0]
            return _with_details(
                Verdict(
                    ExitStatus.UNREACHABLE,
                    message.removeprefix("contract_tests.traffic.SlowTargetError: "),
                    "At that pace a run would take hours; the run stopped instead of waiting for it.",
                ),
                left,
            )
        contract, unreachable = self.failures["contract"], self.failures["unreachable"]
        if contract:
            nodeid, message = contract[0]
            return _with_details(
                Verdict(
                    ExitStatus.CONTRACT_BROKEN,
                    f"the server broke the contract: {len(contract)} tests failed; the first, {nodeid}: "
                    f"{message}",
                    "reports/contract-summary.md names each operation, check and reproduction.",
                ),
                left,
            )
        if unreachable:
            nodeid, message = unreachable[0]
            return _with_details(
                Verdict(
                    ExitStatus.UNREACHABLE,
                    f"the target stopped answering during the run: {len(unreachable)} tests met a connection "
                    f"error or a timeout; the first, {nodeid}: {message}",
                    "Check the server's health (and LAVA_PROXY_URL, if the usage tests failed), then run "
                    "again.",
                ),
                left,
            )
        if interrupted:
            return _with_details(Verdict(ExitStatus.INTERRUPTED, "the run was interrupted."), left)
        if left:
            return Verdict(
                ExitStatus.KEYS_LEFT_BEHIND,
                f"the contract held ({self.passed} tests passed), but cleanup could not finish: "
                f"{len(self._left_ids())} keys of this run known by id may be left on the target.",
                left[0],
                left[1:],
            )
        if not self.passed:
            return Verdict(
                ExitStatus.SUITE_ERROR,
                "no test ran.",
                "Check ARGS (a -k that selects nothing?) and the output above.",
            )
        return Verdict(
            ExitStatus.OK,
            f"the server honours the contract: {self.passed} tests passed"
            + (f", {self.skipped} skipped (each says which variable would run it)." if self.skipped else "."),
        )

    def _left_ids(self) -> list[str]:
        return sorted({spend_key_id for cleanup in self.cleanups for spend_key_id in cleanup.left})

    def _left_behind(self, target: str, run_id: str, name_prefix: str, *, embedded: bool) -> tuple[str, ...]:
        """Lines about the keys this run may have left, or nothing when there are none."""
        ids = self._left_ids()
        problems = [problem for cleanup in self.cleanups for problem in cleanup.problems]
        if not ids and not problems:
            return ()
        shown = ", ".join(ids[:_SHOWN_IDS]) + (
            f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else ""
        )
        lines = [
            f"Keys of this run (named {name_prefix}*) that may be left: {shown or 'none known by id'}.",
            *(f"cleanup: {problem}" for problem in problems[:5]),
            EMBEDDED_KEYS_GONE if embedded else _sweep_line(target, run_id),
        ]
        return tuple(lines)


def _sweep_line(target: str, run_id: str) -> str:
    return (
        f"Sweep them: make contract-cleanup LAVA_BASE_URL={target} LAVA_API_KEY=... CONTRACT_RUN_ID={run_id}"
    )


def _with_details(verdict: Verdict, details: tuple[str, ...]) -> Verdict:
    return Verdict(verdict.status, verdict.headline, verdict.advice, (*verdict.details, *details))
