"""The dedupe decision: each article against every earlier one still in the window.

Decisions are made one at a time, in the order of the decision log, so "earlier" and
"earliest" mean earlier in that one order (see agents/dedupe.py for why there is
one). A decision is a few dozen single-key lookups: exact text by content hash,
near-duplicate candidates from the article's LSH buckets (verified on their stored
signatures), and repeated sentences by sentence key. Its cost does not grow with
the size of the index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from pipeline.dedupe.minhash import (
    Hashes,
    estimate_jaccard,
    pack_signature,
    unpack_signature,
)
from pipeline.dedupe.records import (
    ArticleRecord,
    article_key,
    bucket_key,
    content_key,
    holder_of,
    sentence_state_key,
)
from pipeline.rejection import Rejection
from pipeline.settings import DedupeSettings, EventTimeSettings
from pipeline.state import Store
from pipeline.state.window import (
    EventWindow,
    article_of_expiry,
    epoch_seconds,
    event_time,
    implausible_time,
)
from schemas import (
    ArticleNote,
    DuplicateVerdict,
    EnrichedArticle,
    Sentence,
    SentenceRef,
)
from schemas.dedupe import DedupeRequest, Fingerprint


class DedupeIndex:
    """The dedupe state of one decision log, and the decisions made against it.

    ``state`` and ``expiry`` are key-value stores: faust tables in the service, dicts
    offline. The index only gets, sets and deletes single keys of ``state``; it never
    scans it, nor asks its length (slow on a RocksDB-backed table). It walks
    ``expiry`` from its start and stops at the first live entry, so ``expiry`` must
    iterate in ascending key order, as a single-partition RocksDB table does; offline
    use ``OrderedKeys``, not a dict. Values read from a store are never changed in
    place: a faust table only keeps (and changelogs) what is assigned to it.
    """

    def __init__(
        self,
        state: Store,
        expiry: Store,
        *,
        settings: DedupeSettings,
        times: EventTimeSettings = EventTimeSettings(),  # noqa: B008 (frozen)
    ) -> None:
        self._state = state
        self._settings = settings
        self._times = times
        self._window = EventWindow(state, expiry, hours=settings.window_hours)

    def decide(
        self, request: DedupeRequest, *, seen_at: datetime
    ) -> EnrichedArticle | Rejection:
        """The article with ``duplicate`` and ``sentences[].repeat_of`` filled in.

        ``seen_at`` (the wall clock) stands in for a missing publication time. An
        implausible one (``times``) is taken as unknown: the article is placed at
        the window's end, the window does not move, and the article carries a note
        (``published_at_ignored``) and no ``published_at``, so that later stages
        do not read dates against it either. An
        article decided before gets its first verdicts back, unchanged, whatever was
        decided in between; it is never a duplicate of itself.

        An article_id decided before for other text (another content_hash) is
        refused as ``conflicting_id``: the stored verdicts belong to the first text,
        and their sentence indexes may not even exist in this one. The agent
        dead-letters the refusal with the bytes it consumed, the DedupeRequest read
        from ``dedupe.requests``, not the raw record. Both versions keep their
        outcome on redelivery: the first its verdicts, the second its refusal.
        """
        article = request.article
        record = self._state.get(article_key(article.article_id))
        if record is None:
            record = self._decide_new(request, seen_at)
        elif (first_hash := _other_text(record, article)) is not None:
            return conflicting_id(article, first_hash=first_hash)
        return with_verdicts(article, record)

    def expire(self, *, now: datetime, limit: int | None = None) -> int:
        """Forget the articles that left the window; returns how many.

        ``limit`` caps the articles forgotten per call, so that a sweep after a long
        pause does not hold up the event loop; the next call goes on.
        """
        return self._window.sweep(self._forget, now=now, limit=limit)

    def _decide_new(self, request: DedupeRequest, seen_at: datetime) -> ArticleRecord:
        article = request.article
        note = implausible_time(article, seen_at, self._times)
        time = None if note is not None else event_time(article, seen_at, self._times)
        if time is None:
            time, oldest = self._window.hold(epoch_seconds(seen_at))
        else:
            oldest = self._window.advance(time)
        decision = _Decision(self._state, request, self._settings, oldest=oldest)
        duplicate = decision.exact() or decision.near() or DuplicateVerdict()
        repeats = decision.repeats()
        seq = self._window.next_seq()
        record = ArticleRecord(
            seq=seq,
            content_hash=request.article.content_hash,
            time=time,
            signature=pack_signature(request.fingerprint.signature),
            duplicate=duplicate.model_dump(),
            repeats=repeats,
            holds=decision.claim_free_keys(),
            bands=decision.join_buckets(),
            expiry=self._window.enter(time, seq, request.article.article_id),
        )
        if note is not None:
            record["note"] = note.model_dump()
        self._state[article_key(request.article.article_id)] = record
        return record

    def _forget(self, key: str, state: Store) -> None:
        article_id = article_of_expiry(key)
        record = state.get(article_key(article_id))
        if record is not None and record["expiry"] == key:
            for held in record["holds"]:
                _release(state, held, article_id)
            for bucket in record["bands"]:
                _leave(state, bucket, article_id)
            del state[article_key(article_id)]


def _release(state: Store, key: str, article_id: str) -> None:
    # A later article may have taken the key over once this one left the window.
    value = state.get(key)
    if value is not None and holder_of(value) == article_id:
        del state[key]


def _leave(state: Store, bucket: str, article_id: str) -> None:
    holders = state.get(bucket) or []
    if article_id not in holders:
        return
    rest = [holder for holder in holders if holder != article_id]
    if rest:
        state[bucket] = rest
    else:
        del state[bucket]


class _Decision:
    """One new article's lookups, and its claims on the keys still free."""

    def __init__(
        self,
        state: Store,
        request: DedupeRequest,
        settings: DedupeSettings,
        *,
        oldest: float,
    ) -> None:
        self._state = state
        self._fingerprint: Fingerprint = request.fingerprint
        self._article_id = request.article.article_id
        self._settings = settings
        self._oldest = oldest
        self._records: dict[str, ArticleRecord | None] = {}
        self._values: dict[str, Any] = {}
        self._buckets = {
            bucket_key(band): list(state.get(bucket_key(band)) or [])
            for band in request.fingerprint.bands
        }

    def exact(self) -> DuplicateVerdict | None:
        """Same text as a live earlier article."""
        first = self._read(content_key(self._fingerprint.content_hash))
        if first is None or self._live(first) is None:
            return None
        return DuplicateVerdict(kind="exact", of=first, similarity=1.0)

    def near(self) -> DuplicateVerdict | None:
        """The earliest live article sharing a bucket whose estimated Jaccard is at
        least the threshold."""
        signature = np.asarray(self._fingerprint.signature, dtype=np.uint64)
        matches = []
        for candidate in self._candidates():
            record = self._live(candidate)
            if record is None:
                continue
            similarity = _similarity(signature, record)
            if similarity is not None and similarity >= self._settings.threshold:
                matches.append((record["seq"], candidate, similarity))
        if not matches:
            return None
        _, first, similarity = min(matches)
        return DuplicateVerdict(kind="near", of=first, similarity=round(similarity, 4))

    def repeats(self) -> list[list[Any]]:
        """``[sentence index, article_id, sentence index]`` per sentence said before:
        by a live earlier article, else earlier in this article.

        A sentence said k times is k - 1 repeats whatever order the articles came
        in: were a second saying in one article not a repeat, the count would
        depend on whether that article came before the others."""
        repeats = []
        here: dict[str, int] = {}
        for sentence in self._fingerprint.sentences:
            first = self._read(sentence_state_key(sentence.key))
            if first is not None and self._live(first[0]) is not None:
                repeats.append([sentence.index, first[0], first[1]])
            elif sentence.key in here:
                repeats.append([sentence.index, self._article_id, here[sentence.key]])
            else:
                here[sentence.key] = sentence.index
        return repeats

    def claim_free_keys(self) -> list[str]:
        """Become the first holder of the text and sentences no live article holds."""
        claims: dict[str, Any] = {
            content_key(self._fingerprint.content_hash): self._article_id
        }
        for s in self._fingerprint.sentences:
            # A sentence said twice in this article is held by its first saying.
            claims.setdefault(sentence_state_key(s.key), [self._article_id, s.index])
        held = []
        for key, value in claims.items():
            holder = self._read(key)
            if holder is None or self._live(holder_of(holder)) is None:
                self._write(key, value)
                held.append(key)
        return held

    def join_buckets(self) -> list[str]:
        """Join each bucket that has room, making room by dropping expired holders."""
        joined = []
        for bucket, holders in self._buckets.items():
            kept = self._without_expired(holders) if self._full(holders) else holders
            if not self._full(kept):
                self._state[bucket] = [*kept, self._article_id]
                joined.append(bucket)
        return joined

    def _read(self, key: str) -> Any:
        """A state value, read once per decision (repeats and claims both ask)."""
        if key not in self._values:
            self._values[key] = self._state.get(key)
        return self._values[key]

    def _write(self, key: str, value: Any) -> None:
        self._state[key] = value
        self._values[key] = value

    def _full(self, holders: list[str]) -> bool:
        return len(holders) >= self._settings.bucket_holders

    def _without_expired(self, holders: list[str]) -> list[str]:
        return [holder for holder in holders if self._live(holder) is not None]

    def _candidates(self) -> list[str]:
        holders = (h for bucket in self._buckets.values() for h in bucket)
        return list(dict.fromkeys(holders))

    def _live(self, article_id: str) -> ArticleRecord | None:
        """An earlier article's record, if it is still in the window; None for this
        article itself, so that it is never its own duplicate (its sentences said
        twice are found by ``repeats`` itself)."""
        if article_id == self._article_id:
            return None
        if article_id not in self._records:
            record = self._state.get(article_key(article_id))
            live = record is not None and record["time"] >= self._oldest
            self._records[article_id] = record if live else None
        return self._records[article_id]


