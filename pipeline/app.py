"""The faust app: created once, here, from the settings object.

Every agent module imports ``app`` from here; ``newsline worker`` runs it. Topics are
declared with raw bytes so that agents see the original value of a bad record and can
dead-letter it (a codec failure inside faust would lose it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from typing import Any

import faust
from faust.types import TP
from mode.types.signals import BaseSignalT

from pipeline.codec import encode, encode_key
from pipeline.cpu import CpuPool
from pipeline.flow import Output
from pipeline.kafka import MAX_RECORD_BYTES, bootstrap_list, faust_credentials
from pipeline.models import load_models
from pipeline.settings import Settings, get_settings
from pipeline.topics import ALL, TopicSpec, partition_count, topic_name


def create_app(settings: Settings) -> faust.App:
    """A faust app configured for this deployment."""
    return faust.App(
        settings.app_id,
        broker=[f"kafka://{server}" for server in bootstrap_list(settings)],
        broker_credentials=faust_credentials(settings),
        store="rocksdb://",
        datadir=str(settings.data_dir),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        key_serializer="raw",
        value_serializer="raw",
        autodiscover=False,
        web_host="127.0.0.1",
        web_bind="127.0.0.1",
        web_port=settings.web_port,
        producer_acks=-1,
        producer_max_request_size=MAX_RECORD_BYTES,
        consumer_max_fetch_size=MAX_RECORD_BYTES,
        consumer_auto_offset_reset="earliest",
        # A batch of hostile pages can take a while in the process pool; the consumer
        # must not be thrown out of its group meanwhile.
        broker_max_poll_interval=600.0,
        broker_session_timeout=60.0,
    )


def declare_topic(app: faust.App, settings: Settings, spec: TopicSpec) -> faust.TopicT:
    """A faust topic of raw bytes for one pipeline topic."""
    return app.topic(
        topic_name(settings, spec),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partition_count(settings, spec),
    )


log = logging.getLogger(__name__)

settings = get_settings()
app = create_app(settings)
# Processes load their models when they start rather than on a first article.
pool = CpuPool(settings.process_workers, initializer=load_models)
channels = {spec.name: declare_topic(app, settings, spec) for spec in ALL}


@app.on_partitions_assigned.connect
async def _log_assignment(
    _app: Any, /, *args: Any, signal: BaseSignalT[Any], **kwargs: Any
) -> None:
    """Logs the partitions this worker now consumes: after a rebalance, the first
    thing an operator asks is which worker has which partitions."""
    assigned: AbstractSet[TP] = args[0]  # the signal's one argument
    consumed = sorted(
        f"{tp.topic}[{tp.partition}]"
        for tp in assigned
        if not tp.topic.endswith("-changelog")
    )
    log.info("consuming %d partitions: %s", len(consumed), ", ".join(consumed))


async def publish(outputs: Iterable[Output], *, wait: bool = True) -> None:
    """Produce outputs; with ``wait``, until the brokers have them all (acks=all).

    Sent with ``force=True`` rather than attached to the current event: attached
    messages wait for the next offset commit, which adds seconds of latency. Without
    ``wait`` delivery is still complete before any offset is committed, since faust
    flushes the producer first.
    """
    pending = [
        await channels[out.topic.name].send(
            key=encode_key(out.key), value=encode(out.record), force=True
        )
        for out in outputs
    ]
    if wait:
        await asyncio.gather(*pending)
