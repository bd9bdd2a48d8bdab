"""The JSON API: ``/api/...`` and ``/healthz``, each a read of the store.

Handlers are plain functions: FastAPI runs them in its thread pool, each with its own
read-only connection, so a slow query never holds up the event loop or the feed.

Annotations here are evaluated (no ``from __future__ import annotations``): the
routes are made inside ``api_router``, and FastAPI reads their parameters' types
from the annotations, which must name the closure's own objects.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from pipeline.serve import queries
from pipeline.serve.models import (
    ArticleDetail,
    ClaimView,
    Health,
    Page,
    Problem,
    StoryDetail,
)
from pipeline.serve.store import reading
from pipeline.settings import ServeSettings
from schemas import FigureComparison, Relation, Story

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such record in the store."}
}


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def api_router(config: ServeSettings) -> APIRouter:
    """The API's routes, reading the store at ``config.db``."""
    router = APIRouter()
    db_path = config.db

    def paging(
        limit: Annotated[
            int | None,
            Query(ge=1, le=config.max_page_size, description="Items per page."),
        ] = None,
        offset: Annotated[int, Query(ge=0, description="Items to skip.")] = 0,
    ) -> Paging:
        return Paging(limit or config.page_size, offset)

    Paged = Annotated[Paging, Depends(paging)]  # noqa: N806 (a type)

    @router.get("/api/stories", tags=["stories"])
    def list_stories(page: Paged) -> Page[Story]:
        """Live stories (merged ones are left out), the latest updated first."""
        with reading(db_path) as db:
            return queries.stories(db, limit=page.limit, offset=page.offset)

    @router.get("/api/stories/{story_id}", tags=["stories"], responses=NOT_FOUND)
    def get_story(story_id: str) -> StoryDetail:
        """A story with its articles in time order, its claim clusters (most
        independent sources first) and its figure comparisons. A story merged into
        another answers with the one it is part of now."""
        with reading(db_path) as db:
            live = queries.story_heir(db, story_id)
            found = queries.story(db, live) if live else None
        if found is None:
            raise HTTPException(404, f"no story {story_id!r} in the store")
        return found

    @router.get("/api/claims", tags=["claims"])
    def search_claims(
        page: Paged,
        q: Annotated[
            str | None, Query(description="Words the claim holds (stemmed).")
        ] = None,
        speaker: Annotated[
            str | None, Query(description="Part of the speaker's name.")
        ] = None,
        entity: Annotated[
            str | None, Query(description="Part of an entity the claim names.")
        ] = None,
        checkworthy: Annotated[
            bool | None, Query(description="Only claims (not) worth checking.")
        ] = None,
        since: Annotated[
            datetime | None,
            Query(
                description="Published (or, without a date, first seen) at or "
                "after this time, ISO 8601; UTC when no zone is given."
            ),
        ] = None,
    ) -> Page[ClaimView]:
        """Claims matching every condition given, the latest first."""
        where = queries.ClaimFilter(q, speaker, entity, checkworthy, since)
        with reading(db_path) as db:
            return queries.claims(db, where, limit=page.limit, offset=page.offset)

    @router.get("/api/conflicts", tags=["figures"])
    def list_comparisons(
        page: Paged,
        relation: Annotated[
            Relation | None,
            Query(description="Only comparisons with this relation."),
        ] = None,
    ) -> Page[FigureComparison]:
        """Figure comparisons (claims.conflicts), the latest first."""
        with reading(db_path) as db:
            return queries.comparisons(
                db, relation, limit=page.limit, offset=page.offset
            )

    @router.get("/api/articles/{article_id}", tags=["articles"], responses=NOT_FOUND)
    def get_article(article_id: str) -> ArticleDetail:
        """An article as published on articles.enriched, with its live story."""
        with reading(db_path) as db:
            found = queries.article(db, article_id)
        if found is None:
            raise HTTPException(404, f"no article {article_id!r} in the store")
        return found

    @router.get("/healthz", tags=["service"])
    def healthz() -> Health:
        """Whether the store answers, and how much it holds (never asks a token)."""
        return _health(db_path)

    return router


def _health(db_path: Path) -> Health:
    with reading(db_path) as db:
        return queries.health(db)
