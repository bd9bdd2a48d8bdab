"""``stories``: the reports of one event across outlets."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from schemas.base import SCHEMA_VERSION, WireModel


class StoryArticle(WireModel):
    """One report of a story."""

    article_id: str
    source: str
    title: str | None = None
    published_at: datetime | None = Field(
        default=None, description="As the article gave it; none when it gave none."
    )
    independent: bool = Field(
        description="False for a duplicate of an earlier article (exact or near)."
    )


class Story(WireModel):
    """Articles that report one event. Key on the compacted ``stories``: story_id.

    Two articles are one story when they state one fact: a claim of each shares a
    claim cluster. Stories are decided with the clusters, in the one corroborate
    decision log, over the same window of publication time, and republished
    whenever an article joins. When an article links two stories, they merge: the
    one named by its earliest report (publication time, then article_id) absorbs
    the other, which is republished with ``merged_into``. A large story lists its
    first report and its latest ones; the counts are exact.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    story_id: str
    headline: str = Field(description="The title (or first sentence) of its namer.")
    first_report: StoryArticle | None = Field(
        description="The article with the earliest publication time (the first to "
        "arrive when none gave one); none on a merged story."
    )
    articles: tuple[StoryArticle, ...] = Field(
        description="The first report and the latest ones (all, when few)."
    )
    article_count: int = Field(ge=0, description="Articles, listed or not.")
    sources: tuple[str, ...] = Field(description="Distinct sources (the first 100).")
    source_count: int = Field(ge=0, description="Distinct sources, listed or not.")
    independent_sources: int = Field(
        ge=0, description="Distinct sources of articles that copy no earlier one."
    )
    clusters: tuple[str, ...] = Field(
        description="Its claim clusters (cluster_id on claims.clusters), the latest "
        "ones; follow merged_into there."
    )
    disagreements: tuple[str, ...] = Field(
        description="comparison_id of its figure comparisons whose relation is "
        "'conflict', the latest ones (on claims.conflicts)."
    )
    first_seen: datetime
    updated: datetime
    merged_into: str | None = Field(
        default=None,
        description="Set when an article joined this story to another: the story "
        "that now holds its articles (this record then lists none).",
    )
