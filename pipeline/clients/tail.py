"""``newsline tail``: read a topic and print its records as JSON lines."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import IO

from aiokafka import ConsumerRecord

from pipeline.clients.kafka import (
    bootstrap_list,
    check_access,
    existing_topics,
    reader,
)
from pipeline.settings import Settings
from pipeline.topics import check_topic_name, spec_for, topic_name


class MissingTopicError(LookupError):
    """The topic to read does not exist; the message names it and what to check."""


def resolve_topic(settings: Settings, name: str) -> str:
    """A pipeline topic's base name gets the deployment prefix; others pass as is.

    Raises TopicNameError for a name Kafka would refuse.
    """
    spec = spec_for(name)
    return check_topic_name(topic_name(settings, spec) if spec else name)


async def require_topic(settings: Settings, name: str) -> None:
    """Raise MissingTopicError unless the cluster has topic ``name``.

    A consumer of a missing topic waits for it without end, logging a warning.
    """
    if name in await existing_topics(settings):
        return
    brokers = ",".join(bootstrap_list(settings))
    prefix = settings.topic_prefix
    # A pipeline topic's name got the prefix: it may be the part that is wrong.
    hint = (
        f" (NEWSLINE_TOPIC_PREFIX is {prefix!r})"
        if prefix and name.startswith(prefix)
        else ""
    )
    raise MissingTopicError(
        f"topic {name!r} does not exist on {brokers}{hint}; check the name, "
        "or run a worker or a replay first to create the pipeline's topics"
    )


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
    consumer = reader(settings, *topics, from_beginning=from_beginning)
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

    Raises TopicNameError for a name Kafka would refuse, KafkaAccessError, naming
    the cause, when the brokers refuse us, and MissingTopicError for a topic the
    cluster does not have; all before reading.
    """
    name = resolve_topic(settings, topic)
    await check_access(settings)
    await require_topic(settings, name)
    printed = 0
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
