"""Walking the spend-key list page by page, and naming a list that cannot end.

`walk_pages` follows `next_cursor` from one page to the next. A list that would never end is named at
once, as a `ContractViolation`: a `next_cursor` that is missing or seen before (the walk would go round in
circles), `has_more` on a page that brings no key not listed before, or more than `MAX_LIST_PAGES`
pages. It does not check the pages' contents; every answer is observed where it is received
(observation.py), and tests assert on the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from contract_tests.observation import ContractViolation, expect
from contract_tests.typed_client import Response, SpendKeyList

# Far more pages than any wallet under test holds; a list still going after this many does not end.
MAX_LIST_PAGES = 1000


def walk_pages(
    list_page: Callable[[str | None, int], Response[Any]], cursor: str | None, limit: int
) -> Iterator[SpendKeyList]:
    """The pages `list_page(cursor, limit)` answers, from the one after `cursor` (None: the first) on."""
    cursors: set[str] = set()
    seen: set[str] = set()
    for _ in range(MAX_LIST_PAGES):
        page = expect(list_page(cursor, limit), 200, SpendKeyList)
        yield page
        if not page.has_more:
            return
        fresh = {item.spend_key_id for item in page.data} - seen
        seen |= fresh
        if not isinstance(page.next_cursor, str):
            raise ContractViolation("list_spend_keys answered has_more=true without a next_cursor")
        if page.next_cursor in cursors or page.next_cursor == cursor:
            raise ContractViolation(
                "list_spend_keys answered a next_cursor that leads back to a page already listed: the "
                "list would never end"
            )
        if not fresh:
            raise ContractViolation(
                "list_spend_keys answered has_more=true on a page with no key not listed before: the "
                "list would never end"
            )
        cursors.add(page.next_cursor)
        cursor = page.next_cursor
    raise ContractViolation(
        f"list_spend_keys still answered has_more=true after {MAX_LIST_PAGES} pages: it does not end"
    )
