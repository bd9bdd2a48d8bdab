"""A bounded memo of values built from stored records.

A cluster's founding and latest figures and members are read again by every claim
that joins it; building their published models each time cost most of a decision
in a big story. Stored records are never changed in place (a change writes a new
one), so a value built from one stays right as long as its key names the record's
content; the memo only has to stay bounded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """The latest ``size`` values built, by key; the least recently used go first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, build: Callable[[], V]) -> V:
        """The value kept for ``key``, or ``build()`` kept for it."""
        try:
            self._values.move_to_end(key)
            return self._values[key]
        except KeyError:
            value = self._values[key] = build()
            if len(self._values) > self._size:
                self._values.popitem(last=False)
            return value
