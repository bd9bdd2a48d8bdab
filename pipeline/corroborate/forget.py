"""Forgetting the articles that left the corroborate window.

An article's members leave their clusters, which are dropped when empty, with their
posting lists and tallies; its figures, profiles and story membership go too. The
clusters are not republished for it (the topic keeps the last view).

The articles of one sweep are forgotten against one staged view of the state
(``EventWindow.sweep``): a cluster that is shrunk and then dropped is only deleted,
and a posting list that several dropped clusters held is written once. Each write
is a changelog record in the worker; written at every change, forgetting made more
of them than the decisions did.

A dropped cluster's id stays in the posting lists of its terms (``_leave``): the
lookups skip an id with no record, newer posts push it off the end of a full list,
and a list goes once no cluster it holds is still posted there. Rewriting each
list without it was most of forgetting's writes: on distinct news in a one-minute
window, about 106 lists per forgotten article, most still holding a live cluster.
"""

from __future__ import annotations

from pipeline.corroborate import stories
from pipeline.corroborate.decision import TERMS_KEPT, loaded_cluster
from pipeline.corroborate.records import (
    ArticleRecord,
    ClusterRecord,
    FigureRecord,
    article_key,
    cluster_key,
    figures_key,
    live_id,
    profiles_key,
    tally_key,
)
from pipeline.state import Store
from pipeline.state.window import article_of_expiry


class Forgetter:
    """Forgets articles by their expiry keys, in ``state``: the window's staged
    view of the state during a sweep."""

    def __init__(self, state: Store) -> None:
        self._state = state

    def forget(self, key: str) -> None:
        """Forget the article of expiry entry ``key``."""
        article_id = article_of_expiry(key)
        record = self._state.get(article_key(article_id))
        if record is not None and record["expiry"] == key:
            gone = set(record["figures"])
            for figure in gone:
                self._forget_figure(figure)
            # Ids the article named may have merged since: its members are in the
            # live cluster each now points to, shrunk once.
            live = {c: live_cluster_id(self._state, c) for c in record["clusters"]}
            for cluster_id in record["clusters"]:
                self._unref(cluster_id)
            leaving: dict[str, list[str]] = {}
            for claim_id, placed in record["assigned"]:
                heir = live.get(placed, live_cluster_id(self._state, placed))
                if heir is not None:
                    leaving.setdefault(heir, []).append(claim_id)
            for heir in dict.fromkeys(h for h in live.values() if h is not None):
                self._shrink(heir, record, article_id, gone, leaving.get(heir, []))
            self._state.pop(profiles_key(article_id), None)
            if "story" in record and "source" in record:
                stories.forget_article(
                    self._state,
                    record["story"],
                    article_id,
                    record["source"],
                    independent=record.get("original", True),
                )
            del self._state[article_key(article_id)]

    def _forget_figure(self, key: str) -> None:
        figure: FigureRecord | None = self._state.pop(key, None)
        if figure is not None and figure["fate"] != "count":
            self._unpost(figures_key(figure["category"]), key)

    def _unref(self, cluster_id: str) -> None:
        """One article fewer names the id; a pointer no article names is gone."""
        stored: ClusterRecord | None = self._state.get(cluster_key(cluster_id))
        if stored is None or "refs" not in stored:
            return
        refs = stored["refs"] - 1
        if refs <= 0 and "merged_into" in stored:
            for term in stored["terms"]:
                self._leave(term, cluster_id)
            del self._state[cluster_key(cluster_id)]
        else:
            self._state[cluster_key(cluster_id)] = {**stored, "refs": refs}

    def _shrink(
        self,
        cluster_id: str,
        record: ArticleRecord,
        article_id: str,
        figures: set[str],
        leaving: list[str],
    ) -> None:
        """The cluster without the article's members and figures; gone once no
        listed member is left (the unlisted ones are older, and leave first)."""
        stored: ClusterRecord | None = self._state.get(cluster_key(cluster_id))
        if stored is None:
            return
        cluster = loaded_cluster(stored, self._state)
        cluster["members"] = [
            m for m in cluster["members"] if m["member"]["article_id"] != article_id
        ]
        self._count_out(cluster, record, leaving)
        if not cluster["members"] or cluster["count"] <= 0:
            self._drop(cluster)
            return
        cluster["figures"] = [f for f in cluster["figures"] if f not in figures]
        self._state[cluster_key(cluster_id)] = cluster

    def _count_out(
        self, cluster: ClusterRecord, record: ArticleRecord, leaving: list[str]
    ) -> None:
        cluster["count"] -= len(leaving)
        source = record.get("source")
        if source is None:  # decided before sources were recorded: counts stay
            return
        key = tally_key(cluster["cluster_id"], source)
        members, independents = self._state.get(key) or (0, 0)
        independent = set(record.get("independent", []))
        members -= len(leaving)
        left = independents - sum(1 for c in leaving if c in independent)
        if independents > 0 >= left:
            cluster["independent_sources"] -= 1
        if members <= 0:
            cluster["source_count"] -= 1
            cluster["sources"] = [s for s in cluster["sources"] if s != source]
            self._state.pop(key, None)
        else:
            self._state[key] = [members, max(left, 0)]

    def _drop(self, cluster: ClusterRecord) -> None:
        cluster_id = cluster["cluster_id"]
        for term in cluster["terms"]:
            self._leave(term, cluster_id)
        for source in cluster["sources"]:
            self._state.pop(tally_key(cluster_id, source), None)
        del self._state[cluster_key(cluster_id)]

    def _leave(self, key: str, cluster_id: str) -> None:
        """The cluster, about to be dropped, leaves the posting list ``key``: the
        list goes when no other cluster it holds is still posted there, and is
        otherwise left as it is, the id in it now naming no cluster. The newest
        holders are looked at first: the one posted last is nearly always still
        there."""
        held: list[str] = self._state.get(key) or []
        if cluster_id not in held:
            return
        others = (h for h in reversed(held) if h != cluster_id)
        if not any(self._posted(other, key) for other in others):
            self._state.pop(key, None)

    def _posted(self, cluster_id: str, key: str) -> bool:
        """Whether the cluster has a record that remembers being posted under
        ``key``. An id left in a list may name a cluster founded since under the
        same id (the same text) and never posted there; one whose record forgot
        its oldest terms (``TERMS_KEPT``) counts as posted."""
        stored: ClusterRecord | None = self._state.get(cluster_key(cluster_id))
        if stored is None:
            return False
        return key in stored["terms"] or len(stored["terms"]) >= TERMS_KEPT

    def _unpost(self, key: str, figure: str) -> None:
        held = self._state.get(key) or []
        holders = [h for h in held if h != figure]
        if len(holders) == len(held):
            return
        if holders:
            self._state[key] = holders
        else:
            self._state.pop(key, None)


def live_cluster_id(state: Store, cluster_id: str) -> str | None:
    """The live cluster that ``cluster_id`` is, or was absorbed into; None when it
    is gone."""
    return live_id(state, cluster_key, cluster_id)
