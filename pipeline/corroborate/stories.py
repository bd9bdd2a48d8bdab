"""Stories: the articles that report one event, decided with the clusters.

Two articles are one story when they report one event: they share at least
``story_min_shared`` claim clusters, one of them with a claim in the lead of both
(the first sentences, where a report states its news: background facts that
articles of one topic share sit lower), and were published within
``story_hours`` of each other. An article joins the stories of the articles it
reports one event with (single linkage, like the clusters themselves); when it
links several, they merge into the one named by the earliest report
(``namer_key``: publication time, then article_id), and the others become
pointers to it (``merged_into``) until no article names them.

Stories are decided in the corroborate decision, after the article's claims are
placed, on the same store and window, from the clusters it changed: their listed
members say which articles it shares facts with. A story's record is bounded like
a cluster's: its first report and latest articles, its latest clusters and
disagreements, exact counts with one ``z:`` tally per source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from pipeline.corroborate.records import (
    MAX_HOPS,
    ArticleRecord,
    ClusterRecord,
    StoryRecord,
    article_key,
    live_id,
    story_key,
    story_tally_key,
)
from pipeline.settings import CorroborateSettings
from schemas import EnrichedArticle
from schemas.corroborate import FigureComparison
from schemas.story import Story, StoryArticle

#: What a story's record lists (its counts are exact whatever it lists).
ARTICLES_LISTED = 32
CLUSTERS_LISTED = 64
DISAGREEMENTS_LISTED = 32
SOURCES_LISTED = 100
HEADLINE_CHARS = 300
#: Sentences that make an article's lead (a title read as a sentence included).
LEAD_SENTENCES = 2


def story_id_of(article_id: str) -> str:
    """A story is named after one article: its namer."""
    return hashlib.sha256(f"story|{article_id}".encode()).hexdigest()[:32]


def namer_key(namer: list[Any]) -> tuple[float, str]:
    published, article_id = namer
    return (float("inf") if published is None else float(published), str(article_id))


class StoryPlacement:
    """One article placed in its story, on the decision's staged store."""

    def __init__(
        self,
        state: MutableMapping[str, Any],
        article: EnrichedArticle,
        *,
        time: float,
    ) -> None:
        self._state = state
        self._article = article
        self._time = time
        self.changed: dict[str, StoryRecord] = {}
        self.story_id: str | None = None

    def place(
        self,
        clusters: Iterable[ClusterRecord],
        comparisons: Iterable[FigureComparison],
        *,
        settings: CorroborateSettings,
    ) -> str:
        """The article's story (its id), after joining or merging the stories of
        the articles it reports one event with (``_same_event``)."""
        clusters = list(clusters)
        linked: dict[str, StoryRecord] = {}
        for other, (shared, leads) in sorted(self._sharing(clusters).items()):
            if shared < settings.story_min_shared or leads < 1:
                continue
            record = self._state.get(article_key(other))
            if record is None or not self._close_in_time(record, settings):
                continue
            story = self._live(record.get("story"))
            if story is not None:
                linked.setdefault(story["story_id"], story)
        heir = self._merged(list(linked.values()))
        self._add_article(heir, clusters, comparisons)
        self.story_id = heir["story_id"]
        return heir["story_id"]

    def _sharing(self, clusters: list[ClusterRecord]) -> dict[str, list[int]]:
        """For each other article with a listed member in the live clusters: how
        many of them it shares, and in how many both articles' claims are in
        their leads (the first ``LEAD_SENTENCES`` sentences)."""
        mine = self._article.article_id
        shared: dict[str, list[int]] = {}
        for cluster in clusters:
            if "merged_into" in cluster:
                continue
            members = [m["member"] for m in cluster["members"]]
            my_lead = any(
                m["article_id"] == mine and m["sentence_index"] < LEAD_SENTENCES
                for m in members
            )
            theirs: dict[str, bool] = {}
            for m in members:
                other = m["article_id"]
                if other != mine:
                    lead = m["sentence_index"] < LEAD_SENTENCES
                    theirs[other] = theirs.get(other, False) or lead
            for other, lead in theirs.items():
                counts = shared.setdefault(other, [0, 0])
                counts[0] += 1
                counts[1] += my_lead and lead
        return shared

    def _close_in_time(
        self, other: ArticleRecord, settings: CorroborateSettings
    ) -> bool:
        """Published within ``story_hours`` of each other, when both say when."""
        published = self._article.published_at
        theirs = other.get("published")
        if published is None or theirs is None:
            return True
        return abs(published.timestamp() - theirs) <= settings.story_hours * 3600

    def flush(self) -> None:
        """Write the changed stories; the article names its own story once."""
        for story_id, story in self.changed.items():
            if story_id == self.story_id:
                story["refs"] = story.get("refs", 0) + 1
            self._state[story_key(story_id)] = story

    def _merged(self, linked: list[StoryRecord]) -> StoryRecord:
        mine = self._namer()
        ranked = sorted(linked, key=lambda s: namer_key(s["namer"]))
        if ranked and namer_key(ranked[0]["namer"]) <= namer_key(mine):
            heir, ranked = ranked[0], ranked[1:]
        else:
            heir = self._found()
            same = [s for s in ranked if s["story_id"] == heir["story_id"]]
            if same:  # a redelivered namer, decided again after a crash
                heir, ranked = same[0], [s for s in ranked if s is not same[0]]
        self.changed.setdefault(heir["story_id"], heir)
        for absorbed in ranked:
            self._absorb(heir, absorbed)
        return heir

    def _namer(self) -> list[Any]:
        published = self._article.published_at
        stamp = None if published is None else published.timestamp()
        return [stamp, self._article.article_id]

    def _found(self) -> StoryRecord:
        article = self._article
        return _empty(
            story_id_of(article.article_id),
            _headline(article),
            self._namer(),
            self._time,
        )

    def _absorb(self, heir: StoryRecord, absorbed: StoryRecord) -> None:
        heir["articles"] = _by_namer(heir, [*heir["articles"], *absorbed["articles"]])
        heir["article_count"] += absorbed["article_count"]
        self._move_tallies(heir, absorbed)
        heir["clusters"] = _latest([*heir["clusters"], *absorbed["clusters"]])
        heir["disagreements"] = _latest(
            [*heir["disagreements"], *absorbed["disagreements"]], DISAGREEMENTS_LISTED
        )
        heir["first_seen"] = min(heir["first_seen"], absorbed["first_seen"])
        heir["updated"] = max(heir["updated"], absorbed["updated"], self._time)
        _bound(heir)
        pointer = _empty(
            absorbed["story_id"], absorbed["headline"], absorbed["namer"], self._time
        )
        pointer["first_seen"] = absorbed["first_seen"]
        pointer["merged_into"] = heir["story_id"]
        pointer["refs"] = absorbed.get("refs", 0)
        self.changed[absorbed["story_id"]] = pointer

    def _move_tallies(self, heir: StoryRecord, absorbed: StoryRecord) -> None:
        for source in absorbed["sources"]:
            old = story_tally_key(absorbed["story_id"], source)
            moved = self._state.get(old)
            if moved is None:
                continue
            del self._state[old]
            self._count(heir, source, moved[0], moved[1])
        heir["source_count"] += max(
            0, absorbed["source_count"] - len(absorbed["sources"])
        )

    def _count(
        self, story: StoryRecord, source: str, articles: int, independents: int
    ) -> None:
        key = story_tally_key(story["story_id"], source)
        held, independent = self._state.get(key) or (0, 0)
        if held == 0 and articles > 0:
            story["source_count"] += 1
            if len(story["sources"]) < SOURCES_LISTED:
                story["sources"].append(source)
        if independent == 0 and independents > 0:
            story["independent_sources"] += 1
        self._state[key] = [held + articles, independent + independents]

    def _add_article(
        self,
        story: StoryRecord,
        clusters: list[ClusterRecord],
        comparisons: Iterable[FigureComparison],
    ) -> None:
        article = self._article
        listed = [a for a in story["articles"] if a["article_id"] != article.article_id]
        if len(listed) == len(story["articles"]):  # not a redelivery
            story["article_count"] += 1
            independent = article.duplicate.kind is None
            self._count(story, article.source, 1, int(independent))
        entry = StoryArticle(
            article_id=article.article_id,
            source=article.source,
            title=article.title,
            published_at=article.published_at,
            independent=article.duplicate.kind is None,
        ).model_dump(mode="json")
        story["articles"] = _by_namer(story, [*listed, {**entry, "time": self._time}])
        live = [c["cluster_id"] for c in clusters if "merged_into" not in c]
        story["clusters"] = _latest([*story["clusters"], *live])
        conflicts = [c.comparison_id for c in comparisons if c.relation == "conflict"]
        story["disagreements"] = _latest(
            [*story["disagreements"], *conflicts], DISAGREEMENTS_LISTED
        )
        story["updated"] = max(story["updated"], self._time)
        story["first_seen"] = min(story["first_seen"], self._time)
        _bound(story)

    def _live(self, story_id: str | None) -> StoryRecord | None:
        for _ in range(MAX_HOPS):
            if story_id is None:
                return None
            story = self.changed.get(story_id) or self._state.get(story_key(story_id))
            if story is None or "merged_into" not in story:
                if story is not None and story_id not in self.changed:
                    story = _copy(story)
                    self.changed[story_id] = story
                return story
            story_id = story["merged_into"]
        return None


