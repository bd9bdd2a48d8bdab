"""bench/peer.py's peer: newsline's stage functions behind one plain aiokafka loop.

Consumes ``articles.raw``, runs each batch through ``pipeline.stages.Stages`` (the
very stage functions the agents call, the pooled ones in the same process pool,
the two deciders in memory: no faust, no tables, no changelogs, no intermediate
topics) and produces the published records to the same output topics, with the
worker's producer settings (acks=all, the same linger and batch size). Offsets are
committed once a batch's records are acknowledged: at least once, like the worker.

Run by bench/peer.py as ``python bench/peer_loop.py`` with newsline's settings in
its environment; it runs until SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import deque
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from pipeline.clients.corpus import SourceRecord
from pipeline.clients.kafka import MAX_RECORD_BYTES, aiokafka_options
from pipeline.codec import encode, encode_key
from pipeline.cpu import CpuPool, fed_promptly
from pipeline.nlp import load_models
from pipeline.settings import Settings
from pipeline.stages import Stages
from pipeline.topics import RAW, topic_name

#: Records taken from the consumer at a time, as the worker's batches.
BATCH = 32
#: Batches claimed ahead of the one being corroborated.
AHEAD = 3


async def run(settings: Settings) -> None:
    raw = topic_name(settings, RAW)
    consumer = AIOKafkaConsumer(
        raw,
        **aiokafka_options(settings),
        group_id=f"{settings.app_id}.peer",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
        fetch_max_bytes=MAX_RECORD_BYTES,
    )
    producer = AIOKafkaProducer(
        **aiokafka_options(settings),
        acks="all",
        linger_ms=settings.producer_linger_ms,
        max_batch_size=settings.producer_batch_bytes,
        max_request_size=MAX_RECORD_BYTES,
    )
    pool = CpuPool(
        settings.process_workers,
        initializer=load_models,
        chunk_items=settings.pool_chunk_items,
    )
    await pool.warm()
    stages = Stages(settings, pool)
    await consumer.start()
    await producer.start()
    try:
        # Where each batch ends, by partition; overlapped() returns them in order.
        ends: deque[dict[TopicPartition, int]] = deque()

        async def batches() -> AsyncIterator[list[SourceRecord]]:
            while True:
                fetched = await consumer.getmany(timeout_ms=200, max_records=BATCH)
                records = [m for messages in fetched.values() for m in messages]
                if records:
                    chunk = [
                        SourceRecord(_key(m.key), m.value or b"", raw) for m in records
                    ]
                    ends.append(
                        {
                            part: messages[-1].offset + 1
                            for part, messages in fetched.items()
                            if messages
                        }
                    )
                    yield chunk

        async for _chunk, outputs in stages.overlapped(batches(), ahead=AHEAD):
            sent = [
                await producer.send(
                    topic_name(settings, out.topic),
                    encode(out.record),
                    key=encode_key(out.key),
                )
                for out in outputs
            ]
            await asyncio.gather(*sent)
            await consumer.commit(ends.popleft())  # type: ignore[arg-type]
    finally:
        await consumer.stop()
        await producer.stop()
        pool.shutdown()


def _key(key: bytes | None) -> str | None:
    return key.decode() if key is not None else None


async def _until_stopped(settings: Settings) -> None:
    task = asyncio.ensure_future(run(settings))
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main() -> None:
    settings = Settings()
    with fed_promptly():
        asyncio.run(_until_stopped(settings))


if __name__ == "__main__":
    main()
