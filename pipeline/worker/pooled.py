"""What every CPU-bound agent does: batch, compute in the process pool, route, publish.

A batch is acknowledged only after ``publish`` has delivered all of its outputs, so a
worker that dies mid-batch loses nothing: the batch is redelivered, and the stage
functions being pure, it yields identical records. A record that crashes or hangs a
pool process becomes a dead letter of its own; the rest of its batch goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import faust

from pipeline.claims.reuse import ClaimsMemory
from pipeline.deadletter import Origin
from pipeline.flow import Outputs
from pipeline.rejection import Rejection
from pipeline.stages import POOL_PRIORITY, compute_batch
from pipeline.worker import metrics
from pipeline.worker.runtime import Runtime

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
    runtime: Runtime,
    stream: faust.StreamT[bytes],
    work: Callable[..., R | Rejection],
    route: Router[R],
    *,
    stage: str,
    seconds_per_item: float | None = None,
    memory: ClaimsMemory | None = None,
    **kwargs: Any,
) -> None:
    """Consume ``stream``: ``work(value, **kwargs)`` in the pool, then route.

    With ``memory``, records it can answer (exact copies of recent articles) skip
    the pool; it remembers what the pool computes.

    A record whose work runs longer than ``seconds_per_item`` (by default the
    per-article cap, ``settings.ingest.max_seconds_per_article``) is a ``timeout``
    rejection (see ``compute``): every pooled stage is capped, as in ``extract``.
    ``stage`` names the stage in the metrics (see pipeline.worker.metrics) and
    gives its batches their place in the pool's queue (``POOL_PRIORITY``).
    """
    settings = runtime.settings
    cap = (
        settings.ingest.max_seconds_per_article
        if seconds_per_item is None
        else seconds_per_item
    )
    # take_events is on faust.Stream but missing from the StreamT interface.
    batches = stream.take_events(  # type: ignore[attr-defined]
        settings.batch_size, within=settings.batch_within_s
    )
    async for events in batches:
        metrics.count_in(stage, len(events))
        values = [event.value for event in events]
        started = time.perf_counter()
        results = await compute_batch(
            runtime.pool,
            work,
            values,
            seconds_per_item=cap,
            memory=memory,
            priority=POOL_PRIORITY[stage],
            **kwargs,
        )
        elapsed = time.perf_counter() - started
        metrics.observe_batch(stage, elapsed, size=len(events))
        pairs = zip(events, results, strict=True)
        replies = [(event, _route(route, event, result)) for event, result in pairs]
        await runtime.publish(replies, stage=stage)


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
