"""Where each stage's results go: shared by the agents and ``newsline extract``.

Routing lives here, not in the agents, so the offline run cannot drift from the
service: both turn a stage result into the same (topic, key, record) outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.deadletter import Origin, dead_letter
from pipeline.ingest import Rejection
from pipeline.topics import DEADLETTER, ENRICHED, TopicSpec
from schemas import EnrichedArticle, WireModel


@dataclass(frozen=True)
class Output:
    """One record to publish."""

    topic: TopicSpec
    key: str | None
    record: WireModel


def route_ingest(
    result: EnrichedArticle | Rejection,
    *,
    value: bytes,
    key: bytes | None,
    origin: Origin,
) -> Output:
    """The ingest stage's output for one input: the article, or its dead letter."""
    if isinstance(result, EnrichedArticle):
        # Until dedupe and claims exist, ingest is the last stage and publishes the
        # finished article.
        return Output(ENRICHED, result.article_id, result)
    letter = dead_letter(
        stage="ingest",
        reason=result.reason,
        error_type=result.error_type,
        value=value,
        key=key,
        article_id=result.article_id,
        origin=origin,
    )
    return Output(DEADLETTER, letter.article_id, letter)


def crashed(error: BaseException) -> Rejection:
    """The rejection for an input whose processing crashed its worker process."""
    return Rejection(
        reason=f"processing failed: {type(error).__name__}: {error}"[:500],
        error_type="processing_failed",
    )
