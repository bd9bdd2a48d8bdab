"""What every single-partition deciding agent does (dedupe decide, corroborate).

Such an agent owns all of a stage's state in faust tables and reads a log topic with
one partition, so that every decision sees every earlier record in one order. It
handles one event at a time: table writes belong to the current event, and a decision
is a few lookups. Outputs are not awaited one by one; faust flushes the producer
before it commits an offset, so an acknowledged record always has its outputs
delivered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import faust

from pipeline import metrics
from pipeline.app import app, publish
from pipeline.flow import Outputs, route_rejection
from pipeline.ingest import Rejection
from pipeline.pooled import origin_of

#: Seconds between sweeps of expired state, and records forgotten per sweep (bounded,
#: so a sweep after a long pause cannot stall the event loop).
EXPIRY_INTERVAL_S = 60.0
EXPIRY_BATCH = 10_000


def log_table(name: str) -> faust.types.TableT[str, Any]:
    """A table of a one-partition log's decider: JSON keys and values, partition 0."""
    # JSON keys (faust's default for plain types) keep RocksDB's key order, which
    # the expiry sweeps rely on. use_partitioner: with one partition every changelog
    # record goes to partition 0 whatever event is current.
    return app.Table(name, partitions=1, key_type=str, use_partitioner=True)


async def run_decider(
    stream: faust.StreamT[bytes],
    decide: Callable[[bytes, datetime], Outputs | Rejection],
    expire: Callable[[datetime], int],
    *,
    stage: str,
) -> None:
    """Decide every record of ``stream`` in order; sweep expired state now and then.

    ``stage`` names the stage in dead letters and in the metrics."""
    swept = time.monotonic()
    async for event in stream.events():
        metrics.count_in(stage, 1)
        started = time.perf_counter()
        result = decide(event.value, datetime.now(UTC))
        metrics.observe_article(stage, time.perf_counter() - started)
        reply = (event, _outputs(event, result, stage))
        await publish([reply], stage=stage, wait=False)
        if time.monotonic() - swept > EXPIRY_INTERVAL_S:
            expire(datetime.now(UTC))
            swept = time.monotonic()


def _outputs(
    event: faust.EventT[bytes], result: Outputs | Rejection, stage: str
) -> Outputs:
    if not isinstance(result, Rejection):
        return result
    return route_rejection(
        stage,
        result,
        value=event.value,
        key=event.message.key,
        origin=origin_of(event),
    )
