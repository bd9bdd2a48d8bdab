"""The worker's runtime: the faust app, the process pool and the topics, built from
one Settings by ``build_runtime`` when ``newsline worker`` starts (nothing here runs
at import), and handed to the agents (``agents.register``), which pass it on to the
pooled and decider loops.

Topics are declared with raw bytes so that agents see the original value of a bad
record and can dead-letter it (a codec failure inside faust would lose it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import faust
from faust.types import TP
from mode.types.signals import BaseSignalT

from pipeline.clients.kafka import MAX_RECORD_BYTES, bootstrap_list, faust_credentials
from pipeline.codec import encode, encode_key
from pipeline.cpu import CpuPool
from pipeline.flow import Outputs
from pipeline.nlp import load_models
from pipeline.settings import Settings
from pipeline.topics import ALL, TopicSpec, partition_count, topic_name
from pipeline.worker import metrics
from pipeline.worker.consumer import NewslineApp


def create_app(settings: Settings) -> faust.App:
    """A faust app configured for this deployment, with a consumer that delivers
    every record at least once (see pipeline.worker.consumer)."""
    return NewslineApp(
        settings.app_id,
        broker=[f"kafka://{server}" for server in bootstrap_list(settings)],
        broker_credentials=faust_credentials(settings),
        store="rocksdb://",
        datadir=str(settings.data_dir),
        topic_partitions=settings.topic_partitions,
        # Resolved from the cluster before the app is made (with_durability).
        topic_replication_factor=settings.topic_replication_factor or 1,
        key_serializer="raw",
        value_serializer="raw",
        autodiscover=False,
        web_host="127.0.0.1",
        web_bind="127.0.0.1",
        web_port=settings.web_port,
        producer_acks=-1,
        producer_max_request_size=MAX_RECORD_BYTES,
        producer_linger=settings.producer_linger_ms / 1000,
        producer_max_batch_size=settings.producer_batch_bytes,
        producer_compression_type=(
            None
            if settings.producer_compression == "none"
            else settings.producer_compression
        ),
        consumer_max_fetch_size=MAX_RECORD_BYTES,
        consumer_auto_offset_reset="earliest",
        # A batch of hostile pages can take a while in the process pool; the consumer
        # must not be thrown out of its group meanwhile.
        broker_max_poll_interval=600.0,
        broker_session_timeout=settings.kafka_session_timeout_s,
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

#: Seconds between samples of the consumer lag gauge.
LAG_SAMPLE_INTERVAL_S = 5.0

#: What a stage publishes for one record it consumed: that event, and the outputs.
Reply = tuple[faust.EventT[bytes], Outputs]


@dataclass(frozen=True)
class Runtime:
    """What the agents run on: one per worker process."""

    settings: Settings
    app: faust.App
    pool: CpuPool
    channels: Mapping[str, faust.TopicT]

    async def send(
        self, replies: Iterable[Reply], *, stage: str
    ) -> list[Awaitable[Any]]:
        """Hand each reply's outputs to the producer; returns their delivery
        futures, which resolve once the brokers have them (acks=all). Counts the
        outputs in the metrics of ``stage``.

        Sent with ``force=True`` rather than attached to the current event:
        attached messages wait for the next offset commit, which adds seconds of
        latency. Every output carries the raw record's timestamp on to the next
        stage (``metrics.RAW_TIMESTAMP_HEADER``).
        """
        pending: list[Awaitable[Any]] = []
        for event, outputs in replies:
            message = event.message
            raw_ms = metrics.raw_timestamp_ms(message.headers, message.timestamp)
            headers = metrics.raw_timestamp_headers(raw_ms)
            for out in outputs:
                channel = self.channels[out.topic.name]
                key, value = encode_key(out.key), encode(out.record)
                # A list of its own per record: faust may add to the headers given.
                sent = channel.send(
                    key=key, value=value, headers=list(headers), force=True
                )
                pending.append(await sent)
            metrics.record_outputs(
                stage, outputs, raw_timestamp_ms=raw_ms, now_s=time.time()
            )
        return pending

    async def publish(self, replies: Iterable[Reply], *, stage: str) -> None:
        """``send``, then wait until the brokers have every output."""
        await asyncio.gather(*await self.send(replies, stage=stage))


def build_runtime(settings: Settings) -> Runtime:
    """The app, its pool (whose processes load their models when they start, not on
    a first article) and its topics, with the worker's metrics page, lag sampler,
    event loop probe and assignment log."""
    app = create_app(settings)
    runtime = Runtime(
        settings=settings,
        app=app,
        pool=CpuPool(
            settings.process_workers,
            initializer=load_models,
            chunk_items=settings.pool_chunk_items,
        ),
        channels={spec.name: declare_topic(app, settings, spec) for spec in ALL},
    )
    app.on_partitions_assigned.connect(_log_assignment)
    app.page("/metrics")(_serve_metrics)

    async def sample_lag() -> None:
        await _sample_lag(app, settings)

    app.timer(LAG_SAMPLE_INTERVAL_S)(sample_lag)
    app.task(_probe_loop)
    return runtime


async def _probe_loop() -> None:
    # Without parameters: faust hands the app to a task that takes any.
    await metrics.probe_loop()


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


async def _serve_metrics(
    view: faust.web.View, request: faust.web.Request
) -> faust.web.Response:
    """This worker's metrics in the Prometheus text format."""
    body, content_type = metrics.exposition()
    # Through the headers: aiohttp refuses a content_type argument with a charset.
    return view.bytes(body, headers={"Content-Type": content_type})


async def _sample_lag(app: faust.App, settings: Settings) -> None:
    """Refresh the consumer lag gauge from the partitions this worker consumes."""
    topics = {topic_name(settings, spec): spec.name for spec in ALL}
    consumer = app.consumer
    # faust keeps the offsets it committed in this private map of its Consumer (not
    # declared on ConsumerT); asking the broker every few seconds costs a round trip.
    committed = consumer._committed_offset  # type: ignore[attr-defined]
    try:
        lag = await metrics.sample_lag(consumer, committed, topics)
    except Exception as error:  # a rebalance mid-sample, say: the next one will do
        log.debug("consumer lag not sampled: %r", error)
        return
    metrics.set_lag(lag)
