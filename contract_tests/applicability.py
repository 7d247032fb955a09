"""Which tests apply to the run's spec: a property that one version of Lava's API has and another lacks.

A test of what only some specs declare (v2's totals, a create field's `default`, a list's `minItems`)
carries `applies_if(condition, reason)`, its condition read from the spec (`bounds.Bounds`), never from
the version's name. Where the condition does not hold, conftest.py deselects the test before the run and
says so, with the reason, in the terminal summary and in reports/contract-summary.md: a property the spec
does not declare is visibly not tested, rather than quietly skipped or quietly passed.

It decides nothing about an answer, and sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

MARK = "applies_if"
MARK_HELP = f"{MARK}(condition, reason): run the test only where the spec declares what it checks"


def applies_if(condition: object, reason: str) -> pytest.MarkDecorator:
    """Mark a test that applies only where `condition`, a fact of the spec, holds.

    `reason` says what the spec lacks where it does not ("the spec's SpendKey shows no totals").
    """
    mark: pytest.MarkDecorator = getattr(pytest.mark, MARK)
    return mark(bool(condition), reason=reason)


def inapplicable(items: Iterable[pytest.Item]) -> dict[str, str]:
    """The node ids of `items` whose spec lacks what they check, each with the reason."""
    found: dict[str, str] = {}
    for item in items:
        for mark in item.iter_markers(MARK):
            if not mark.args[0]:
                found[item.nodeid] = str(mark.kwargs["reason"])
                break
    return found
