"""Values derived from an aggregate, computed once per version of the object they come from.

A query reads the repository's cached aggregate itself, which is never changed in place (see
``domain.kernel.repository``), so what is derived from it (every party's cost share split exactly over
all the parties, say) is the same for every request until a newer version replaces it. A command's
own copy is another object: it starts without memos, and each event it triggers moves its version on,
so nothing derived from an earlier state is ever handed out.

Nothing is stored on the aggregate (its state is what snapshots hold); the memos live here, keyed by
the object's identity and forgotten when the object is.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_MEMOS: dict[tuple[int, str], tuple[weakref.ref[Any], int, Any]] = {}
_LOCK = threading.Lock()


def per_version(aggregate: Any, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` for this object at its current version, from the memo when it was computed before.

    The value is shared between callers: they must not change it (hand out copies of mutable values).
    """
    key = (id(aggregate), name)
    found = _MEMOS.get(key)
    if found is not None and found[0]() is aggregate and found[1] == aggregate.version:
        return found[2]  # type: ignore[no-any-return]
    version = aggregate.version
    value = compute()

    def forget(ref: weakref.ref[Any], key: tuple[int, str] = key) -> None:
        with _LOCK:
            held = _MEMOS.get(key)
            if held is not None and held[0] is ref:
                del _MEMOS[key]

    with _LOCK:
        _MEMOS[key] = (weakref.ref(aggregate, forget), version, value)
    return value
