"""Schemathesis's settings for the contract suite: every phase, both modes, every check.

One place for them, so that the suite (conftest.py) and the tests that check what the suite sends
(tests/suite/test_framing.py, tests/suite/test_contract_config.py) use the same settings. It takes the
examples per operation and the seed from the run's `Settings` (`CONTRACT_MAX_EXAMPLES`,
`CONTRACT_SEED`); it loads no spec and sends nothing.
"""

from __future__ import annotations

import schemathesis

from contract_tests.checks import CUSTOM_CHECKS
from contract_tests.settings import Settings, current
from contract_tests.target import Target


def contract_config(
    target: Target, suite: Settings | None = None, *, max_examples: int | None = None
) -> schemathesis.Config:
    """Schemathesis's settings for the contract: every phase, both modes, every check.

    `suite` defaults to this process's settings; `max_examples` overrides theirs.
    """
    suite = suite or current()
    if max_examples is None:
        max_examples = suite.max_examples
    seed = suite.seed
    return schemathesis.Config.from_dict(
        {
            # A fixed seed makes a run repeatable (pass the same one to --hypothesis-seed for the rest).
            **({"seed": seed} if seed is not None else {}),
            "base-url": target.base_url,
            # The token is given as the spec's bearer scheme, so that ignored_auth knows what to take
            # away, and security parameters are not generated, so that negative mode never mutates the
            # token: otherwise most negative cases die at 401 before their body is ever read.
            "auth": {"openapi": {"bearerAuth": {"bearer": target.token}}},
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "with-security-parameters": False,
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                # Only the links the spec declares: links inferred from list responses make the rules that
                # are enabled depend on what the (shared, growing) server holds, and Hypothesis then sees
                # a replayed prefix draw differently (FlakyStrategyDefinition).
                "stateful": {"enabled": True, "inference": {"algorithms": []}},
            },
            "checks": {"enabled": True},
            "request-timeout": 30,
        }
    )


def enabled_checks(config: schemathesis.Config) -> tuple[str, ...]:
    """The names of the checks `config` runs on each case: the enabled built-ins, then ours."""
    checks = config.projects.default.checks
    built_in = [
        name
        for name in dir(checks)
        if not name.startswith("_") and getattr(getattr(checks, name), "enabled", False) is True
    ]
    return (*built_in, *CUSTOM_CHECKS)
