"""What every CPU-bound agent does: batch, compute in the process pool, route, publish.

A batch is acknowledged only after ``publish`` has delivered all of its outputs, so a
worker that dies mid-batch loses nothing: the batch is redelivered, and the stage
functions being pure, it yields identical records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import faust

from pipeline.app import pool, publish, settings
from pipeline.deadletter import Origin
from pipeline.flow import Outputs, crashed
from pipeline.ingest import Rejection

log = logging.getLogger(__name__)

R = TypeVar("R")
R_contra = TypeVar("R_contra", contravariant=True)


class Router(Protocol[R_contra]):
    """Turns one stage result into the record to publish (see pipeline.flow)."""

    def __call__(
        self,
        result: R_contra | Rejection,
        *,
        value: bytes,
        key: bytes | None,
        origin: Origin,
    ) -> Outputs: ...


async def run_pooled(
    stream: faust.StreamT[bytes],
    work: Callable[..., R | Rejection],
    route: Router[R],
    **kwargs: Any,
) -> None:
    """Consume ``stream``: ``work(value, **kwargs)`` in the pool, then route."""
    # take_events is on faust.Stream but missing from the StreamT interface.
    batches = stream.take_events(  # type: ignore[attr-defined]
        settings.batch_size, within=settings.batch_within_s
    )
    async for events in batches:
        values = [event.value for event in events]
        results = await compute(work, values, **kwargs)
        pairs = zip(events, results, strict=True)
        await publish(
            [out for event, result in pairs for out in _route(route, event, result)]
        )


async def compute(
    work: Callable[..., R | Rejection], values: Sequence[bytes], **kwargs: Any
) -> list[R | Rejection]:
    """``work`` over a batch in the pool; a record that kills a process is rejected."""
    try:
        return await pool.map(work, values, **kwargs)
    except Exception as error:  # a worker process died: isolate the record that did it
        log.warning("batch failed (%r); retrying one record at a time", error)
        pool.shutdown()
        return [await _compute_one(work, value, **kwargs) for value in values]


async def _compute_one(
    work: Callable[..., R | Rejection], value: bytes, **kwargs: Any
) -> R | Rejection:
    try:
        [result] = await pool.map(work, [value], **kwargs)
    except Exception as error:
        pool.shutdown()
        return crashed(error)
    return result


def origin_of(event: faust.EventT[bytes]) -> Origin:
    """Where an event's record sits, for its dead letter."""
    message = event.message
    return Origin(message.topic, message.partition, message.offset)


def _route(
    route: Router[R], event: faust.EventT[bytes], result: R | Rejection
) -> Outputs:
    return route(
        result, value=event.value, key=event.message.key, origin=origin_of(event)
    )
