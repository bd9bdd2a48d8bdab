"""Claims agent.

Consumes ``articles.deduped`` (key article_id, EnrichedArticle with dedupe verdicts).
Extracts the article's factual claims (speaker and cue, hedges, figures, dates,
entities, check-worthiness) with spaCy in the process pool.
Emits the article with its claims to ``articles.claimed`` (key article_id), the
corroborate stage's decision log.
Bad input (a record that does not decode, or one whose processing crashes its
process) goes to ``articles.deadletter`` with stage "claims".
Idempotent: claims are a pure function of the article and claim_id a hash of
(article_id, sentence index, text), so a redelivered article yields identical records.
"""

from __future__ import annotations

import faust

from pipeline.app import app, channels
from pipeline.claims import claims_record
from pipeline.flow import route_claims
from pipeline.pooled import run_pooled
from pipeline.topics import DEDUPED


@app.agent(channels[DEDUPED.name])
async def claims(stream: faust.StreamT[bytes]) -> None:
    await run_pooled(stream, claims_record, route_claims, stage="claims")
