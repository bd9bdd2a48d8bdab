"""The event-time window of a stateful decider (dedupe, corroborate).

Both keep, in their ``state`` store, a decision counter (``seq``) and a watermark
(the latest event time seen), and in an ``expiry`` store one entry per article keyed
``<event hour>|<seq>|<article_id>``, zero-padded so that ascending key order (which
RocksDB gives) is event-time order. Expiring walks that store in key order and
stops at the first live entry, so a sweep reads what it removes, never the live
entries.

A walk starts where the last sweep stopped, not at the first key. RocksDB keeps
the entries a sweep deleted as tombstones until it compacts them, and a walk from
the first key steps over every one: tens of milliseconds once a long-running
worker has forgotten a few hundred thousand articles (bench/expiry_scan.py). An
entry written below that point (an article that arrives already out of the
window) moves it back. Every ``REWIND_EVERY`` walks one starts from the
first key, for what the window did not write itself: a table restored from its
changelog after its partition came back to this worker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import islice, takewhile

from pipeline.settings import EventTimeSettings
from pipeline.state.staging import StagedWrites
from pipeline.state.store import Store, items_from
from schemas import ArticleNote, EnrichedArticle

SEQ = "seq"
WATERMARK = "watermark"
#: One walk in this many starts from the first expiry key (see the module's doc).
REWIND_EVERY = 50


class EventWindow:
    """The decision counter, the watermark and the expiry entries of one decider."""

    def __init__(self, state: Store, expiry: Store, *, hours: float) -> None:
        self._state = state
        self._expiry = expiry
        self._window_s = hours * 3600
        # No expiry key is below it, but for a restored table (see REWIND_EVERY).
        self._floor: str | None = None
        self._walks = 0

    def advance(self, time: float) -> float:
        """Move the watermark to ``time`` if later; returns the oldest live time."""
        watermark = self._state.get(WATERMARK)
        if watermark is None or time > watermark:
            self._state[WATERMARK] = watermark = time
        return float(watermark) - self._window_s

    def hold(self, fallback: float) -> tuple[float, float]:
        """Where an article with no trusted time goes: at the watermark, which it
        does not move (at ``fallback``, its arrival, before there is one). Returns
        that time and the oldest live time."""
        watermark = self._state.get(WATERMARK)
        time = fallback if watermark is None else float(watermark)
        return time, time - self._window_s

    def next_seq(self) -> int:
        """The number of the decision being made (1, 2, ...)."""
        seq = int(self._state.get(SEQ, 0)) + 1
        self._state[SEQ] = seq
        return seq

    def enter(self, time: float, seq: int, article_id: str) -> str:
        """Record an article's expiry entry; returns its key."""
        key = expiry_key(time, seq, article_id)
        self._expiry[key] = time
        if self._floor is not None and key < self._floor:
            self._floor = key
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
        self._walks += 1
        if self._walks % REWIND_EVERY == 0:
            self._floor = None
        entries = items_from(self._expiry, self._floor)
        expired = takewhile(lambda entry: entry[1] < oldest, entries)
        return [key for key, _ in islice(expired, limit)]

    def sweep(
        self, forget: Callable[[str, Store], None], *, now: datetime, limit: int | None
    ) -> int:
        """``forget(key, state)`` each article that left the window (by its expiry
        key), oldest first, at most ``limit`` of them, then drop their expiry
        entries; returns how many. Lookups already ignore them: forgetting them
        bounds the stores.

        ``state`` holds the writes back (``StagedWrites``): a key that several of
        the articles change (a posting list, a cluster, a bucket) is written once,
        with its last value, and so sends one changelog record in the worker. The
        expiry entries go after those writes, so that a failure in between leaves
        the articles to the next sweep rather than their state for good."""
        due = self.due(now=now, limit=limit)
        staged = StagedWrites(self._state)
        for key in due:
            forget(key, staged)
        staged.commit()
        for key in due:
            del self._expiry[key]
        if due:
            # Every key up to the last one forgotten is gone: the next walk seeks.
            self._floor = due[-1]
        return len(due)


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


def event_time(
    article: EnrichedArticle, seen_at: datetime, bounds: EventTimeSettings
) -> float | None:
    """When the article happened, for the windows: its publication time when
    plausible, ``seen_at`` (its arrival) when it has none; None when its time is not
    to be trusted (implausible here, or found so by an earlier stage)."""
    if any(note.kind == "published_at_ignored" for note in article.notes):
        return None
    if article.published_at is None:
        return epoch_seconds(seen_at)
    if implausible_time(article, seen_at, bounds) is not None:
        return None
    return epoch_seconds(article.published_at)


def implausible_time(
    article: EnrichedArticle, seen_at: datetime, bounds: EventTimeSettings
) -> ArticleNote | None:
    """The note for a publication time outside ``bounds``; None when it is inside
    them, or when there is none."""
    published = article.published_at
    if published is None:
        return None
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    latest = epoch_seconds(seen_at) + bounds.max_ahead_hours * 3600
    if published < bounds.earliest:
        why = f"before {bounds.earliest.isoformat()} (NEWSLINE_EVENT_TIME__EARLIEST)"
    elif published.timestamp() > latest:
        why = (
            f"more than {bounds.max_ahead_hours:g} hours after it was first seen, "
            f"{seen_at.isoformat()} (NEWSLINE_EVENT_TIME__MAX_AHEAD_HOURS)"
        )
    else:
        return None
    detail = f"published_at {published.isoformat()} is {why}; taken as unknown"
    return ArticleNote(kind="published_at_ignored", detail=detail)
