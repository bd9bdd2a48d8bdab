"""The corroborate decision: each article's claims against the clusters in the window.

Decisions are made one at a time, in the order of the one decision log, so that
every claim of a cluster is decided in one place (see agents/corroborate.py). The
state is two key-value stores, used as DedupeIndex uses its own: only single-key
gets, sets and deletes on ``state``; ``expiry`` walked from its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from pydantic import TypeAdapter

from pipeline.corroborate import stories
from pipeline.corroborate.cache import Memo
from pipeline.corroborate.compare import Comparer
from pipeline.corroborate.decision import Decision, loaded_cluster
from pipeline.corroborate.forget import Forgetter, live_cluster_id
from pipeline.corroborate.meaning import meaning
from pipeline.corroborate.profile import ClaimProfile
from pipeline.corroborate.records import (
    ArticleRecord,
    ClusterRecord,
    article_key,
    cluster_key,
    story_key,
)
from pipeline.corroborate.stories import StoryPlacement
from pipeline.settings import CorroborateSettings, EventTimeSettings
from pipeline.state import Store
from pipeline.state.window import (
    EventWindow,
    epoch_seconds,
    event_time,
)
from pipeline.steps import Steps, run_steps
from schemas import ArticleNote, EnrichedArticle
from schemas.corroborate import ClaimCluster, ClusterMember, FigureComparison
from schemas.story import Story

#: An article's comparisons are kept as one JSON text: as nested objects they took
#: twice the memory, and a claim in a big story is compared dozens of times.
_COMPARISONS = TypeAdapter(list[FigureComparison])
#: Claim profiles kept loaded (about 3 KB each with their vector).
PROFILES_KEPT = 8192


@dataclass(frozen=True)
class Corroboration:
    """What one article changed: its claims with their cluster_id, every cluster it
    joined or founded (whole, as now), the comparisons of its figures, and its
    story (with any it merged)."""

    article: EnrichedArticle
    clusters: tuple[ClaimCluster, ...]
    comparisons: tuple[FigureComparison, ...]
    stories: tuple[Story, ...] = ()


class Corroborator:
    """The corroboration state of one decision log, and the decisions made against
    it. ``state`` and ``expiry`` are faust tables in the service, a dict and an
    ``OrderedKeys`` offline. Values read from a store are never changed in place.
    """

    def __init__(
        self,
        state: Store,
        expiry: Store,
        *,
        settings: CorroborateSettings,
        times: EventTimeSettings = EventTimeSettings(),  # noqa: B008 (frozen)
    ) -> None:
        self._state = state
        self._settings = settings
        self._times = times
        self._window = EventWindow(state, expiry, hours=settings.window_hours)
        self._comparer = Comparer(tolerance=settings.approx_tolerance)
        self._members: Memo[tuple[Any, ...], ClusterMember] = Memo(4096)
        # Members are scored again by every claim that meets their cluster.
        self._profiles: Memo[str, ClaimProfile] = Memo(PROFILES_KEPT)
        # Loaded here, once per process: a missing model stops a worker as it
        # starts, not every article it then decides.
        meaning()

    def corroborate(
        self, article: EnrichedArticle, *, seen_at: datetime
    ) -> Corroboration:
        """The article's claims placed in clusters, and its figures compared.

        ``seen_at`` (the wall clock) stands in for a missing publication time; an
        article whose time is not trusted is placed at the window's end without
        moving it, as the dedupe decider does. An
        article decided before gets its first placements and comparisons back, and
        its clusters as they are now: republishing the clusters as they were then
        would roll the compacted topic back past later members. It never joins a
        cluster twice, nor corroborates itself.
        """
        return run_steps(self.corroborate_steps(article, seen_at=seen_at))

    def corroborate_steps(
        self, article: EnrichedArticle, *, seen_at: datetime
    ) -> Steps[Corroboration]:
        """``corroborate`` in steps of one claim's placement (pipeline.steps).

        Nothing else may use this corroborator's stores until the steps end."""
        record = self._state.get(article_key(article.article_id))
        if record is not None:
            return self._answer(article, record, _stored_comparisons(record))
        record, comparisons = yield from self._decide_new(article, seen_at)
        return self._answer(article, record, comparisons)

    def expire(self, *, now: datetime, limit: int | None = None) -> int:
        """Forget the articles that left the window; returns how many.

        Their members leave their clusters, which are dropped when empty; the
        clusters are not republished for it (the topic keeps the last view).
        ``limit`` caps the articles forgotten per call.
        """
        return self._window.sweep(
            lambda key, state: Forgetter(state).forget(key), now=now, limit=limit
        )

    def _decide_new(
        self, article: EnrichedArticle, seen_at: datetime
    ) -> Steps[tuple[ArticleRecord, tuple[FigureComparison, ...]]]:
        time = event_time(article, seen_at, self._times)
        if time is None:
            time, oldest = self._window.hold(epoch_seconds(seen_at))
        else:
            oldest = self._window.advance(time)
        seq = self._window.next_seq()
        decision = Decision(
            self._state,
            article,
            self._settings,
            time=time,
            seq=seq,
            oldest=oldest,
            comparer=self._comparer,
            profiles=self._profiles,
        )
        # Bounded work per article, whatever a hostile one holds: each placement
        # is bounded, and so is their number.
        placed = article.claims[: self._settings.max_claims_per_article]
        for claim in placed:
            decision.place(claim)
            yield
        stories = StoryPlacement(decision.state, article, time=time)
        story_id = stories.place(
            decision.changed.values(),
            decision.comparisons,
            settings=self._settings,
        )
        stories.flush()
        decision.flush()
        record = ArticleRecord(
            seq=seq,
            time=time,
            expiry=self._window.enter(time, seq, article.article_id),
            assigned=decision.assigned,
            clusters=list(decision.changed),
            comparisons=_COMPARISONS.dump_json(decision.comparisons).decode(),
            figures=decision.figures,
            source=article.source,
            independent=decision.independent,
            story=story_id,
            stories=list(stories.changed),
            original=article.duplicate.kind is None,
        )
        if article.published_at is not None:
            record["published"] = article.published_at.timestamp()
        if len(placed) < len(article.claims):
            record["capped"] = [len(placed), len(article.claims)]
        self._state[article_key(article.article_id)] = record
        return record, tuple(decision.comparisons)

    def _answer(
        self,
        article: EnrichedArticle,
        record: ArticleRecord,
        comparisons: tuple[FigureComparison, ...],
    ) -> Corroboration:
        assigned = dict(record["assigned"])
        claims = tuple(
            c.model_copy(update={"cluster_id": assigned.get(c.claim_id)})
            for c in article.claims
        )
        stored = [self._state.get(cluster_key(c)) for c in self._named(record)]
        notes = article.notes
        if "capped" in record:
            notes = (*notes, _capped_note(*record["capped"]))
        story_id = record.get("story")
        update = {"claims": claims, "notes": notes, "story_id": story_id}
        return Corroboration(
            article=article.model_copy(update=update),
            clusters=tuple(
                publishable(c, self._members) for c in stored if c is not None
            ),
            comparisons=comparisons,
            stories=self._stories(record),
        )

    def _stories(self, record: ArticleRecord) -> tuple[Story, ...]:
        """The stories the article changed, as they are now, and the live one
        each points to if merged since."""
        ids: dict[str, None] = {}
        for story_id in record.get("stories", []):
            ids.update(dict.fromkeys(stories.named(self._state, story_id)))
        found = [self._state.get(story_key(s)) for s in ids]
        return tuple(
            stories.publishable(s, partial(live_cluster_id, self._state))
            for s in found
            if s is not None
        )

    def _named(self, record: ArticleRecord) -> list[str]:
        """The clusters the article changed and, for any merged since, the live
        cluster that holds its claims now."""
        named = dict.fromkeys(record["clusters"])
        for cluster_id in record["clusters"]:
            live = live_cluster_id(self._state, cluster_id)
            if live is not None:
                named.setdefault(live)
        return list(named)