def live_story_id(state: MutableMapping[str, Any], story_id: str) -> str | None:
    """The live story ``story_id`` is now part of; None when it has left."""
    return live_id(state, story_key, story_id)


def forget_article(
    state: MutableMapping[str, Any],
    story_id: str,
    article_id: str,
    source: str,
    *,
    independent: bool,
) -> None:
    """The article leaves its story (the live one its story id now points to); a
    story with no listed article left is gone, and so is a pointer no article
    names."""
    live = live_story_id(state, story_id)
    _unref(state, story_id)
    if live is None:
        return
    story = _copy(state[story_key(live)])
    story["articles"] = [a for a in story["articles"] if a["article_id"] != article_id]
    story["article_count"] -= 1
    key = story_tally_key(live, source)
    held, independents = state.get(key) or (0, 0)
    held, left = held - 1, independents - int(independent)
    if independents > 0 >= left:
        story["independent_sources"] -= 1
    if held <= 0:
        story["source_count"] -= 1
        story["sources"] = [s for s in story["sources"] if s != source]
        state.pop(key, None)
    else:
        state[key] = [held, max(left, 0)]
    if not story["articles"] or story["article_count"] <= 0:
        for source_ in story["sources"]:
            state.pop(story_tally_key(live, source_), None)
        del state[story_key(live)]
    else:
        state[story_key(live)] = story


