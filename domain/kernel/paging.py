"""Pages of a list after a cursor: the items that follow the one a page ended with."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")


def items_after(items: Sequence[T], after: Hashable | None, key: Callable[[T], Hashable] | None = None) -> list[T]:
    """The items after the one whose key (``key(item)``, default the item) is ``after``: all of them
    without a cursor, none for a cursor that is no item's (a page never starts over)."""
    if after is None:
        return list(items)
    keys = [item if key is None else key(item) for item in items]
    return list(items[keys.index(after) + 1:]) if after in keys else []
