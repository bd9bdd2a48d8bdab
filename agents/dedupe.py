"""Dedupe agents: exact and near-duplicate articles, and repeated sentences.

fingerprint
    Consumes ``articles.clean`` (key article_id, EnrichedArticle JSON); computes the
    article's fingerprint (content hash, MinHash signature, LSH band keys, sentence
    keys) in the process pool; emits a DedupeRequest to ``dedupe.requests``.
decide
    Consumes ``dedupe.requests`` and emits the article with its ``duplicate`` verdict
    and ``sentences[].repeat_of`` filled to ``articles.deduped``.

Why verdicts do not depend on partitioning: ``dedupe.requests`` has ONE partition.
Every decision is made by the single decide instance that owns it, against the
whole index, in one total order; "earliest" means earliest in that order, whichever
partition or worker an article first landed on. Fingerprinting, the CPU-heavy part,
stays spread over all partitions and workers; deciding is a few table lookups per
article, which one partition sustains far above the rate news is published. The
price is that decisions do not scale out past one core; re-keying by LSH band
would, at the cost of a second join hop.

State: the index lives in the tables ``dedupe-state`` and ``dedupe-expiry`` (RocksDB,
backed by compacted changelog topics), so a restarted or moved decide instance keeps
its memory. Entries expire after NEWSLINE_DEDUPE__WINDOW_HOURS of publication time.
Idempotent: an article_id decided before gets the verdict stored the first time, so
a redelivered article yields the identical record and is never its own duplicate.
Bad input (a record on either topic that does not decode) goes to
``articles.deadletter`` with stage "dedupe".
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import faust

from pipeline.app import app, channels, publish, settings
from pipeline.codec import decode
from pipeline.dedupe import DedupeIndex, fingerprint_record
from pipeline.flow import Outputs, route_decided, route_fingerprint, route_rejection
from pipeline.ingest import Rejection
from pipeline.pooled import origin_of, run_pooled
from pipeline.topics import CLEAN, DEDUPE_LOG
from schemas.dedupe import DedupeRequest

#: Seconds between sweeps of expired index entries, and articles forgotten per sweep.
EXPIRY_INTERVAL_S = 60.0
EXPIRY_BATCH = 10_000


def _table(name: str) -> faust.types.TableT[str, Any]:
    # Keys and values are JSON (faust's default for plain types); RocksDB then keeps
    # the keys in order, which the expiry sweep relies on. use_partitioner: the
    # tables have the decision log's single partition, so every changelog record
    # goes to partition 0 whatever event is current.
    return app.Table(
        name,
        partitions=DEDUPE_LOG.partitions,
        key_type=str,
        use_partitioner=True,
    )


state = _table("dedupe-state")
expiry = _table("dedupe-expiry")
index = DedupeIndex(state, expiry, settings=settings.dedupe)


@app.agent(channels[CLEAN.name])
async def fingerprint(stream: faust.StreamT[bytes]) -> None:
    await run_pooled(
        stream, fingerprint_record, route_fingerprint, settings=settings.dedupe
    )


@app.agent(channels[DEDUPE_LOG.name])
async def decide(stream: faust.StreamT[bytes]) -> None:
    # One event at a time: table writes need the current event, and a decision is
    # cheap. Outputs are not awaited one by one; faust flushes the producer before it
    # commits an offset, so an acknowledged request always has its output delivered.
    swept = time.monotonic()
    async for event in stream.events():
        await publish(_decide(event), wait=False)
        if time.monotonic() - swept > EXPIRY_INTERVAL_S:
            # Bounded, so a sweep after a long pause cannot stall the event loop.
            index.expire(now=datetime.now(UTC), limit=EXPIRY_BATCH)
            swept = time.monotonic()


def _decide(event: faust.EventT[bytes]) -> Outputs:
    try:
        request = decode(DedupeRequest, event.value)
    except ValueError as error:
        rejection = Rejection(f"not a dedupe request: {error}"[:500], "invalid_record")
        return route_rejection(
            "dedupe",
            rejection,
            value=event.value,
            key=event.message.key,
            origin=origin_of(event),
        )
    return route_decided(index.decide(request, seen_at=datetime.now(UTC)))
