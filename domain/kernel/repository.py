"""A repository whose cached aggregates are never changed in place, so threads can share them.

The library's ``Repository.get`` brings a cached aggregate up to date by applying newer events to the
cached object itself (under a per-aggregate lock), then deep-copies it for the caller outside that
lock, and ``deepcopy_from_cache=False`` hands the cached object to readers as it is. A thread copying
or reading the object while another applies events to it fails (``dictionary changed size during
iteration``) or sees half an event. Here the newer events are applied to a copy, which then replaces
the cached object: what is in the cache is never mutated again, so copying or reading it needs no lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy
from typing import Any

from eventsourcing.application import AggregateNotFoundError, Repository, project_aggregate


class CopyOnWriteRepository(Repository[Any]):
    """The library's repository, with fast-forward by copy: cached aggregates are immutable."""

    def get(self, aggregate_id: Any, *, version: int | None = None, projector_func: Any = project_aggregate,
            fastforward_skipping: bool = False, deepcopy_from_cache: bool = True) -> Any:
        """An aggregate: from the cache brought up to date, or rebuilt; a private copy unless told not."""
        if not self.cache or version is not None:
            return super().get(aggregate_id, version=version, projector_func=projector_func,
                               fastforward_skipping=fastforward_skipping,
                               deepcopy_from_cache=deepcopy_from_cache)
        try:
            aggregate = self.cache.get(aggregate_id)
        except KeyError:
            aggregate = self._reconstruct_aggregate(aggregate_id, None, projector_func)
            self.cache.put(aggregate_id, aggregate)
        else:
            if self.fastforward:
                blocking = not (fastforward_skipping or self.fastforward_skipping)
                aggregate = self._fast_forward(aggregate_id, aggregate, projector_func, blocking)
        if deepcopy_from_cache and self.deepcopy_from_cache:
            aggregate = deepcopy(aggregate)
        return aggregate

    def _fast_forward(self, aggregate_id: Any, cached: Any, projector_func: Any, blocking: bool) -> Any:
        # One thread at a time per aggregate applies newer events, to a copy it then caches; a thread
        # that waited for the lock starts from what the one before it cached.
        lock = self._use_fastforward_lock(aggregate_id)
        try:
            if not lock.acquire(blocking=blocking):
                return cached
            try:
                try:
                    cached = self.cache.get(aggregate_id)  # type: ignore[union-attr]
                except KeyError:
                    pass  # evicted meanwhile: go on from the object in hand
                newer = list(self.event_store.get(originator_id=aggregate_id, gt=cached.version))
                if not newer:
                    return cached
                moved = projector_func(deepcopy(cached), newer)
                if moved is None:
                    raise AggregateNotFoundError(aggregate_id)
                self.cache.put(aggregate_id, moved)  # type: ignore[union-attr]
                return moved
            finally:
                lock.release()
        finally:
            self._disuse_fastforward_lock(aggregate_id)

    def refresh(self, aggregates: Iterable[Any]) -> None:
        """Cache aggregates just saved (and no longer changed by anyone) in place of older cached ones.

        Only aggregates already in the cache are refreshed, so the records a write saves once (an
        idempotency record, say) do not push the working set out of it.
        """
        if not self.cache:
            return
        for aggregate in aggregates:
            try:
                cached = self.cache.get(aggregate.id)
            except KeyError:
                continue
            if cached.version < aggregate.version:
                self.cache.put(aggregate.id, aggregate)
