"""Claims agent.

Consumes ``articles.deduped`` (key article_id, EnrichedArticle with dedupe verdicts).
Extracts the article's factual claims (speaker and cue, hedges, figures, dates,
entities, check-worthiness) with spaCy in the process pool.
Emits the article with its claims to ``articles.claimed`` (key article_id), the
corroborate stage's decision log.
Bad input (a record that does not decode, or one whose processing crashes its
process) goes to ``articles.deadletter`` with stage "claims".
An exact copy of one of the last NEWSLINE_CLAIMS__MEMORY_ARTICLES articles gets
that article's claims with its own ids, without the pool (pipeline.claims.reuse).
Idempotent: claims are a pure function of the article and claim_id a hash of
(article_id, sentence index, text), so a redelivered article yields identical records.
"""

from __future__ import annotations

import faust

from pipeline.claims import claims_record
from pipeline.claims.reuse import ClaimsMemory
from pipeline.flow import route_claims
from pipeline.topics import DEDUPED
from pipeline.worker.pooled import run_pooled
from pipeline.worker.runtime import Runtime


def register(runtime: Runtime) -> None:
    """The claims agent."""

    @runtime.app.agent(runtime.channels[DEDUPED.name], name="agents.claims.claims")
    async def claims(stream: faust.StreamT[bytes]) -> None:
        memory = ClaimsMemory(runtime.settings.claims.memory_articles)
        await run_pooled(
            runtime, stream, claims_record, route_claims, stage="claims", memory=memory
        )
