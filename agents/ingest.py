"""Ingest agent.

Consumes ``articles.raw``: key article_id, value a RawArticle as JSON bytes (read raw,
so a bad record reaches this code with its original bytes).
Emits ``articles.clean`` (key article_id, EnrichedArticle with sentences, not yet
deduplicated).
Bad input (not UTF-8, not JSON, wrong fields, empty, oversized, binary, HTML without
text or nested too deep, a crash while processing it, or processing that runs past
NEWSLINE_INGEST__MAX_SECONDS_PER_ARTICLE) goes to ``articles.deadletter`` with the
reason and the original bytes; the agent carries on.
Idempotent: the output is a pure function of the input bytes, so a redelivered record
yields the identical record. A batch is acknowledged only after its outputs are
delivered (acks=all), so nothing is lost when the worker dies mid-batch.
"""

from __future__ import annotations

import faust

from pipeline.flow import route_ingest
from pipeline.ingest import ingest_record
from pipeline.topics import RAW
from pipeline.worker.pooled import run_pooled
from pipeline.worker.runtime import Runtime


def register(runtime: Runtime) -> None:
    """The ingest agent, and a task that starts the pool's processes early."""
    app, settings = runtime.app, runtime.settings

    @app.agent(runtime.channels[RAW.name], name="agents.ingest.ingest")
    async def ingest(stream: faust.StreamT[bytes]) -> None:
        await run_pooled(
            runtime,
            stream,
            ingest_record,
            route_ingest,
            stage="ingest",
            seconds_per_item=settings.ingest.max_seconds_per_article,
            limits=settings.ingest,
        )

    async def warm_pool() -> None:
        """Spawn the CPU processes while the consumer joins its group."""
        await runtime.pool.warm()

    app.task(warm_pool)
