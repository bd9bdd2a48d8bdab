"""The serve store: the output topics' latest records in one SQLite file.

One writer (the feed) and any number of readers (the page and the API): the file is
in WAL mode, so readers never wait for a batch being written. Every record is
upserted by its key, keeping the time it was first seen, and a record equal to the
stored one writes nothing: a redelivered record changes nothing. A batch is written
with the offsets after it in one transaction, so a restart resumes exactly where the
store ends, and a deleted store is rebuilt from the beginning of the topics.

A record the store cannot take (not JSON, not the schema, a future schema version)
is returned as a ``Rejection``; its offset still advances, so one bad record never
stops the feed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pipeline.topics import CLAIMS, CLUSTERS, CONFLICTS, ENRICHED, STORIES
from schemas import (
    SCHEMA_VERSION,
    Claim,
    ClaimCluster,
    EnrichedArticle,
    FigureComparison,
    Story,
)

#: Bumped when the tables change; an older store is refused with a message that
#: says to delete it (it is rebuilt from the topics).
STORE_VERSION = 1

TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS offsets (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition));
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT, url TEXT,
    published_at TEXT, seen_at TEXT NOT NULL, story_id TEXT, duplicate_kind TEXT,
    duplicate_of TEXT, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS articles_story ON articles (story_id);
CREATE TABLE IF NOT EXISTS claims (
    claim_id TEXT PRIMARY KEY, article_id TEXT NOT NULL, sentence_index INTEGER,
    speaker TEXT, checkworthiness REAL NOT NULL, checkworthy INTEGER NOT NULL,
    cluster_id TEXT, seen_at TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS claims_article ON claims (article_id);
CREATE INDEX IF NOT EXISTS claims_cluster ON claims (cluster_id);
CREATE INDEX IF NOT EXISTS claims_seen ON claims (seen_at);
CREATE TABLE IF NOT EXISTS claim_entities (
    claim_id TEXT NOT NULL, entity TEXT NOT NULL COLLATE NOCASE, label TEXT NOT NULL,
    PRIMARY KEY (claim_id, entity, label));
CREATE INDEX IF NOT EXISTS claim_entities_entity ON claim_entities (entity);
CREATE VIRTUAL TABLE IF NOT EXISTS claim_words USING fts5 (
    text, tokenize = 'porter unicode61');
CREATE TABLE IF NOT EXISTS clusters (
    cluster_id TEXT PRIMARY KEY, label TEXT NOT NULL, independent_sources INTEGER,
    source_count INTEGER, member_count INTEGER, merged_into TEXT,
    updated TEXT NOT NULL, seen_at TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS clusters_merged ON clusters (merged_into);
CREATE TABLE IF NOT EXISTS conflicts (
    comparison_id TEXT PRIMARY KEY, relation TEXT NOT NULL, counted TEXT NOT NULL,
    first_article TEXT NOT NULL, second_article TEXT NOT NULL,
    seen_at TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS conflicts_relation ON conflicts (relation, seen_at);
CREATE INDEX IF NOT EXISTS conflicts_first ON conflicts (first_article);
CREATE INDEX IF NOT EXISTS conflicts_second ON conflicts (second_article);
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY, headline TEXT NOT NULL, independent_sources INTEGER,
    source_count INTEGER, article_count INTEGER, merged_into TEXT,
    updated TEXT NOT NULL, seen_at TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS stories_updated ON stories (merged_into, updated);
"""


class StoreError(Exception):
    """The store file cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Incoming:
    """One record for the store: from a topic (base name) and where it was read
    (partition None: from a file, whose place is not kept)."""

    topic: str
    partition: int | None
    offset: int
    value: bytes | None
    timestamp_ms: int | None = None


@dataclass(frozen=True)
class Rejection:
    """A record the store could not take, and why (``reason`` is a metric label)."""

    topic: str
    partition: int | None
    offset: int
    reason: str
    detail: str


@dataclass(frozen=True)
class Applied:
    """What one batch did: records stored or changed, and the ones refused."""

    changed: int
    rejected: tuple[Rejection, ...]


def timestamp(moment: datetime) -> str:
    """A time as stored: UTC, fixed width, so that text order is time order."""
    if moment.tzinfo is None:  # a naive time is taken as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection to the store; read-only ones are what the page and API use."""
    if readonly:
        db = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=10
        )
    else:
        db = sqlite3.connect(path, check_same_thread=False, timeout=10)
    db.row_factory = sqlite3.Row
    return db


