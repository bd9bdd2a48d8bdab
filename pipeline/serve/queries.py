"""What the page and the API read from the store; every value is a bound parameter.

Merges are followed here: a claim names the cluster it joined when it was decided,
an article the story it joined, and either may since have been merged into another
(``merged_into``). Readers are shown the live one.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from pipeline.serve.models import (
    ArticleDetail,
    ArticleSummary,
    ClaimView,
    ClusterView,
    Health,
    Page,
    StoryDetail,
)
from pipeline.serve.store import timestamp, version
from schemas import (
    Claim,
    ClaimCluster,
    EnrichedArticle,
    FigureComparison,
    SentenceRef,
    Story,
)

T = TypeVar("T")

#: Longest chain of merges followed; chains are a few links long in practice.
MAX_CHAIN = 64
#: What one story page lists at most: its articles, and the clusters of their claims.
STORY_ARTICLES = 500
STORY_CLUSTERS = 200
#: Bound parameters per statement (SQLite allows more; this keeps statements small).
CHUNK = 500


@dataclass(frozen=True)
class ClaimFilter:
    """The claim search: every given condition must hold."""

    q: str | None = None
    speaker: str | None = None
    entity: str | None = None
    checkworthy: bool | None = None
    since: datetime | None = None


# -- stories ----------------------------------------------------------------------


def stories(db: sqlite3.Connection, *, limit: int, offset: int) -> Page[Story]:
    """Live stories (not merged into another), the latest updated first."""
    total = _count(db, "SELECT count(*) FROM stories WHERE merged_into IS NULL", ())
    rows = db.execute(
        "SELECT record FROM stories WHERE merged_into IS NULL "
        "ORDER BY updated DESC, story_id LIMIT ? OFFSET ?",
        (limit, offset),
    )
    items = [Story.model_validate_json(row[0]) for row in rows]
    return _page(items, total, limit, offset)


def story_heir(db: sqlite3.Connection, story_id: str) -> str | None:
    """The live story ``story_id`` is now part of; None for an unknown story."""
    heir = _heirs(db, "stories", "story_id", [story_id])[story_id]
    row = db.execute("SELECT 1 FROM stories WHERE story_id = ?", (heir,)).fetchone()
    return heir if row else None


def story(db: sqlite3.Connection, story_id: str) -> StoryDetail | None:
    """A live story with its articles, clusters and comparisons; None if unknown.

    Give it a live id (``story_heir``): a merged story's record lists nothing.
    """
    row = db.execute(
        "SELECT record FROM stories WHERE story_id = ?", (story_id,)
    ).fetchone()
    if row is None:
        return None
    family = _family(db, "stories", "story_id", story_id)
    articles = _story_articles(db, family)
    ids = [article.article_id for article, _ in articles]
    claims = _claim_views(db, _claims_of_articles(db, ids))
    return StoryDetail(
        story=Story.model_validate_json(row[0]),
        articles=[_summary(article, seen) for article, seen in articles],
        clusters=_clusters(db, claims),
        comparisons=_comparisons_between(db, ids),
    )


def _story_articles(
    db: sqlite3.Connection, family: Sequence[str]
) -> list[tuple[EnrichedArticle, str]]:
    """The articles of a story (and of those merged into it), in time order."""
    rows = _select_in(
        db,
        "SELECT article_id, published_at, seen_at, record FROM articles "
        "WHERE story_id IN ({})",
        family,
    )
    rows.sort(key=lambda row: (row["published_at"] or row["seen_at"], row[0]))
    return [
        (EnrichedArticle.model_validate_json(row["record"]), row["seen_at"])
        for row in rows[:STORY_ARTICLES]
    ]


def _summary(article: EnrichedArticle, seen_at: str) -> ArticleSummary:
    return ArticleSummary(
        article_id=article.article_id,
        source=article.source,
        title=article.title,
        lead=next((s.text for s in article.sentences if not s.boilerplate), ""),
        url=article.url,
        published_at=article.published_at,
        seen_at=datetime.fromisoformat(seen_at),
        duplicate=article.duplicate,
        claims=len(article.claims),
    )


def _claims_of_articles(
    db: sqlite3.Connection, articles: Collection[str]
) -> list[sqlite3.Row]:
    return _select_in(db, CLAIM_VIEW + "WHERE c.article_id IN ({})", articles)


def _clusters(db: sqlite3.Connection, claims: Iterable[ClaimView]) -> list[ClusterView]:
    grouped: dict[str, list[ClaimView]] = defaultdict(list)
    for view in claims:
        if view.cluster_id is not None:
            grouped[view.cluster_id].append(view)
    rows = _select_in(
        db, "SELECT record FROM clusters WHERE cluster_id IN ({})", list(grouped)
    )
    clusters = [ClaimCluster.model_validate_json(row[0]) for row in rows]
    clusters.sort(key=lambda c: (-c.independent_sources, -c.member_count, c.label))
    return [
        ClusterView(
            cluster=cluster,
            claims=sorted(grouped[cluster.cluster_id], key=_claim_order),
        )
        for cluster in clusters[:STORY_CLUSTERS]
    ]


def _claim_order(view: ClaimView) -> tuple[str, str, int]:
    when = view.published_at or view.seen_at
    return (timestamp(when), view.claim.article_id, view.claim.sentence_index)


def _comparisons_between(
    db: sqlite3.Connection, articles: Collection[str]
) -> list[FigureComparison]:
    found: dict[str, FigureComparison] = {}
    for column in ("first_article", "second_article"):
        rows = _select_in(
            db,
            f"SELECT record FROM conflicts WHERE {column} IN ({{}}) ORDER BY seen_at",
            articles,
        )
        for row in rows:
            comparison = FigureComparison.model_validate_json(row[0])
            found[comparison.comparison_id] = comparison
    return list(found.values())


# -- claims -----------------------------------------------------------------------

#: A claim with its article's facts; the sentence's repeat_of comes out of the
#: article's record, so a search needs no article decoded.
CLAIM_VIEW = """
SELECT c.record, c.seen_at, a.source, a.title, a.published_at, a.duplicate_of,
       json_extract(a.record, '$.sentences[' || c.sentence_index || '].repeat_of')
           AS repeat_of
