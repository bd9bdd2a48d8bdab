"""Corroborate agent: the same claim across outlets, and figures that disagree.

Consumes ``articles.claimed`` (key article_id, EnrichedArticle with its claims), a log
with ONE partition: every claim is decided by the single instance that owns it,
against every earlier claim of the window, so all claims of one cluster are decided
in one place whichever partition their articles came through.
Emits, per article: each claim with its ``cluster_id`` on ``claims`` (key claim_id);
every cluster the article changed on ``claims.clusters`` (compacted, key
cluster_id: exact counts, the founding and latest members); each new comparison
of figures on ``claims.conflicts`` (key comparison_id); and last the finished
article on ``articles.enriched``.
State: tables ``corroborate-state`` and ``corroborate-expiry`` (RocksDB, changelog
backed) survive restarts; entries expire after NEWSLINE_CORROBORATE__WINDOW_HOURS
of publication time.
Idempotent: an article seen before gets the result stored the first time, so a
redelivered article never joins a cluster twice or corroborates itself.
Bad input (a record that does not decode) goes to ``articles.deadletter`` with
stage "corroborate".
A decision yields to the worker's other agents after each claim it places.
"""

from __future__ import annotations

from datetime import datetime

import faust
from pydantic import ValidationError

from pipeline.codec import decode
from pipeline.corroborate import Corroborator
from pipeline.flow import Outputs, route_corroborated
from pipeline.rejection import Rejection
from pipeline.steps import Steps
from pipeline.topics import CLAIMED
from pipeline.worker.decider import run_decider, window_tables
from pipeline.worker.runtime import Runtime
from schemas import EnrichedArticle


def register(runtime: Runtime) -> None:
    """The corroborate decider, on its two tables."""
    app, settings = runtime.app, runtime.settings
    changelog, state, expiry = window_tables(app, "corroborate", settings)
    corroborator = Corroborator(
        state,
        expiry,
        settings=settings.corroborate,
        times=settings.event_time,
    )

    def decide(value: bytes, now: datetime) -> Steps[Outputs | Rejection]:
        try:
            article = decode(EnrichedArticle, value)
        except ValidationError as error:
            return Rejection(f"not a claimed article: {error}"[:500], "invalid_record")
        steps = corroborator.corroborate_steps(article, seen_at=now)
        return route_corroborated((yield from steps))

    def expire(now: datetime, limit: int) -> int:
        return corroborator.expire(now=now, limit=limit)

    @app.agent(runtime.channels[CLAIMED.name], name="agents.corroborate.corroborate")
    async def corroborate(stream: faust.StreamT[bytes]) -> None:
        await run_decider(
            runtime, stream, decide, expire, stage="corroborate", changelog=changelog
        )
