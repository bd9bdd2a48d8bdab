"""What the API answers, as pydantic models (its OpenAPI document is made from them).

The topics' own records (``Story``, ``Claim``, ``ClaimCluster``, ``FigureComparison``,
``EnrichedArticle``) are returned as they are; these models put them in pages and
add what a reader of one topic cannot see: the article a claim is from, the live
cluster or story after merges, the time the store first saw a record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from schemas import (
    Claim,
    ClaimCluster,
    DuplicateVerdict,
    EnrichedArticle,
    FigureComparison,
    SentenceRef,
    Story,
)

T = TypeVar("T")


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Page(_View, Generic[T]):
    """One page of a list, newest first; ask again with ``offset=next_offset``."""

    items: list[T]
    total: int = Field(description="Items that match, on every page.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="None on the last page.")


class ArticleSummary(_View):
    """An article as a story's timeline shows it."""

    article_id: str
    source: str
    title: str | None
    lead: str = Field(description="Its first sentence that is not boilerplate.")
    url: str | None
    published_at: datetime | None
    seen_at: datetime = Field(description="When the store first read it.")
    duplicate: DuplicateVerdict
    claims: int = Field(description="Claims extracted from it.")


class ClaimView(_View):
    """A claim with where it stands: its article, and its cluster after merges."""

    claim: Claim
    source: str | None = Field(description="Its article's source, once read.")
    title: str | None
    published_at: datetime | None
    seen_at: datetime
    cluster_id: str | None = Field(
        description="The live cluster it is part of now (claim.cluster_id merged on)."
    )
    repeat_of: SentenceRef | None = Field(
        description="Its sentence repeats this earlier one, word for word."
    )
    duplicate_of: str | None = Field(
        description="Its article is a copy of this earlier article."
    )


class ClusterView(_View):
    """A claim cluster with its claims in one story."""

    cluster: ClaimCluster
    claims: list[ClaimView]


class StoryDetail(_View):
    """A story: its articles in time order, its clusters, its figure comparisons."""

    story: Story
    articles: list[ArticleSummary]
    clusters: list[ClusterView] = Field(description="Most independent sources first.")
    comparisons: list[FigureComparison] = Field(
        description="Every comparison of figures between its articles."
    )


class ArticleDetail(_View):
    """An article as published on articles.enriched, with its live story."""

    article: EnrichedArticle
    seen_at: datetime
    story_id: str | None = Field(description="article.story_id merged on.")


class Health(_View):
    """Whether the store answers, and how much it holds."""

    status: str
    articles: int
    claims: int
    clusters: int
    comparisons: int
    stories: int
    version: int = Field(description="Grows with every batch that changed the store.")


class Problem(_View):
    """An error: 401, 404, or 422 for a request that does not validate."""

    message: str
    detail: list[dict[str, object]] | None = None
