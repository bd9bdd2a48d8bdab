"""What every CPU-bound agent does: batch, compute in the process pool, route, publish.

A batch is acknowledged only after ``publish`` has delivered all of its outputs, so a
worker that dies mid-batch loses nothing: the batch is redelivered, and the stage
functions being pure, it yields identical records. A record that crashes or hangs a
pool process becomes a dead letter of its own; the rest of its batch goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import faust

from pipeline import metrics
from pipeline.claims.reuse import ClaimsMemory, remembered
from pipeline.cpu import CpuPool, Overrun, PoolOverrun
from pipeline.deadletter import Origin
from pipeline.flow import Outputs, crashed, timed_out
from pipeline.rejection import Rejection
from pipeline.runtime import Runtime

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
    ``stage`` names the stage in the metrics (see pipeline.metrics).
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
        results = await _compute_batch(runtime.pool, work, values, cap, memory, kwargs)
        elapsed = time.perf_counter() - started
        metrics.observe_batch(stage, elapsed, size=len(events))
        pairs = zip(events, results, strict=True)
        replies = [(event, _route(route, event, result)) for event, result in pairs]
        await runtime.publish(replies, stage=stage)


async def _compute_batch(
    pool: CpuPool,
    work: Callable[..., R | Rejection],
    values: list[bytes],
    cap: float,
    memory: ClaimsMemory | None,
    kwargs: dict[str, Any],
) -> Sequence[Any]:
    async def in_pool(todo: list[bytes]) -> list[R | Rejection]:
        return await compute(pool, work, todo, seconds_per_item=cap, **kwargs)

    return await remembered(memory, values, in_pool)


async def compute(
    pool: CpuPool,
    work: Callable[..., R | Rejection],
    values: Sequence[bytes],
    *,
    seconds_per_item: float | None = None,
    **kwargs: Any,
) -> list[R | Rejection]:
    """``work`` over a batch in the pool; a record that kills a process is rejected.

    With ``seconds_per_item`` a record is stopped at that cap inside its process
    (a ``timeout``); a batch that overruns far past the caps, stuck where the
    timer cannot interrupt, has its processes killed by the pool, and its records
    are then run one at a time, so only the one that hangs is rejected.
    """
    try:
        results = await _map(pool, work, values, seconds_per_item, kwargs)
    except Exception as error:  # a process died or hung: isolate the record
        log.warning("batch failed (%r); retrying one record at a time", error)
        _replace_processes(pool)
        return [
            await _compute_one(pool, work, value, seconds_per_item, kwargs)
            for value in values
        ]
    return [_unless_overrun(result) for result in results]


async def _compute_one(
    pool: CpuPool,
    work: Callable[..., R | Rejection],
    value: bytes,
    seconds_per_item: float | None,
    kwargs: dict[str, Any],
) -> R | Rejection:
    try:
        [result] = await _map(pool, work, [value], seconds_per_item, kwargs)
    except PoolOverrun as overrun:  # the pool has killed the process already
        return timed_out(overrun.seconds_per_item, killed=True)
    except Exception as error:
        _replace_processes(pool)
        return crashed(error)
    return _unless_overrun(result)


def _replace_processes(pool: CpuPool) -> None:
    # A broken pool takes no more work. Not waited for: the pool is shared, and
    # another stage's work may still be running in it, stuck even, until its own
    # caller's backstop kills it; waiting would block the event loop meanwhile.
    pool.shutdown(wait=False)


async def _map(
    pool: CpuPool,
    work: Callable[..., R | Rejection],
    values: Sequence[bytes],
    seconds_per_item: float | None,
    kwargs: dict[str, Any],
) -> list[R | Rejection | Overrun]:
    if seconds_per_item is None:
        return list(await pool.map(work, values, **kwargs))
    return await pool.map_capped(
        work, values, seconds_per_item=seconds_per_item, **kwargs
    )


def _unless_overrun(result: R | Rejection | Overrun) -> R | Rejection:
    if isinstance(result, Overrun):
        return timed_out(result.seconds)
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
