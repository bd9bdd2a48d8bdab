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
``articles.deadletter`` with stage "dedupe"; so does an article whose article_id was
decided before for different text (error_type ``conflicting_id``), whose dead letter
carries the DedupeRequest bytes that decide consumed, not the raw record.
"""

from __future__ import annotations

from datetime import datetime

import faust
from pydantic import ValidationError

from pipeline.codec import decode
from pipeline.dedupe import DedupeIndex, fingerprint_record
from pipeline.flow import Outputs, route_decided, route_fingerprint
from pipeline.rejection import Rejection
from pipeline.steps import at_once
from pipeline.topics import CLEAN, DEDUPE_LOG
from pipeline.worker.decider import run_decider, window_tables
from pipeline.worker.pooled import run_pooled
from pipeline.worker.runtime import Runtime
from schemas.dedupe import DedupeRequest


def register(runtime: Runtime) -> None:
    """The fingerprint agent and the dedupe decider, on its two tables."""
    app, settings = runtime.app, runtime.settings
    changelog, state, expiry = window_tables(app, "dedupe", settings)
    index = DedupeIndex(
        state,
        expiry,
        settings=settings.dedupe,
        times=settings.event_time,
    )

    def decide_one(value: bytes, now: datetime) -> Outputs | Rejection:
        try:
            request = decode(DedupeRequest, value)
        except ValidationError as error:
            return Rejection(f"not a dedupe request: {error}"[:500], "invalid_record")
        decided = index.decide(request, seen_at=now)
        # A refusal goes back to run_decider, which dead-letters it with this event.
        if isinstance(decided, Rejection):
            return decided
        return route_decided(decided)

    def expire(now: datetime, limit: int) -> int:
        return index.expire(now=now, limit=limit)

    @app.agent(runtime.channels[CLEAN.name], name="agents.dedupe.fingerprint")
    async def fingerprint(stream: faust.StreamT[bytes]) -> None:
        await run_pooled(
            runtime,
            stream,
            fingerprint_record,
            route_fingerprint,
            stage="fingerprint",
            settings=settings.dedupe,
        )

    @app.agent(runtime.channels[DEDUPE_LOG.name], name="agents.dedupe.decide")
    async def decide(stream: faust.StreamT[bytes]) -> None:
        await run_decider(
            runtime,
            stream,
            at_once(decide_one),
            expire,
            stage="dedupe",
            changelog=changelog,
        )
