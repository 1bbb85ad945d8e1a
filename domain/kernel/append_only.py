"""Copying aggregates whose long collections only ever grow: the copy shares their entries.

Commands work on a deep copy of a cached aggregate (see ``domain.kernel.repository``). For an
aggregate that keeps a list or dict of every payment or archive id it ever saw, a deep copy walks
every entry in Python, on every command: the cost of a write grows with the history. Entries that are
never changed once added (immutable values, or dicts no code writes to after appending them) need no
copy: a new container holding the same entries keeps the original unchanged when the copy grows.
"""

from __future__ import annotations

from copy import copy, deepcopy
from typing import Any, ClassVar


class AppendOnlyCopy:
    """Mixed into an aggregate: ``APPEND_ONLY`` names its collections whose entries are never changed
    in place (only added); a deep copy gives them new containers of the same entries."""

    APPEND_ONLY: ClassVar[tuple[str, ...]] = ()

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            clone.__dict__[name] = copy(value) if name in self.APPEND_ONLY else deepcopy(value, memo)
        return clone
