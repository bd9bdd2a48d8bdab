"""Ingest agent.

Consumes ``articles.raw``: key article_id, value a RawArticle as JSON bytes (read raw,
so a bad record reaches this code with its original bytes).
Emits ``articles.enriched`` (key article_id, EnrichedArticle); until the dedupe and
claims stages exist this is the pipeline's last stage.
Bad input (not UTF-8, not JSON, wrong fields, empty, oversized, HTML without text, or a
crash while processing it) goes to ``articles.deadletter`` with the reason and the
original bytes; the agent carries on.
Idempotent: the output is a pure function of the input bytes, so a redelivered record
yields the identical record. A batch is acknowledged only after all its outputs are
delivered (acks=all), so nothing is lost when the worker dies mid-batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import faust

from pipeline.app import app, channels, pool, publish, settings
from pipeline.deadletter import Origin
from pipeline.flow import Output, crashed, route_ingest
from pipeline.ingest import Rejection, ingest_record
from pipeline.topics import RAW
from schemas import EnrichedArticle

log = logging.getLogger(__name__)


@app.agent(channels[RAW.name])
async def ingest(stream: faust.StreamT[bytes]) -> None:
    # take_events is on faust.Stream but missing from the StreamT interface.
    async for events in stream.take_events(  # type: ignore[attr-defined]
        settings.batch_size, within=settings.batch_within_s
    ):
        results = await _process([event.value for event in events])
        await publish(
            [
                _route(event, result)
                for event, result in zip(events, results, strict=True)
            ]
        )


@app.task  # type: ignore[untyped-decorator]  # faust leaves App.task untyped
async def warm_pool() -> None:
    """Spawn the extraction processes while the consumer joins its group."""
    await pool.warm()


async def _process(values: list[bytes]) -> Sequence[EnrichedArticle | Rejection]:
    try:
        return await pool.map(ingest_record, values, limits=settings.ingest)
    except Exception as error:  # a worker process died: isolate the record that did it
        log.warning("ingest batch failed (%s); retrying one record at a time", error)
        pool.shutdown()
        return [await _process_one(value) for value in values]


async def _process_one(value: bytes) -> EnrichedArticle | Rejection:
    try:
        [result] = await pool.map(ingest_record, [value], limits=settings.ingest)
        return result
    except Exception as error:
        pool.shutdown()
        return crashed(error)


def _route(event: faust.EventT[bytes], result: EnrichedArticle | Rejection) -> Output:
    message = event.message
    origin = Origin(message.topic, message.partition, message.offset)
    return route_ingest(result, value=event.value, key=message.key, origin=origin)
