"""The event-time window of a stateful decider (dedupe, corroborate).

Both keep, in their ``state`` store, a decision counter (``seq``) and a watermark
(the latest event time seen), and in an ``expiry`` store one entry per article keyed
``<event hour>|<seq>|<article_id>``, zero-padded so that ascending key order (which
RocksDB gives) is event-time order. Expiring walks that store from its start and
stops at the first live entry, so a sweep costs what it removes, never a scan.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime
from itertools import islice, takewhile
from typing import Any

SEQ = "seq"
WATERMARK = "watermark"

Store = MutableMapping[str, Any]


class EventWindow:
    """The decision counter, the watermark and the expiry entries of one decider."""

    def __init__(self, state: Store, expiry: Store, *, hours: float) -> None:
        self._state = state
        self._expiry = expiry
        self._window_s = hours * 3600

    def advance(self, time: float) -> float:
        """Move the watermark to ``time`` if later; returns the oldest live time."""
        watermark = self._state.get(WATERMARK)
        if watermark is None or time > watermark:
            self._state[WATERMARK] = watermark = time
        return float(watermark) - self._window_s

    def next_seq(self) -> int:
        """The number of the decision being made (1, 2, ...)."""
        seq = int(self._state.get(SEQ, 0)) + 1
        self._state[SEQ] = seq
        return seq

    def enter(self, time: float, seq: int, article_id: str) -> str:
        """Record an article's expiry entry; returns its key."""
        key = expiry_key(time, seq, article_id)
        self._expiry[key] = time
        return key

    def due(self, *, now: datetime, limit: int | None = None) -> list[str]:
        """Expiry keys of the articles that left the window, oldest first."""
        watermark = self._state.get(WATERMARK)
        if watermark is None:
            return []
        # ``now`` only holds the sweep back when event times run ahead of the clock.
        oldest = min(epoch_seconds(now), watermark) - self._window_s
        # Keys within one hour are in decision order, not time order, so the walk
        # may stop short of an expired entry of that hour; the next sweep takes it.
        expired = takewhile(lambda entry: entry[1] < oldest, self._expiry.items())
        return [key for key, _ in islice(expired, limit)]

    def leave(self, key: str) -> None:
        """Drop an expiry entry once its article is forgotten."""
        del self._expiry[key]


def expiry_key(time: float, seq: int, article_id: str) -> str:
    """An expiry entry's key; ascending key order is event-time order."""
    # Times before 1970 would print a minus sign and sort wrongly; they are past any
    # window anyway, so they share hour 0.
    hour = max(0, int(time // 3600))
    return f"{hour:010d}|{seq:012d}|{article_id}"


def article_of_expiry(key: str) -> str:
    """The article_id in an expiry key."""
    return key.split("|", 2)[2]


def epoch_seconds(moment: datetime) -> float:
    """A time as epoch seconds; a naive time is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
