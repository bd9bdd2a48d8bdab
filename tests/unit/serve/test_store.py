"""The serve store: idempotent upserts, offsets in the same transaction, bad records."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.serve.store import Incoming, Store, StoreError
from schemas import Claim, ClaimCluster

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _claim(claim_id: str = "c1", text: str = "Two soldiers were captured.") -> bytes:
    claim = Claim(claim_id=claim_id, article_id="a1", sentence_index=0, text=text)
    return claim.model_dump_json().encode()


def _cluster(members: int, updated: datetime) -> bytes:
    cluster = ClaimCluster(
        cluster_id="k1",
        label="Two soldiers were captured.",
        members=(),
        member_count=members,
        sources=("s",),
        source_count=1,
        independent_sources=1,
        first_seen=T0,
        updated=updated,
    )
    return cluster.model_dump_json().encode()


def _dump(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        tables = ("articles", "claims", "clusters", "conflicts", "stories")
        return [
            tuple(row)
            for table in tables
            for row in db.execute(f"SELECT * FROM {table} ORDER BY 1")
        ]


def test_a_redelivered_batch_changes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    batch = [
        Incoming("claims", 0, 0, _claim("c1"), 1_000),
        Incoming("claims", 1, 0, _claim("c2"), 2_000),
        Incoming("claims.clusters", 0, 0, _cluster(1, T0), 3_000),
    ]
    assert store.apply(batch).changed == 3
    before = _dump(tmp_path / "s.db")
    # The same records again, read later: the first-seen times stay.
    again = [Incoming(i.topic, i.partition, i.offset, i.value, 9_999) for i in batch]
    assert store.apply(again).changed == 0
    assert _dump(tmp_path / "s.db") == before
    assert store.offsets() == {
        ("claims", 0): 1,
        ("claims", 1): 1,
        ("claims.clusters", 0): 1,
    }


def test_an_older_cluster_read_again_never_replaces_a_newer_one(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    old, new = _cluster(1, T0), _cluster(2, T0 + timedelta(minutes=1))
    store.apply(
        [Incoming("claims.clusters", 0, 0, old), Incoming("claims.clusters", 0, 1, new)]
    )
    # The topic read again from its start, as a deleted-offsets restart would.
    assert store.apply([Incoming("claims.clusters", 0, 0, old)]).changed == 0
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert db.execute("SELECT member_count FROM clusters").fetchall() == [(2,)]


def test_bad_records_are_refused_with_a_reason_and_the_feed_goes_on(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "s.db")
    future = b'{"schema_version": 2, "claim_id": "c9", "what": "new"}'
    applied = store.apply(
        [
            Incoming("claims", 0, 0, b"not json"),
            Incoming("claims", 0, 1, future),
            Incoming("claims", 0, 2, b'{"schema_version": 1, "claim_id": "c3"}'),
            Incoming("stories", 0, 0, None),
            Incoming("claims", 0, 3, _claim("c4")),
        ]
    )
    assert applied.changed == 1
    reasons = [(r.offset, r.reason) for r in applied.rejected]
    assert reasons == [
        (0, "malformed"),
        (1, "future_schema"),
        (2, "malformed"),
        (0, "tombstone"),
    ]
    assert "article_id" in applied.rejected[2].detail
    # Past every refused record: a restart does not read them again.
    assert store.offsets() == {("claims", 0): 4, ("stories", 0): 1}


def test_records_from_files_leave_the_offsets_alone(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.apply([Incoming("claims", None, 0, _claim())])
    assert store.offsets() == {}


def test_a_store_is_reopened_where_it_ended(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.apply([Incoming("claims", 2, 41, _claim())])
    store.close()
    assert Store(tmp_path / "s.db").offsets() == {("claims", 2): 42}


def test_a_file_that_is_not_a_store_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_text("these are not the tables you are looking for" * 100)
    with pytest.raises(StoreError, match="delete it to have it rebuilt"):
        Store(path)
