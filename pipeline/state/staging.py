"""A store's writes held back and sent once per key: one changelog record each.

A faust table sends a changelog record for every assignment. A decision that
updates one key several times (a posting list shared by several claims of one
article) would send each intermediate value; staged, only the last is sent.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from pipeline.state.store import Store

_DELETED = object()


class StagedWrites(MutableMapping[str, Any]):
    """Reads see every write so far; ``store`` gets them at ``commit``, in the
    order keys were first written, each key once."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        value = self._pending.get(key, self._store.get(key, _DELETED))
        if value is _DELETED:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._pending[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._pending[key] = _DELETED

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a staged store is read by key only")

    def __len__(self) -> int:
        raise TypeError("a staged store is read by key only")

    def commit(self) -> int:
        """Apply the writes to the store; returns how many keys were written."""
        for key, value in self._pending.items():
            if value is _DELETED:
                self._store.pop(key, None)
            else:
                self._store[key] = value
        written = len(self._pending)
        self._pending.clear()
        return written
