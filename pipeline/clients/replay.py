"""``newsline replay``: produce a corpus to ``articles.raw``, keyed by article_id."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from tqdm import tqdm

from pipeline.clients.corpus import SourceRecord, read_corpus
from pipeline.clients.kafka import (
    MAX_RECORD_BYTES,
    KafkaAccessError,
    aiokafka_options,
    check_access,
    ensure_topics,
)
from pipeline.clients.results import Sent
from pipeline.codec import encode_key
from pipeline.settings import Settings
from pipeline.topics import RAW, topic_name


@dataclass
class ReplayReport:
    """What a replay sent: how many records, their keys in order, and where each
    was written (``records``, filled once all are acknowledged)."""

    sent: int = 0
    keys: list[str | None] = field(default_factory=list)
    seconds: float = 0.0
    records: list[Sent] = field(default_factory=list)


#: How long a record may wait for the brokers to acknowledge it: a cluster that
#: has lost its quorum or its in-sync replicas for a while delays a replay rather
#: than failing it (aiokafka's default is 40 s).
DELIVERY_TIMEOUT_S = 300.0


def make_producer(settings: Settings) -> AIOKafkaProducer:
    """A producer that waits for all in-sync replicas, batching for throughput;
    idempotent, so a batch sent again after a leader failover is written once."""
    return AIOKafkaProducer(
        **aiokafka_options(settings),
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=int(DELIVERY_TIMEOUT_S * 1000),
        linger_ms=5,
        max_request_size=MAX_RECORD_BYTES,
    )


async def replay(
    settings: Settings,
    paths: Sequence[Path],
    *,
    repeat: int = 1,
    rate: float | None = None,
    show_progress: bool | None = None,
) -> ReplayReport:
    """Send the corpus; ``rate`` caps records per second. Returns when all are acked.

    Raises CorpusError when a file cannot be read or there is nothing to send, and
    KafkaAccessError when the brokers refuse us; either before sending anything.
    """
    records = read_corpus(paths, repeat=repeat)
    return await send_records(settings, records, rate=rate, show_progress=show_progress)


async def send_records(
    settings: Settings,
    records: Sequence[SourceRecord],
    *,
    rate: float | None = None,
    show_progress: bool | None = None,
) -> ReplayReport:
    """Send records already read to ``articles.raw``; as ``replay``."""
    await check_access(settings)
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    report, started = ReplayReport(), time.monotonic()
    try:
        await _send_all(producer, settings, records, report, rate, show_progress)
    finally:
        await producer.stop()
    report.seconds = time.monotonic() - started
    return report


async def _send_all(
    producer: AIOKafkaProducer,
    settings: Settings,
    records: Sequence[SourceRecord],
    report: ReplayReport,
    rate: float | None,
    show_progress: bool | None,
) -> None:
    topic = topic_name(settings, RAW)
    # tqdm shows a bar only on a terminal unless told otherwise.
    disable = None if show_progress is None else not show_progress
    started = time.monotonic()
    pending = []
    with tqdm(
        total=len(records), unit="article", disable=disable, file=sys.stderr
    ) as bar:
        for record in records:
            if rate:
                await _pace(started, report.sent, rate)
            pending.append(
                await producer.send(topic, record.value, key=encode_key(record.key))
            )
            report.sent += 1
            report.keys.append(record.key)
            bar.update(1)
        try:
            written = await asyncio.gather(*pending)
        except KafkaError as error:
            raise KafkaAccessError(
                f"the brokers did not acknowledge every record within "
                f"{DELIVERY_TIMEOUT_S:.0f} s ({error}); {report.sent} were sent, "
                "and the ones acknowledged stay on articles.raw"
            ) from error
    report.records = [
        Sent(key, meta.topic, meta.partition, meta.offset)
        for key, meta in zip(report.keys, written, strict=True)
    ]


async def _pace(started: float, sent: int, rate: float) -> None:
    due = started + sent / rate
    delay = due - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)