class Store:
    """The writer of a store file, creating it (and its folder) when missing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = connect(path)
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL sync survives a killed process; only a power cut may
            # lose the last batches, which the offsets then read again.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._create()
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"cannot use {path} as the serve store ({error}); delete it to have it "
                "rebuilt from the topics, or give another NEWSLINE_SERVE__DB"
            ) from error

    def _create(self) -> None:
        with self._db:
            self._db.executescript(TABLES)
            row = self._db.execute(
                "SELECT value FROM meta WHERE key = 'store_version'"
            ).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO meta VALUES ('store_version', ?), ('version', '0')",
                    (str(STORE_VERSION),),
                )
            elif int(row[0]) != STORE_VERSION:
                raise sqlite3.DatabaseError(
                    f"its tables are version {row[0]}, this newsline writes "
                    f"{STORE_VERSION}"
                )

    def close(self) -> None:
        self._db.close()

    def offsets(self) -> dict[tuple[str, int], int]:
        """The next offset to read, per (topic base name, partition)."""
        rows = self._db.execute("SELECT topic, partition, next_offset FROM offsets")
        return {(topic, partition): offset for topic, partition, offset in rows}

    def apply(self, batch: Sequence[Incoming]) -> Applied:
        """Store a batch and the offsets after it, in one transaction."""
        changed = 0
        rejected: list[Rejection] = []
        with self._db:
            for incoming in batch:
                try:
                    changed += _store(self._db, incoming)
                except _RefusedError as refused:
                    rejected.append(_rejection(incoming, refused))
            self._advance(batch)
            if changed:
                self._db.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                    "WHERE key = 'version'"
                )
        return Applied(changed, tuple(rejected))

    def _advance(self, batch: Iterable[Incoming]) -> None:
        after: dict[tuple[str, int], int] = {}
        for incoming in batch:
            if incoming.partition is None:
                continue
            place = (incoming.topic, incoming.partition)
            after[place] = max(after.get(place, 0), incoming.offset + 1)
        self._db.executemany(
            "INSERT INTO offsets VALUES (?, ?, ?) ON CONFLICT (topic, partition) "
            "DO UPDATE SET next_offset = max(next_offset, excluded.next_offset)",
            [
                (topic, partition, offset)
                for (topic, partition), offset in after.items()
            ],
        )


@contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection for one request, closed after it."""
    with closing(connect(path, readonly=True)) as db:
        yield db


def version(db: sqlite3.Connection) -> int:
    """A number that grows whenever a batch changed the store (the page polls it)."""
    row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    return int(row[0]) if row else 0


# -- one record -------------------------------------------------------------------


class _RefusedError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _rejection(incoming: Incoming, refused: _RefusedError) -> Rejection:
    return Rejection(
        incoming.topic,
        incoming.partition,
        incoming.offset,
        refused.reason,
        str(refused),
    )


def _store(db: sqlite3.Connection, incoming: Incoming) -> int:
    """1 when the record changed the store, 0 when it was there already."""
    table = TABLE_OF.get(incoming.topic)
    if table is None:
        raise _RefusedError("unknown_topic", f"the store keeps no {incoming.topic!r}")
    if incoming.value is None:
        # newsline never deletes a record; a tombstone is someone else's, refused.
        raise _RefusedError("tombstone", "a record with no value")
    record = _decode(table.model, incoming.value)
    seen = timestamp(
        datetime.fromtimestamp(incoming.timestamp_ms / 1000, tz=UTC)
        if incoming.timestamp_ms is not None
        else datetime.now(UTC)
    )
    return table.upsert(db, record, seen)


def _decode(model: type[BaseModel], value: bytes) -> BaseModel:
    try:
        return model.model_validate_json(value)
    except ValidationError as error:
        future = _schema_version(value)
        if future is not None and future > SCHEMA_VERSION:
            raise _RefusedError(
                "future_schema",
                f"schema_version {future}; this newsline reads {SCHEMA_VERSION}",
            ) from error
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the record"
        raise _RefusedError("malformed", f"{where}: {first['msg']}") from error


def _schema_version(value: bytes) -> int | None:
    try:
        found = json.loads(value).get("schema_version")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, int) else None


