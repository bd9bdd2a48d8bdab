"""The corroborate decision: each article's claims against the clusters in the window.

Decisions are made one at a time, in the order of the one decision log, so that
every claim of a cluster is decided in one place (see agents/corroborate.py). The
state is two key-value stores, used as DedupeIndex uses its own: only single-key
gets, sets and deletes on ``state``; ``expiry`` walked from its start.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.corroborate.decision import Decision
from pipeline.corroborate.records import (
    ArticleRecord,
    ClusterRecord,
    article_key,
    cluster_key,
)
from pipeline.settings import CorroborateSettings, EventTimeSettings
from pipeline.window import EventWindow, article_of_expiry, epoch_seconds, event_time
from schemas import EnrichedArticle
from schemas.corroborate import ClaimCluster, ClusterMember, FigureComparison

Store = MutableMapping[str, Any]


@dataclass(frozen=True)
class Corroboration:
    """What one article changed: its claims with their cluster_id, every cluster it
    joined or founded (whole, as now), and the comparisons of its figures."""

    article: EnrichedArticle
    clusters: tuple[ClaimCluster, ...]
    comparisons: tuple[FigureComparison, ...]


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
        record = self._state.get(article_key(article.article_id))
        if record is None:
            record = self._decide_new(article, seen_at)
        return self._answer(article, record)

    def expire(self, *, now: datetime, limit: int | None = None) -> int:
        """Forget the articles that left the window; returns how many.

        Their members leave their clusters, which are dropped when empty; the
        clusters are not republished for it (the topic keeps the last view).
        ``limit`` caps the articles forgotten per call.
        """
        due = self._window.due(now=now, limit=limit)
        for key in due:
            self._forget(key)
        return len(due)

    def _decide_new(self, article: EnrichedArticle, seen_at: datetime) -> ArticleRecord:
        time = event_time(article, seen_at, self._times)
        if time is None:
            time, oldest = self._window.hold(epoch_seconds(seen_at))
        else:
            oldest = self._window.advance(time)
        seq = self._window.next_seq()
        decision = Decision(
            self._state, article, self._settings, time=time, seq=seq, oldest=oldest
        )
        for claim in article.claims:
            decision.place(claim)
        decision.flush()
        record = ArticleRecord(
            seq=seq,
            time=time,
            expiry=self._window.enter(time, seq, article.article_id),
            assigned=decision.assigned,
            clusters=list(decision.changed),
            comparisons=[c.model_dump(mode="json") for c in decision.comparisons],
            figures=decision.figures,
        )
        self._state[article_key(article.article_id)] = record
        return record

    def _answer(self, article: EnrichedArticle, record: ArticleRecord) -> Corroboration:
        assigned = dict(record["assigned"])
        claims = tuple(
            c.model_copy(update={"cluster_id": assigned.get(c.claim_id)})
            for c in article.claims
        )
        stored = (self._state.get(cluster_key(c)) for c in record["clusters"])
        return Corroboration(
            article=article.model_copy(update={"claims": claims}),
            clusters=tuple(publishable(c) for c in stored if c is not None),
            comparisons=tuple(
                FigureComparison.model_validate(c) for c in record["comparisons"]
            ),
        )

    def _forget(self, key: str) -> None:
        article_id = article_of_expiry(key)
        record = self._state.get(article_key(article_id))
        if record is not None and record["expiry"] == key:
            gone = set(record["figures"])
            for figure in gone:
                self._state.pop(figure, None)
            for cluster_id in record["clusters"]:
                self._shrink(cluster_id, article_id, gone)
            del self._state[article_key(article_id)]
        self._window.leave(key)

    def _shrink(self, cluster_id: str, article_id: str, figures: set[str]) -> None:
        """The cluster without the article's members and figures; gone if empty."""
        cluster: ClusterRecord | None = self._state.get(cluster_key(cluster_id))
        if cluster is None:
            return
        members = [
            m for m in cluster["members"] if m["member"]["article_id"] != article_id
        ]
        if not members:
            for term in cluster["terms"]:
                self._unpost(term, cluster_id)
            del self._state[cluster_key(cluster_id)]
            return
        kept = [f for f in cluster["figures"] if f not in figures]
        self._state[cluster_key(cluster_id)] = {
            **cluster,
            "members": members,
            "figures": kept,
        }

    def _unpost(self, key: str, cluster_id: str) -> None:
        holders = [h for h in self._state.get(key) or [] if h != cluster_id]
        if holders:
            self._state[key] = holders
        else:
            self._state.pop(key, None)


def publishable(cluster: ClusterRecord) -> ClaimCluster:
    """The record published on ``claims.clusters``."""
    members = tuple(
        ClusterMember.model_validate(m["member"]) for m in cluster["members"]
    )
    sources = tuple(dict.fromkeys(m.source for m in members))
    independent = {m.source for m in members if m.independent}
    return ClaimCluster(
        cluster_id=cluster["cluster_id"],
        label=cluster["label"],
        members=members,
        sources=sources,
        independent_sources=len(independent),
        first_seen=datetime.fromtimestamp(cluster["first_seen"], tz=UTC),
        updated=datetime.fromtimestamp(cluster["updated"], tz=UTC),
    )
