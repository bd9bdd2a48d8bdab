"""A store's latest values kept decoded, in front of a faust table.

A faust table on RocksDB decodes a value's JSON on every read, and a decider reads
the same keys again and again: the clusters of a story that every new article's
claims are scored against. ``CachedStore`` keeps the most recently used values
(and misses) as read or written, so a read of a hot key costs a dict lookup.

It serves what a dict store serves (the same object that was written), so the
deciders behave as they do in ``newsline extract``. Every write must go through
it; a table changed behind it (faust restoring the table from its changelog when
its partition is assigned) needs ``clear`` first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from pipeline.state.store import Store

_ABSENT = object()


class CachedStore(Store):
    """``store`` with its ``size`` most recently used values kept."""

    def __init__(self, store: Store, size: int) -> None:
        self._store = store
        self._size = size
        self._kept: OrderedDict[str, Any] = OrderedDict()

    def __getitem__(self, key: str) -> Any:
        try:
            value = self._kept[key]
            self._kept.move_to_end(key)
        except KeyError:
            value = self._store.get(key, _ABSENT)
            self._keep(key, value)
        if value is _ABSENT:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._store[key] = value
        self._keep(key, value)

    def __delitem__(self, key: str) -> None:
        del self._store[key]
        self._keep(key, _ABSENT)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, _ABSENT) is not _ABSENT

    def __iter__(self) -> Iterator[str]:
        return iter(self._store)

    def __len__(self) -> int:
        return len(self._store)

    def clear_cache(self) -> None:
        """Forget every kept value: the next reads go to the store."""
        self._kept.clear()

    def _keep(self, key: str, value: Any) -> None:
        self._kept[key] = value
        self._kept.move_to_end(key)
        if len(self._kept) > self._size:
            self._kept.popitem(last=False)