FROM claims c LEFT JOIN articles a ON a.article_id = c.article_id
"""


def claims(
    db: sqlite3.Connection, where: ClaimFilter, *, limit: int, offset: int
) -> Page[ClaimView]:
    """Claims that match every condition given, the latest first."""
    conditions, parameters = _claim_conditions(where)
    if conditions is None:
        return _page([], 0, limit, offset)
    clause = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    matching = (
        f"FROM claims c LEFT JOIN articles a ON a.article_id = c.article_id {clause}"
    )
    total = _count(db, f"SELECT count(*) {matching}", parameters)
    # The page's claims first, then their views: a view reads into its article's
    # record, which is worth doing for the rows shown, not for every match.
    shown = [
        row[0]
        for row in db.execute(
            f"SELECT c.rowid {matching} "
            "ORDER BY c.seen_at DESC, c.claim_id LIMIT ? OFFSET ?",
            (*parameters, limit, offset),
        )
    ]
    rows = db.execute(
        f"{CLAIM_VIEW} WHERE c.rowid IN ({', '.join('?' * len(shown))}) "
        "ORDER BY c.seen_at DESC, c.claim_id",
        shown,
    ).fetchall()
    return _page(_claim_views(db, rows), total, limit, offset)


def _claim_conditions(where: ClaimFilter) -> tuple[list[str] | None, list[object]]:
    """SQL conditions and their parameters; None when nothing can match."""
    conditions: list[str] = []
    parameters: list[object] = []
    if where.q is not None and where.q.strip():
        words = re.findall(r"\w+", where.q)
        if not words:
            return None, []
        # Each word quoted, so the search text is never read as FTS5 syntax.
        conditions.append(
            "c.rowid IN (SELECT rowid FROM claim_words WHERE claim_words MATCH ?)"
        )
        parameters.append(" ".join(f'"{word}"' for word in words))
    if where.speaker:
        conditions.append("c.speaker LIKE ? ESCAPE '\\'")
        parameters.append(_contains(where.speaker))
    if where.entity:
        conditions.append(
            "c.claim_id IN (SELECT claim_id FROM claim_entities "
            "WHERE entity LIKE ? ESCAPE '\\')"
        )
        parameters.append(_contains(where.entity))
    if where.checkworthy is not None:
        conditions.append("c.checkworthy = ?")
        parameters.append(int(where.checkworthy))
    if where.since is not None:
        conditions.append("coalesce(a.published_at, c.seen_at) >= ?")
        parameters.append(timestamp(where.since))
    return conditions, parameters


def _contains(text: str) -> str:
    """A LIKE pattern for text anywhere, its own % and _ taken literally."""
    escaped = re.sub(r"([\\%_])", r"\\\1", text.strip())
    return f"%{escaped}%"


def _claim_views(
    db: sqlite3.Connection, rows: Sequence[sqlite3.Row]
) -> list[ClaimView]:
    claims = [Claim.model_validate_json(row[0]) for row in rows]
    named = [c.cluster_id for c in claims if c.cluster_id is not None]
    heirs = _heirs(db, "clusters", "cluster_id", named)
    return [
        ClaimView(
            claim=claim,
            source=row["source"],
            title=row["title"],
            published_at=_time(row["published_at"]),
            seen_at=datetime.fromisoformat(row["seen_at"]),
            cluster_id=heirs.get(claim.cluster_id) if claim.cluster_id else None,
            repeat_of=(
                SentenceRef.model_validate_json(row["repeat_of"])
                if row["repeat_of"]
                else None
            ),
            duplicate_of=row["duplicate_of"],
        )
        for claim, row in zip(claims, rows, strict=True)
    ]


# -- comparisons, articles, health --------------------------------------------------


def comparisons(
    db: sqlite3.Connection, relation: str | None, *, limit: int, offset: int
) -> Page[FigureComparison]:
    """Figure comparisons, of one relation when given, the latest first."""
    total = _count(
        db,
        "SELECT count(*) FROM conflicts WHERE ?1 IS NULL OR relation = ?1",
        (relation,),
    )
    rows = db.execute(
        "SELECT record FROM conflicts WHERE ?1 IS NULL OR relation = ?1 "
        "ORDER BY seen_at DESC, comparison_id LIMIT ?2 OFFSET ?3",
        (relation, limit, offset),
    )
    items = [FigureComparison.model_validate_json(row[0]) for row in rows]
    return _page(items, total, limit, offset)


def article(db: sqlite3.Connection, article_id: str) -> ArticleDetail | None:
    """An article as published, with its live story; None if not in the store."""
    row = db.execute(
        "SELECT record, seen_at, story_id FROM articles WHERE article_id = ?",
        (article_id,),
    ).fetchone()
    if row is None:
        return None
    story_id = row["story_id"] and story_heir(db, row["story_id"])
    return ArticleDetail(
        article=EnrichedArticle.model_validate_json(row["record"]),
        seen_at=datetime.fromisoformat(row["seen_at"]),
        story_id=story_id or row["story_id"],
    )


def health(db: sqlite3.Connection) -> Health:
    """How much the store holds."""

    def rows(table: str) -> int:
        return _count(db, f"SELECT count(*) FROM {table}", ())

    return Health(
        status="ok",
        articles=rows("articles"),
        claims=rows("claims"),
        clusters=rows("clusters"),
        comparisons=rows("conflicts"),
        stories=rows("stories"),
        version=version(db),
    )


# -- shared -------------------------------------------------------------------------


def _page(items: list[T], total: int, limit: int, offset: int) -> Page[T]:
    following = offset + len(items)
    return Page(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=following if following < total else None,
    )


def _count(db: sqlite3.Connection, sql: str, parameters: Sequence[object]) -> int:
    return int(db.execute(sql, parameters).fetchone()[0])


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _select_in(
    db: sqlite3.Connection, sql: str, values: Collection[str]
) -> list[sqlite3.Row]:
    """Rows of ``sql`` whose ``IN ({})`` takes each of ``values`` (in chunks)."""
    listed = list(dict.fromkeys(values))
    rows: list[sqlite3.Row] = []
    for start in range(0, len(listed), CHUNK):
        chunk = listed[start : start + CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows += db.execute(sql.format(marks), chunk).fetchall()
    return rows


def _heirs(
    db: sqlite3.Connection, table: str, key: str, ids: Iterable[str]
) -> dict[str, str]:
    """Each id's live record: merged_into followed (an unknown id is its own)."""
    heir = {i: i for i in ids}
    frontier = set(heir)
    for _ in range(MAX_CHAIN):
        rows = _select_in(
            db,
            f"SELECT {key}, merged_into FROM {table} "
            f"WHERE merged_into IS NOT NULL AND {key} IN ({{}})",
            frontier,
        )
        moved = {row[0]: row[1] for row in rows}
        if not moved:
            break
        heir = {start: moved.get(now, now) for start, now in heir.items()}
        frontier = set(moved.values())
    return heir


def _family(db: sqlite3.Connection, table: str, key: str, live: str) -> list[str]:
    """A live id and every id merged into it, directly or not."""
    rows = db.execute(
        f"WITH RECURSIVE family(id) AS (VALUES (?) UNION "
        f"SELECT t.{key} FROM {table} t JOIN family f ON t.merged_into = f.id) "
        "SELECT id FROM family",
        (live,),
    )
    return [row[0] for row in rows]
