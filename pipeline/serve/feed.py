"""Filling the serve store: from the output topics, or from ``newsline extract`` files.

The feed reads every partition of the five output topics itself (no consumer group
membership: every serve process keeps a whole store) from the offsets its store
holds, or from the beginning for a new store. Each batch is stored with the offsets
after it in one transaction, and only then committed to Kafka under the serve group,
so that the usual tools show how far behind the page is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry, Counter

from pipeline.clients.kafka import MAX_RECORD_BYTES, aiokafka_options
from pipeline.clients.results import output_partitions
from pipeline.serve.store import Applied, Incoming, Store
from pipeline.settings import Settings
from pipeline.topics import CLAIMS, CLUSTERS, CONFLICTS, ENRICHED, STORIES, TopicSpec

log = logging.getLogger(__name__)

#: The topics the store keeps, in the order a batch of each is stored.
SERVED: tuple[TopicSpec, ...] = (STORIES, CLUSTERS, CONFLICTS, CLAIMS, ENRICHED)
#: How long one fetch waits for records before the feed stores what it has.
FETCH_WAIT_MS = 500


@dataclass(frozen=True)
class FeedMetrics:
    """What the feed counts, on the page's ``/metrics``."""

    records: Counter
    rejected: Counter

    @classmethod
    def on(cls, registry: CollectorRegistry) -> FeedMetrics:
        return cls(
            records=Counter(
                "newsline_serve_records",
                "Records the serve store read, by topic (stored or already there).",
                ["topic"],
                registry=registry,
            ),
            rejected=Counter(
                "newsline_serve_rejected_records",
                "Records the serve store could not take, by topic and reason "
                "(malformed, future_schema, tombstone); they are logged and skipped.",
                ["topic", "reason"],
                registry=registry,
            ),
        )

    def count(self, batch: Sequence[Incoming], applied: Applied) -> None:
        for incoming in batch:
            self.records.labels(incoming.topic).inc()
        for rejection in applied.rejected:
            self.rejected.labels(rejection.topic, rejection.reason).inc()
            log.warning(
                "serve: skipped %s[%s]@%s (%s): %s",
                rejection.topic,
                rejection.partition,
                rejection.offset,
                rejection.reason,
                rejection.detail,
            )


def group_of(settings: Settings) -> str:
    """The consumer group serve commits its offsets to."""
    return settings.serve.group_id or f"{settings.app_id}.serve"


async def feed(settings: Settings, store: Store, metrics: FeedMetrics) -> None:
    """Keep the store up to date with the output topics, until cancelled."""
    names = {settings.topic(spec.name): spec.name for spec in SERVED}
    consumer = AIOKafkaConsumer(
        **aiokafka_options(settings),
        group_id=group_of(settings),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
        fetch_max_bytes=MAX_RECORD_BYTES,
    )
    await consumer.start()
    try:
        await _assign(consumer, settings, names, store.offsets())
        while True:
            fetched = await consumer.getmany(
                timeout_ms=FETCH_WAIT_MS, max_records=settings.serve.batch_records
            )
            batch = [
                _incoming(names[tp.topic], record)
                for tp, records in fetched.items()
                for record in records
            ]
            if batch:
                applied = await asyncio.to_thread(store.apply, batch)
                metrics.count(batch, applied)
                await _commit(consumer, fetched)
    finally:
        await consumer.stop()


async def _assign(
    consumer: AIOKafkaConsumer,
    settings: Settings,
    names: dict[str, str],
    offsets: dict[tuple[str, int], int],
) -> None:
    """Every partition of the served topics, each from where the store ends."""
    partitions = [tp for tp in await output_partitions(settings) if tp.topic in names]
    consumer.assign(partitions)
    for tp in partitions:
        stored = offsets.get((names[tp.topic], tp.partition))
        if stored is None:
            await consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, stored)
    log.info("serve: reading %d partitions of %s", len(partitions), ", ".join(names))


def _incoming(topic: str, record: ConsumerRecord[bytes, bytes]) -> Incoming:
    return Incoming(
        topic=topic,
        partition=record.partition,
        offset=record.offset,
        value=record.value,
        timestamp_ms=record.timestamp,
    )


async def _commit(
    consumer: AIOKafkaConsumer,
    fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
) -> None:
    """Tell Kafka how far the store is; the store's own offsets are what resumes."""
    done = {
        tp: OffsetAndMetadata(records[-1].offset + 1, "")
        for tp, records in fetched.items()
        if records
    }
    try:
        await consumer.commit(done)
    except KafkaError as error:  # only monitoring depends on it
        log.warning("serve: could not commit offsets to Kafka: %s", error)


# -- from files ---------------------------------------------------------------------


def load_files(
    store: Store, folder: Path, metrics: FeedMetrics, *, batch_records: int = 500
) -> int:
    """Store the ``<topic>.jsonl`` files that ``newsline extract`` wrote in
    ``folder``; returns how many records were read. Offsets are not touched."""
    read = 0
    for batch in _file_batches(folder, batch_records=batch_records):
        metrics.count(batch, store.apply(batch))
        read += len(batch)
    return read


def _file_batches(folder: Path, *, batch_records: int) -> Iterator[list[Incoming]]:
    for spec in SERVED:
        path = folder / f"{spec.name}.jsonl"
        if not path.exists():
            continue
        batch: list[Incoming] = []
        with path.open("rb") as lines:
            for number, line in enumerate(lines):
                if line.strip():
                    batch.append(Incoming(spec.name, None, number, line.strip()))
                if len(batch) >= batch_records:
                    yield batch
                    batch = []
        if batch:
            yield batch
