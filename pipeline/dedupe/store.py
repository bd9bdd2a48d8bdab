"""An in-memory store for the dedupe index when there is no faust table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any


class OrderedKeys(MutableMapping[str, Any]):
    """A dict whose keys iterate in ascending order, as a RocksDB table's do.

    DedupeIndex walks its expiry store from the oldest key; a plain dict would
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
