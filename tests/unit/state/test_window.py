from __future__ import annotations

from collections.abc import ItemsView, Iterator
from datetime import UTC, datetime
from typing import Any

from pipeline.state import OrderedKeys, Store
from pipeline.state.window import (
    REWIND_EVERY,
    EventWindow,
    article_of_expiry,
    expiry_key,
)

HOUR = 3600.0


def test_key_order_is_time_order() -> None:
    keys = [expiry_key(t, seq, f"a{seq}") for seq, t in enumerate([5e9, 2 * HOUR, 0])]
    assert sorted(keys) == list(reversed(keys))
    assert article_of_expiry(keys[0]) == "a0"


def test_due_walks_from_the_oldest_and_stops_at_the_first_live_entry() -> None:
    state: dict[str, object] = {}
    window = EventWindow(state, OrderedKeys(), hours=1)
    start = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    entered = [
        window.enter(start + i * HOUR, window.next_seq(), f"a{i}") for i in range(4)
    ]
    assert window.advance(start + 3 * HOUR) == start + 2 * HOUR
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert window.due(now=now) == entered[:2]
    assert window.due(now=now, limit=1) == entered[:1]
    assert window.sweep(lambda key, state: None, now=now, limit=1) == 1
    assert window.due(now=now) == entered[1:2]


class _Counted(dict[str, object]):
    writes = 0

    def __setitem__(self, key: str, value: object) -> None:
        self.writes += 1
        super().__setitem__(key, value)


def test_a_sweep_writes_a_key_its_articles_share_once() -> None:
    state = _Counted()
    expiry = OrderedKeys()
    window = EventWindow(state, expiry, hours=1)
    for i in range(3):
        window.enter(i * 60.0, window.next_seq(), f"a{i}")
    window.advance(3 * HOUR)
    state.writes = 0
    seen: list[str] = []

    def forget(key: str, staged: Store) -> None:
        seen.append(article_of_expiry(key))
        staged["bucket"] = [*staged.get("bucket", []), article_of_expiry(key)]
        assert "bucket" not in state  # held back until the sweep's end

    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert window.sweep(forget, now=now, limit=None) == 3
    assert seen == ["a0", "a1", "a2"]
    assert state["bucket"] == seen
    assert state.writes == 1
    assert list(expiry) == []


def test_the_wall_clock_holds_the_sweep_back() -> None:
    window = EventWindow({}, OrderedKeys(), hours=1)
    window.enter(0.0, window.next_seq(), "old")
    window.advance(10 * HOUR)  # an event time far ahead of the clock below
    assert window.due(now=datetime.fromtimestamp(0.5 * HOUR, UTC)) == []


class _Seeks(OrderedKeys):
    """An ordered store that records where each walk started."""

    def __init__(self) -> None:
        super().__init__()
        self.starts: list[str | None] = []

    def items_from(self, key: str) -> Iterator[tuple[str, Any]]:
        self.starts.append(key)
        return super().items_from(key)

    def items(self) -> ItemsView[str, Any]:
        self.starts.append(None)
        return super().items()


def _spaced(window: EventWindow, count: int) -> list[str]:
    return [window.enter(i * 60.0, window.next_seq(), f"a{i}") for i in range(count)]


def test_a_walk_starts_where_the_last_sweep_stopped() -> None:
    expiry = _Seeks()
    window = EventWindow({}, expiry, hours=1)
    entered = _spaced(window, 6)
    window.advance(HOUR + 150.0)  # the first three left the window
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert window.sweep(lambda key, state: None, now=now, limit=2) == 2
    assert window.sweep(lambda key, state: None, now=now, limit=2) == 1
    assert expiry.starts == [None, entered[1]]
    assert list(expiry) == entered[3:]


def test_an_entry_below_where_walks_start_is_still_found() -> None:
    expiry = _Seeks()
    window = EventWindow({}, expiry, hours=1)
    for hour in range(4):
        window.enter(hour * HOUR, window.next_seq(), f"a{hour}")
    window.advance(3.5 * HOUR)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert window.sweep(lambda key, state: None, now=now, limit=None) == 3
    # Out of the window already, in an hour the sweep has left behind.
    late = window.enter(0.5 * HOUR, window.next_seq(), "late")
    assert window.due(now=now) == [late]


def test_a_walk_now_and_then_starts_from_the_first_key() -> None:
    """Keys the window did not write (a table restored from its changelog) may
    sit below where its walks start: one walk in REWIND_EVERY finds them."""
    expiry = _Seeks()
    window = EventWindow({}, expiry, hours=1)
    _spaced(window, 4)
    window.advance(HOUR + 90.0)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    forgotten: list[str] = []

    def forget(key: str, state: Store) -> None:
        forgotten.append(key)

    window.sweep(forget, now=now, limit=None)
    restored = expiry_key(0.0, 0, "restored")
    expiry[restored] = 0.0
    for _ in range(REWIND_EVERY - 1):
        window.sweep(forget, now=now, limit=None)
    assert forgotten.count(restored) == 1
    assert restored not in expiry
    assert expiry.starts.count(None) == 2