def publishable(
    cluster: ClusterRecord, memo: Memo[tuple[Any, ...], ClusterMember] | None = None
) -> ClaimCluster:
    """The record published on ``claims.clusters``; its members are taken from
    ``memo`` when there (a big cluster lists the same ones each time it grows)."""
    if "count" not in cluster:  # written before counts were kept: lists them all
        cluster = loaded_cluster(cluster, {})
    members = tuple(_member(m["member"], memo or Memo(0)) for m in cluster["members"])
    return ClaimCluster(
        cluster_id=cluster["cluster_id"],
        label=cluster["label"],
        members=members,
        member_count=cluster["count"],
        sources=tuple(cluster["sources"]),
        source_count=cluster["source_count"],
        independent_sources=cluster["independent_sources"],
        first_seen=datetime.fromtimestamp(cluster["first_seen"], tz=UTC),
        updated=datetime.fromtimestamp(cluster["updated"], tz=UTC),
        merged_into=cluster.get("merged_into"),
    )


def _member(
    member: dict[str, Any], memo: Memo[tuple[Any, ...], ClusterMember]
) -> ClusterMember:
    # The claim id stands for its article, sentence and text; the rest may differ
    # if a claim is decided again after a crash.
    speaker = member["speaker"]
    key = (
        member["claim_id"],
        member["source"],
        member["independent"],
        None if speaker is None else tuple(speaker.items()),
    )
    return memo.get(key, lambda: ClusterMember.model_validate(member))


def _capped_note(placed: int, claims: int) -> ArticleNote:
    detail = (
        f"{placed} of {claims} claims were grouped and compared; the rest have no "
        "cluster (NEWSLINE_CORROBORATE__MAX_CLAIMS_PER_ARTICLE)"
    )
    return ArticleNote(kind="corroboration_capped", detail=detail)


def _stored_comparisons(record: ArticleRecord) -> tuple[FigureComparison, ...]:
    stored = record["comparisons"]
    if isinstance(stored, str):
        return tuple(_COMPARISONS.validate_json(stored))
    return tuple(_COMPARISONS.validate_python(stored))  # an earlier version
