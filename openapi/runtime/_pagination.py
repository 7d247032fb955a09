"""Auto-pagination: every item of a cursor-paginated list, fetched a page at a time, only when needed.

A page is Lava's list shape: `data` (the items), `has_more` and `next_cursor`. The next page is asked
for only when the items already fetched run out, so stopping early costs no extra request. The
generated list operations build their `sync_iter` and `asyncio_iter` on these two functions.

It does not retry or raise typed errors itself: each page is fetched by the operation's own `sync` or
`asyncio`, which do both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Protocol, TypeVar

from .errors import PaginationError
from .types import Unset

Item_co = TypeVar("Item_co", covariant=True)


class Page(Protocol[Item_co]):
    """What a page of a cursor-paginated list has."""

    @property
    def data(self) -> Sequence[Item_co]: ...

    @property
    def has_more(self) -> bool: ...

    @property
    def next_cursor(self) -> str | Unset | None: ...


def iterate(
    fetch_page: Callable[[str | Unset], Page[Item_co]], first_cursor: str | Unset
) -> Iterator[Item_co]:
    """Yield every item of every page, from the page at `first_cursor` on."""
    cursor = first_cursor
    while True:
        page = fetch_page(cursor)
        yield from page.data
        next_cursor = _next_cursor(page, cursor)
        if next_cursor is None:
            return
        cursor = next_cursor


async def aiterate(
    fetch_page: Callable[[str | Unset], Awaitable[Page[Item_co]]], first_cursor: str | Unset
) -> AsyncIterator[Item_co]:
    """The async twin of `iterate`."""
    cursor = first_cursor
    while True:
        page = await fetch_page(cursor)
        for item in page.data:
            yield item
        next_cursor = _next_cursor(page, cursor)
        if next_cursor is None:
            return
        cursor = next_cursor


def _next_cursor(page: Page[object], cursor: str | Unset) -> str | None:
    """The cursor of the page after `page`, or None when `page` is the last one."""
    if not page.has_more:
        return None
    if not isinstance(page.next_cursor, str) or not page.next_cursor:
        raise PaginationError(
            "a page says has_more but gives no next_cursor, so the next page cannot be asked for"
        )
    if page.next_cursor == cursor:
        raise PaginationError(
            f"the server answered next_cursor {page.next_cursor!r} for the page at that same cursor; "
            "following it would fetch the same page forever"
        )
    return page.next_cursor
