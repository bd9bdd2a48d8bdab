"""What the corroborator keeps in its two stores, and under which keys.

Values are plain JSON, as in a faust table with the JSON serializer.

``state`` keys:

- ``seq``: the number of the last article decided; orders ties in time.
- ``watermark``: the latest event time seen (epoch seconds); the window ends there.
- ``a:<article_id>``: the ArticleRecord: what the article was told, for redelivery.
- ``k:<cluster_id>``: the ClusterRecord: its counts, its namer and latest members
  with their profiles, its first and latest figures. Bounded, whatever the number of
  members: a decision reads and writes it whole. A cluster absorbed into another
  keeps a record with ``merged_into`` and no members, followed wherever its id is
  still named, until no article that names it is left in the window.
- ``o:<cluster_id>|<source>``: ``[members, independent members]`` of one source in
  one cluster, so that distinct-source counts stay exact as members come and go.
- ``t:<term>``: the latest clusters (ids) holding a term: the candidate index. It
  may also hold ids of clusters dropped since, which name no record (``forget``).
- ``x:<digest>``: ``[cluster_id]``, the latest cluster holding a claim of exactly this
  text (case and spacing aside): where a word-for-word copy goes.
- ``p:<article_id>``: the profiles of the article's claims: whether a claim is
  the closest in its article to a claim of another (see ``Decision._close``).
- ``g:<claim_id>#<index>``: a FigureRecord.
- ``y:<story_id>``: the StoryRecord (see ``stories``); ``z:<story_id>|<source>``:
  ``[articles, independent articles]`` of one source in one story.
- ``f:<category>``: the latest figures (keys) counting a category, across clusters.

``expiry`` keys are ``<event hour>|<seq>|<article_id>``, as dedupe's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, NotRequired, TypedDict

__all__ = [
    "ArticleRecord",
    "ClusterRecord",
    "FigureRecord",
    "MemberRecord",
    "Profile",
    "StoryRecord",
    "article_key",
    "cluster_key",
    "figure_key",
    "figures_key",
    "profiles_key",
    "story_key",
    "story_tally_key",
    "tally_key",
    "term_key",
    "text_key",
]

#: ``[claim_id, terms, entities, fate categories]``: what a new claim is scored on.
Profile = list[Any]


class ArticleRecord(TypedDict):
    """One decided article: its answer, and what to forget when it expires."""

    seq: int
    time: float
    expiry: str
    assigned: list[list[str]]  # [claim_id, cluster_id], in claim order
    clusters: list[str]  # cluster ids it changed, first changed first
    # A JSON array of FigureComparison (model_dump(mode="json") objects, before).
    comparisons: str | list[dict[str, Any]]
    figures: list[str]  # g: keys it created
    # Written since cluster counts were kept (older records lack them):
    source: NotRequired[str]
    independent: NotRequired[list[str]]  # claim ids that counted as independent
    capped: NotRequired[list[int]]  # [claims placed, claims] when over the cap
    # Written since stories were decided (older records lack them):
    story: NotRequired[str]  # its story's id when decided
    stories: NotRequired[list[str]]  # story ids it changed (merges included)
    original: NotRequired[bool]  # not a duplicate of an earlier article
    published: NotRequired[float]  # its publication time, when it gave one


class MemberRecord(TypedDict):
    """One claim of a cluster. Its profile is in its article's profiles record
    (``profiles_key``); members listed before that carry their own."""

    member: dict[str, Any]  # ClusterMember.model_dump(mode="json")
    time: float  # its article's event time
    profile: NotRequired[Profile]


class ClusterRecord(TypedDict):
    """One cluster: enough to publish it, score new claims and compare figures."""

    cluster_id: str
    label: str
    first_seen: float
    updated: float
    members: list[MemberRecord]  # the namer first, then the latest ones
    count: int  # members in the cluster, listed or not
    sources: list[str]  # distinct sources, first seen first, the first few
    source_count: int  # distinct sources
    independent_sources: int  # distinct sources among the independent members
    figures: list[str]  # g: keys, the first and the latest
    terms: list[str]  # t: and x: keys it was posted under, the latest
    # Written since clusters merged (older records lack them):
    namer: NotRequired[list[Any]]  # [published, claim_id]: the member it is named by
    merged_into: NotRequired[str]  # set on an absorbed cluster: where it went
    refs: NotRequired[int]  # decided articles in the window that name this id


class StoryRecord(TypedDict):
    """One story: enough to publish it and to merge it."""

    story_id: str
    headline: str
    namer: list[Any]  # [published, article_id] of the article it is named after
    first_seen: float
    updated: float
    articles: list[dict[str, Any]]  # StoryArticle (JSON) and "time", namer first
    article_count: int
    sources: list[str]
    source_count: int
    independent_sources: int
    clusters: list[str]  # the latest
    disagreements: list[str]  # comparison ids, the latest
    merged_into: NotRequired[str]
    refs: NotRequired[int]


class FigureRecord(TypedDict):
    """One figure of one claim, with what it takes to compare and to publish it."""

    claim_id: str
    index: int  # in claim.quantities
    article_id: str
    source: str
    cluster_id: str
    speaker: dict[str, Any] | None
    quantity: dict[str, Any]
    when: str | None
    dated: bool  # ``when`` is a resolved date, not words like "last month"
    category: str
    fate: str
    subject: list[str]
    context: list[str]  # entity keys of the whole article
    hedged: bool
    time: float
    seq: int
    # Written since figures were kept apart by who they are about (older lack it):
    actors: NotRequired[list[str]]  # entity keys of the claim's organisations, people
    # Written since periods and expectations were compared (older lack them):
    periods: NotRequired[list[str]]  # months and years the claim names
    expected: NotRequired[bool]  # a forecast or expectation, not an outcome


def article_key(article_id: str) -> str:
    return f"a:{article_id}"


def cluster_key(cluster_id: str) -> str:
    return f"k:{cluster_id}"


def tally_key(cluster_id: str, source: str) -> str:
    return f"o:{cluster_id}|{source}"


def term_key(term: str) -> str:
    return f"t:{term}"


def text_key(text: str) -> str:
    words = " ".join(text.casefold().split())
    return "x:" + hashlib.sha256(words.encode()).hexdigest()[:24]


def profiles_key(article_id: str) -> str:
    return f"p:{article_id}"


def story_key(story_id: str) -> str:
    return f"y:{story_id}"


def story_tally_key(story_id: str, source: str) -> str:
    return f"z:{story_id}|{source}"


def figure_key(claim_id: str, index: int) -> str:
    return f"g:{claim_id}#{index}"


def figures_key(category: str) -> str:
    return f"f:{category}"


#: Pointers followed from an absorbed cluster or story to the live one that holds
#: it: merges chain, and the bound keeps a damaged loop from hanging a decision.
MAX_HOPS = 16


def live_id(
    state: Mapping[str, Any], key_of: Callable[[str], str], record_id: str
) -> str | None:
    """The live record (cluster or story, stored under ``key_of(id)``) that
    ``record_id`` is, or was absorbed into; None when it is gone."""
    for _ in range(MAX_HOPS):
        stored = state.get(key_of(record_id))
        if stored is None:
            return None
        if "merged_into" not in stored:
            return record_id
        record_id = stored["merged_into"]
    return None
