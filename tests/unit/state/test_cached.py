from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from pipeline.state.cached import CachedStore
from tests.unit.stores import TableLikeStore


class CountingStore(TableLikeStore):
    """Counts reads, each of which decodes JSON as a faust table does."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: Counter[str] = Counter()

    def __getitem__(self, key: str) -> Any:
        self.reads[key] += 1
        return super().__getitem__(key)


@pytest.mark.parametrize("kept", [1, 3, 100])
def test_reads_writes_and_deletes_behave_as_a_dict(kept: int) -> None:
    rng = random.Random(kept)
    cached, plain = CachedStore(TableLikeStore(), kept), dict[str, Any]()
    for _ in range(2000):
        key = f"k{rng.randrange(8)}"
        action = rng.random()
        if action < 0.4:
            assert cached.get(key) == plain.get(key)
            assert (key in cached) == (key in plain)
        elif action < 0.8:
            cached[key] = plain[key] = {"n": rng.randrange(100)}
        elif key in plain:
            del cached[key], plain[key]
        else:
            with pytest.raises(KeyError):
                del cached[key]


def test_a_hot_key_is_decoded_once_and_a_miss_is_kept_too() -> None:
    table = CountingStore()
    table["hot"] = {"members": [1, 2, 3]}
    cached = CachedStore(table, 2)
    assert [cached["hot"] for _ in range(5)][-1] == {"members": [1, 2, 3]}
    assert cached.get("absent") is None
    assert cached.get("absent") is None
    assert table.reads == Counter({"hot": 1, "absent": 1})


def test_the_least_recently_used_go_first() -> None:
    table = CountingStore()
    for key in "abc":
        table[key] = key
    cached = CachedStore(table, 2)
    cached.get("a"), cached.get("b"), cached.get("a"), cached.get("c")  # b goes
    table.reads.clear()
    cached.get("a"), cached.get("c"), cached.get("b")
    assert table.reads == Counter({"b": 1})


def test_after_clear_cache_reads_see_what_changed_behind_it() -> None:
    table = TableLikeStore()
    cached = CachedStore(table, 10)
    cached["k"] = 1
    table["k"] = 2  # as faust restoring the table from its changelog
    assert cached["k"] == 1
    cached.clear_cache()
    assert cached["k"] == 2
