"""The bounded memo that keeps published forms of stored records."""

from __future__ import annotations

from pipeline.corroborate.cache import Memo


class Counted:
    """Gets keys from a memo, noting each value it had to build."""

    def __init__(self, size: int) -> None:
        self.memo: Memo[str, str] = Memo(size)
        self.built: list[str] = []

    def get(self, key: str) -> str:
        return self.memo.get(key, lambda: self._build(key))

    def _build(self, key: str) -> str:
        self.built.append(key)
        return key.upper()


def test_a_value_is_built_once_while_kept() -> None:
    counted = Counted(2)
    assert [counted.get("a"), counted.get("a")] == ["A", "A"]
    assert counted.built == ["a"]


def test_the_least_recently_used_goes_first() -> None:
    counted = Counted(2)
    for key in ["a", "b", "a", "c", "a", "b"]:  # c pushes b out, not a
        counted.get(key)
    assert counted.built == ["a", "b", "c", "b"]


def test_a_memo_of_size_zero_keeps_nothing() -> None:
    counted = Counted(0)
    counted.get("a")
    counted.get("a")
    assert counted.built == ["a", "a"]
