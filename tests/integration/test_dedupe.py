"""Dedupe through a real broker: across partitions, and across a worker restart."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from aiokafka import AIOKafkaProducer

from pipeline.cli.supervise import WorkerProcess
from pipeline.clients.kafka import aiokafka_options, ensure_topics
from pipeline.clients.results import Results, collect, output_offsets
from pipeline.settings import Settings
from pipeline.topics import RAW, topic_name

# Generous: a restarted worker first recovers its tables from the changelogs, which
# takes longer on a loaded machine.
TIMEOUT = 240.0


def _record(article_id: str, body: str, published_at: str | None = None) -> bytes:
    record = {"article_id": article_id, "source": "t", "body": body}
    if published_at is not None:
        record["published_at"] = published_at
    return json.dumps(record).encode()


def _edited(body: str) -> str:
    """A copy with a handful of words changed: a near-duplicate, not an exact one."""
    words = body.split(" ")
    for position in (40, 120, 200):
        words[position] = words[position].upper() + "X"
    return " ".join(words)


async def _send(
    settings: Settings,
    article_id: str,
    body: str,
    partition: int,
    *,
    published_at: str | None = None,
) -> Results:
    """Produce one article to a chosen partition and wait for its outcome."""
    since = await output_offsets(settings)
    producer = AIOKafkaProducer(**aiokafka_options(settings), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            topic_name(settings, RAW),
            _record(article_id, body, published_at),
            key=article_id.encode(),
            partition=partition,
        )
    finally:
        await producer.stop()
    return await collect(settings, since, expect=[article_id], timeout=TIMEOUT)


async def test_duplicates_are_found_across_partitions(
    settings: Settings, worker: WorkerProcess, seeds_dir: Path
) -> None:
    assert settings.topic_partitions >= 4
    await ensure_topics(settings)
    body = sorted(seeds_dir.glob("*.txt"))[2].read_text(encoding="utf-8")

    first = await _send(settings, "original", body, partition=0)
    assert first.enriched["original"].duplicate.kind is None, worker.log_tail()

    near = await _send(settings, "near-copy", _edited(body), partition=1)
    verdict = near.enriched["near-copy"].duplicate
    assert verdict.kind == "near"
    assert verdict.of == "original"
    assert verdict.similarity is not None
    assert verdict.similarity >= settings.dedupe.threshold

    exact = await _send(settings, "exact-copy", body, partition=3)
    assert exact.enriched["exact-copy"].duplicate.kind == "exact"
    assert exact.enriched["exact-copy"].duplicate.of == "original"


async def test_verdicts_survive_a_worker_restart(
    settings: Settings,
    settings_factory: Callable[..., Settings],
    worker_factory: Callable[[Settings], WorkerProcess],
    seeds_dir: Path,
    tmp_path: Path,
) -> None:
    await ensure_topics(settings)
    body = sorted(seeds_dir.glob("*.txt"))[4].read_text(encoding="utf-8")
    worker = worker_factory(settings)
    first = await _send(settings, "before-restart", body, partition=2)
    original = first.enriched["before-restart"]
    worker.stop()

    # A fresh state folder: the index must come back from the changelog topics.
    restarted = settings.model_copy(update={"data_dir": tmp_path / "fresh-state"})
    worker = worker_factory(restarted)
    near = await _send(restarted, "after-restart", _edited(body), partition=0)
    assert near.enriched["after-restart"].duplicate.of == "before-restart", (
        worker.log_tail()
    )

    again = await _send(restarted, "before-restart", body, partition=2)
    assert again.enriched["before-restart"] == original  # never its own duplicate


async def test_a_record_dated_9999_switches_nothing_off_even_after_a_restart(
    settings: Settings,
    worker_factory: Callable[[Settings], WorkerProcess],
    seeds_dir: Path,
    tmp_path: Path,
) -> None:
    await ensure_topics(settings)
    bodies = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    january = "2025-01-13T08:00:00Z"
    worker = worker_factory(settings)
    await _send(settings, "a", bodies[0], partition=0, published_at=january)
    hostile = await _send(
        settings, "b", bodies[1], partition=1, published_at="9999-12-31T00:00:00Z"
    )
    noted = hostile.enriched["b"]
    assert noted.published_at is None
    assert [n.kind for n in noted.notes] == ["published_at_ignored"]
    copy = await _send(settings, "a-copy", bodies[0], partition=2, published_at=january)
    assert copy.enriched["a-copy"].duplicate.of == "a", worker.log_tail()
    worker.stop()

    # Rebuilt from the changelog, the window is where the trusted dates put it.
    restarted = settings.model_copy(update={"data_dir": tmp_path / "fresh-state"})
    worker = worker_factory(restarted)
    again = await _send(
        restarted, "a-again", bodies[0], partition=3, published_at=january
    )
    assert again.enriched["a-again"].duplicate.of == "a", worker.log_tail()
    claims = again.enriched["a-again"].claims
    assert claims
    assert [c.cluster_id for c in claims] == [
        c.cluster_id for c in copy.enriched["a-copy"].claims
    ]