def conflicting_id(article: EnrichedArticle, *, first_hash: str) -> Rejection:
    """The refusal of an article whose id was decided before for other text."""
    reason = (
        f"article_id {article.article_id!r} was already used for an article with "
        f"different text (content_hash {first_hash[:16]}, this one "
        f"{article.content_hash[:16]}), whose dedupe verdicts cannot apply to this "
        "text: give each version of an article its own article_id"
    )
    return Rejection(reason, "conflicting_id", article.article_id)


def _other_text(record: ArticleRecord, article: EnrichedArticle) -> str | None:
    """The content_hash the record was decided for, when it is not the article's."""
    # Records stored before content hashes were kept have none: they are taken to
    # match, as they always were.
    stored = record.get("content_hash")
    return stored if stored is not None and stored != article.content_hash else None


def with_verdicts(article: EnrichedArticle, record: ArticleRecord) -> EnrichedArticle:
    """The article with the verdicts of its record."""
    refs = {
        index: SentenceRef(article_id=of, index=at)
        for index, of, at in record["repeats"]
    }
    sentences = article.sentences
    # Most articles repeat nothing and arrive with nothing marked: keep their tuple.
    if refs or any(s.repeat_of is not None for s in sentences):
        sentences = tuple(_with_repeat(s, refs.get(s.index)) for s in sentences)
    duplicate = DuplicateVerdict.model_validate(record["duplicate"])
    update: dict[str, Any] = {"duplicate": duplicate, "sentences": sentences}
    if (note := record.get("note")) is not None:
        update["published_at"] = None
        update["notes"] = (*article.notes, ArticleNote.model_validate(note))
    return article.model_copy(update=update)


def _with_repeat(sentence: Sentence, ref: SentenceRef | None) -> Sentence:
    if sentence.repeat_of == ref:
        return sentence
    return sentence.model_copy(update={"repeat_of": ref})


def _similarity(signature: Hashes, record: ArticleRecord) -> float | None:
    stored = unpack_signature(record["signature"])
    if stored.shape != signature.shape:  # stored before bands or rows were changed
        return None
    return estimate_jaccard(signature, stored)
