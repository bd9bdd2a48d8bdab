"""A store that behaves as a decider's faust table does, for the deciders' tests."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, MutableMapping
from typing import Any


class TableLikeStore(MutableMapping[str, Any]):
    """Values round-trip through JSON, as in a faust table, and scans fail: a
    RocksDB-backed table must never be scanned or counted. ``writes`` counts the
    sets and deletes per key: each would be a changelog record."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.writes: Counter[str] = Counter()

    def __getitem__(self, key: str) -> Any:
        return json.loads(self.data[key])

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = json.dumps(value)
        self.writes[key] += 1

    def __delitem__(self, key: str) -> None:
        del self.data[key]
        self.writes[key] += 1

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the state store was scanned")

    def __len__(self) -> int:
        raise AssertionError("the state store was counted")
