"""``newsline tail``: read a topic and print its records as JSON lines."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import IO

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from pipeline.kafka import MAX_RECORD_BYTES, aiokafka_options, check_access
from pipeline.settings import Settings
from pipeline.topics import spec_for, topic_name


def resolve_topic(settings: Settings, name: str) -> str:
    """A pipeline topic's base name gets the deployment prefix; others pass as is."""
    spec = spec_for(name)
    return topic_name(settings, spec) if spec else name


async def consume(
    settings: Settings,
    topics: Sequence[str],
    *,
    from_beginning: bool = False,
    idle_timeout: float | None = None,
) -> AsyncGenerator[ConsumerRecord[bytes, bytes], None]:
    """Records of the topics, across all partitions, without joining a consumer group.

    Ends after ``idle_timeout`` seconds without a record (never when None).
    """
    consumer = AIOKafkaConsumer(
        *topics,
        **aiokafka_options(settings),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
        fetch_max_bytes=MAX_RECORD_BYTES,
    )
    await consumer.start()
    try:
        while True:
            try:
                yield await asyncio.wait_for(consumer.getone(), idle_timeout)
            except TimeoutError:
                return
    finally:
        await consumer.stop()


def as_json_line(record: ConsumerRecord[bytes, bytes]) -> str:
    """The record's value on one line; a value that is not JSON is shown in base64."""
    value = record.value or b""
    try:
        return json.dumps(json.loads(value), ensure_ascii=False)
    except ValueError:
        return json.dumps(
            {
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "value_base64": base64.b64encode(value).decode("ascii"),
            }
        )


async def tail(
    settings: Settings,
    topic: str,
    *,
    out: IO[str],
    from_beginning: bool = False,
    limit: int | None = None,
    idle_timeout: float | None = None,
) -> int:
    """Print records of one topic to ``out``; returns how many were printed.

    Raises KafkaAccessError, naming the cause, when the brokers refuse us.
    """
    await check_access(settings)
    printed = 0
    name = resolve_topic(settings, topic)
    records = consume(
        settings, [name], from_beginning=from_beginning, idle_timeout=idle_timeout
    )
    async with aclosing(records):
        async for record in records:
            out.write(as_json_line(record) + "\n")
            out.flush()
            printed += 1
            if limit is not None and printed >= limit:
                break
    return printed
