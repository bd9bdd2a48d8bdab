"""StagedWrites: a decision's writes reach the store once per key, at commit."""

from __future__ import annotations

import pytest

from pipeline.state.staging import StagedWrites
from tests.unit.stores import TableLikeStore


def test_reads_see_writes_before_the_store_does() -> None:
    store = TableLikeStore()
    store["kept"] = [1]
    staged = StagedWrites(store)
    staged["new"] = [1]
    staged["new"] = [1, 2]
    assert staged["new"] == [1, 2]
    assert staged["kept"] == [1]
    assert "new" not in store.data
    assert staged.commit() == 1
    assert store["new"] == [1, 2]
    assert store.writes["new"] == 1


def test_deletes_are_staged_too() -> None:
    store = TableLikeStore()
    store["gone"] = 1
    staged = StagedWrites(store)
    del staged["gone"]
    assert "gone" not in staged
    assert staged.get("gone") is None
    assert "gone" in store.data
    with pytest.raises(KeyError):
        del staged["never"]
    staged["gone"] = 2
    del staged["gone"]
    staged.commit()
    assert "gone" not in store.data


def test_commit_writes_in_first_written_order_and_empties() -> None:
    order: list[str] = []

    class Recording(dict[str, object]):
        def __setitem__(self, key: str, value: object) -> None:
            order.append(key)
            super().__setitem__(key, value)

    staged = StagedWrites(Recording())
    for key in ["b", "a", "b", "c"]:
        staged[key] = key
    staged.commit()
    assert order == ["b", "a", "c"]
    assert staged.commit() == 0
