"""The key-value stores the deciders keep their state in.

In the worker they are faust tables (RocksDB, or memory, backed by a changelog);
``newsline extract`` and the tests use a dict and an ``OrderedKeys``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

#: What a decider reads and writes: a faust table, or a dict.
Store = MutableMapping[str, Any]


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

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"OrderedKeys({dict(self.items())!r})"