def _unref(state: MutableMapping[str, Any], story_id: str) -> None:
    stored: StoryRecord | None = state.get(story_key(story_id))
    if stored is None or "refs" not in stored:
        return
    refs = stored["refs"] - 1
    if refs <= 0 and "merged_into" in stored:
        del state[story_key(story_id)]
    else:
        state[story_key(story_id)] = {**stored, "refs": refs}


def named(state: MutableMapping[str, Any], story_id: str) -> list[str]:
    """The story an article named and, if merged since, the live one."""
    live = live_story_id(state, story_id)
    return [story_id] if live in (None, story_id) else [story_id, live]


def publishable(story: StoryRecord, live_cluster: Callable[[str], str | None]) -> Story:
    """The record published on ``stories``; its clusters as they are now (merged
    ones followed, gone ones left out)."""
    clusters = (live_cluster(c) for c in story["clusters"])
    articles = tuple(
        StoryArticle.model_validate({k: v for k, v in a.items() if k != "time"})
        for a in story["articles"]
    )
    return Story(
        story_id=story["story_id"],
        headline=story["headline"],
        first_report=articles[0] if articles else None,
        articles=articles,
        article_count=story["article_count"],
        sources=tuple(story["sources"]),
        source_count=story["source_count"],
        independent_sources=story["independent_sources"],
        clusters=tuple(dict.fromkeys(c for c in clusters if c is not None)),
        disagreements=tuple(story["disagreements"]),
        first_seen=datetime.fromtimestamp(story["first_seen"], tz=UTC),
        updated=datetime.fromtimestamp(story["updated"], tz=UTC),
        merged_into=story.get("merged_into"),
    )


def _empty(story_id: str, headline: str, namer: list[Any], time: float) -> StoryRecord:
    """A story with no article yet: a new one, or the pointer an absorbed one
    becomes."""
    return StoryRecord(
        story_id=story_id,
        headline=headline,
        namer=namer,
        first_seen=time,
        updated=time,
        articles=[],
        article_count=0,
        sources=[],
        source_count=0,
        independent_sources=0,
        clusters=[],
        disagreements=[],
    )


def _distinct_clusters(clusters: list[ClusterRecord]) -> int:
    return sum(1 for c in clusters if "merged_into" not in c)


def _headline(article: EnrichedArticle) -> str:
    if article.title:
        return article.title[:HEADLINE_CHARS]
    first = article.sentences[0].text if article.sentences else article.text
    return first[:HEADLINE_CHARS]


def _by_namer(story: StoryRecord, articles: list[dict[str, Any]]) -> list[Any]:
    """The namer first, then the others in their time order."""
    namer = story["namer"][1]
    first = [a for a in articles if a["article_id"] == namer][:1]
    rest = sorted((a for a in articles if a not in first), key=lambda a: a["time"])
    return first + rest


def _latest(items: list[str], limit: int = CLUSTERS_LISTED) -> list[str]:
    return list(dict.fromkeys(reversed(items)))[:limit][::-1]


def _bound(story: StoryRecord) -> None:
    articles = story["articles"]
    if len(articles) > ARTICLES_LISTED:
        story["articles"] = articles[:1] + articles[1 - ARTICLES_LISTED :]


def _copy(story: StoryRecord) -> StoryRecord:
    """A copy a decision may change: its lists are new ones."""
    copied = StoryRecord(**story)
    copied["articles"] = list(story["articles"])
    copied["sources"] = list(story["sources"])
    copied["clusters"] = list(story["clusters"])
    copied["disagreements"] = list(story["disagreements"])
    return copied