@dataclass(frozen=True)
class _Table:
    """How a topic's record becomes a row: the table, its key, its columns."""

    name: str
    key: str
    model: type[BaseModel]
    columns: Callable[[Any], dict[str, object]]
    #: Rows that hang off the record (search words, entities), rewritten with it.
    index: Callable[[sqlite3.Connection, Any], None] | None = None
    #: For records republished as they change (clusters, stories): an older
    #: version read again, when a topic is read from the start, never replaces a
    #: newer one.
    newest: bool = False

    def upsert(self, db: sqlite3.Connection, record: BaseModel, seen: str) -> int:
        key = getattr(record, self.key)
        text = record.model_dump_json()
        row = db.execute(
            f"SELECT record FROM {self.name} WHERE {self.key} = ?", (key,)
        ).fetchone()
        if row is not None and row[0] == text:
            return 0
        values = {self.key: key, **self.columns(record), "record": text}
        names = ", ".join(values)
        updates = ", ".join(f"{n} = excluded.{n}" for n in values if n != self.key)
        newer = f" WHERE excluded.updated >= {self.name}.updated" if self.newest else ""
        written = db.execute(
            f"INSERT INTO {self.name} ({names}, seen_at) "
            f"VALUES ({', '.join('?' * len(values))}, ?) "
            f"ON CONFLICT ({self.key}) DO UPDATE SET {updates}{newer}",
            (*values.values(), seen),
        ).rowcount
        if written and self.index is not None:
            self.index(db, record)
        return written


def _optional_time(moment: datetime | None) -> str | None:
    return timestamp(moment) if moment is not None else None


def _article_columns(article: EnrichedArticle) -> dict[str, object]:
    return {
        "source": article.source,
        "title": article.title,
        "url": article.url,
        "published_at": _optional_time(article.published_at),
        "story_id": article.story_id,
        "duplicate_kind": article.duplicate.kind,
        "duplicate_of": article.duplicate.of,
    }


def _claim_columns(claim: Claim) -> dict[str, object]:
    return {
        "article_id": claim.article_id,
        "sentence_index": claim.sentence_index,
        "speaker": claim.speaker.name if claim.speaker else None,
        "checkworthiness": claim.checkworthiness,
        "checkworthy": int(claim.checkworthy),
        "cluster_id": claim.cluster_id,
    }


def _index_claim(db: sqlite3.Connection, claim: Claim) -> None:
    # The word index shares the claim's rowid: looking an FTS5 row up by any other
    # column scans the whole index.
    (rowid,) = db.execute(
        "SELECT rowid FROM claims WHERE claim_id = ?", (claim.claim_id,)
    ).fetchone()
    db.execute("DELETE FROM claim_words WHERE rowid = ?", (rowid,))
    db.execute(
        "INSERT INTO claim_words (rowid, text) VALUES (?, ?)", (rowid, claim.text)
    )
    db.execute("DELETE FROM claim_entities WHERE claim_id = ?", (claim.claim_id,))
    db.executemany(
        "INSERT OR IGNORE INTO claim_entities VALUES (?, ?, ?)",
        [(claim.claim_id, e.text, e.label) for e in claim.entities],
    )


def _cluster_columns(cluster: ClaimCluster) -> dict[str, object]:
    return {
        "label": cluster.label,
        "independent_sources": cluster.independent_sources,
        "source_count": cluster.source_count,
        "member_count": cluster.member_count,
        "merged_into": cluster.merged_into,
        "updated": timestamp(cluster.updated),
    }


def _comparison_columns(comparison: FigureComparison) -> dict[str, object]:
    return {
        "relation": comparison.relation,
        "counted": comparison.counted,
        "first_article": comparison.first.article_id,
        "second_article": comparison.second.article_id,
    }


def _story_columns(story: Story) -> dict[str, object]:
    return {
        "headline": story.headline,
        "independent_sources": story.independent_sources,
        "source_count": story.source_count,
        "article_count": story.article_count,
        "merged_into": story.merged_into,
        "updated": timestamp(story.updated),
    }


#: The topics the store keeps (by base name), and how.
TABLE_OF: dict[str, _Table] = {
    ENRICHED.name: _Table("articles", "article_id", EnrichedArticle, _article_columns),
    CLAIMS.name: _Table("claims", "claim_id", Claim, _claim_columns, _index_claim),
    CLUSTERS.name: _Table(
        "clusters", "cluster_id", ClaimCluster, _cluster_columns, newest=True
    ),
    CONFLICTS.name: _Table(
        "conflicts", "comparison_id", FigureComparison, _comparison_columns
    ),
    STORIES.name: _Table("stories", "story_id", Story, _story_columns, newest=True),
}
