"""The key-value stores the deciders keep their state in.

In the worker they are faust tables (RocksDB, or memory, backed by a changelog);
``newsline extract`` and the tests use a dict and an ``OrderedKeys``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from itertools import dropwhile
from typing import Any, Protocol, runtime_checkable

#: What a decider reads and writes: a faust table, or a dict.
Store = MutableMapping[str, Any]


@runtime_checkable
class Seekable(Protocol):
    """A store that can start a walk in key order at a given key, as RocksDB
    seeks, instead of stepping over every key (and tombstone) before it."""

    def items_from(self, key: str) -> Iterable[tuple[str, Any]]: ...


def items_from(store: Store, key: str | None) -> Iterable[tuple[str, Any]]:
    """``store``'s items in its key order, from the first key not below ``key``
    (from the first key when None)."""
    if key is None:
        return store.items()
    if isinstance(store, Seekable):
        return store.items_from(key)
    # A store that cannot seek steps over the keys before it.
    return dropwhile(lambda item: item[0] < key, store.items())


class OrderedKeys(MutableMapping[str, Any]):
    """A dict whose keys iterate in ascending order, as a RocksDB table's do.

    The deciders walk their expiry stores from the oldest key; a plain dict would
    iterate in insertion order, which is decision order, not event-time order.
    Iteration sorts, so it costs O(n log n): fine for one sweep now and then.
    """

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = dict(items or {})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._data))

    def items_from(self, key: str) -> Iterator[tuple[str, Any]]:
        """The items from ``key`` on, in ascending key order."""
        keys = sorted(self._data)
        for found in keys[bisect_left(keys, key) :]:
            yield found, self._data[found]

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"OrderedKeys({dict(self.items())!r})"
