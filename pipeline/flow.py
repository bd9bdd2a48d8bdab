"""Where each stage's results go: shared by the agents and ``newsline extract``.

Routing lives here, not in the agents, so the offline run cannot drift from the
service: both turn a stage result into the same (topic, key, record) outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.corroborate import Corroboration
from pipeline.deadletter import Origin, dead_letter
from pipeline.rejection import Rejection
from pipeline.topics import (
    CLAIMED,
    CLAIMS,
    CLEAN,
    CLUSTERS,
    CONFLICTS,
    DEADLETTER,
    DEDUPE_LOG,
    DEDUPED,
    ENRICHED,
    STORIES,
    TopicSpec,
)
from schemas import EnrichedArticle, WireModel
from schemas.dedupe import DedupeRequest


@dataclass(frozen=True)
class Output:
    """One record to publish."""

    topic: TopicSpec
    key: str | None
    record: WireModel


Outputs = tuple[Output, ...]


def route_ingest(
    result: EnrichedArticle | Rejection,
    *,
    value: bytes,
    key: bytes | None,
    origin: Origin,
) -> Outputs:
    """The ingest stage's output for one input: the clean article or a dead letter."""
    if isinstance(result, EnrichedArticle):
        return (Output(CLEAN, result.article_id, result),)
    return route_rejection("ingest", result, value=value, key=key, origin=origin)


def route_fingerprint(
    result: DedupeRequest | Rejection,
    *,
    value: bytes,
    key: bytes | None,
    origin: Origin,
) -> Outputs:
    """A fingerprinted article, bound for the one place dedupe decisions are made."""
    if isinstance(result, DedupeRequest):
        return (Output(DEDUPE_LOG, result.article.article_id, result),)
    return route_rejection("dedupe", result, value=value, key=key, origin=origin)


def route_decided(
    result: EnrichedArticle | Rejection,
    *,
    value: bytes = b"",
    key: bytes | None = None,
    origin: Origin | None = None,
) -> Outputs:
    """An article with its dedupe verdicts, on to the claims stage; or the dead letter
    of a request the index refused (``conflicting_id``).

    ``value``, ``key`` and ``origin`` describe the DedupeRequest record consumed: its
    dead letter carries them. Callers that leave them out get a dead letter without
    the original bytes.
    """
    if isinstance(result, Rejection):
        where = origin or Origin()
        return route_rejection("dedupe", result, value=value, key=key, origin=where)
    return (Output(DEDUPED, result.article_id, result),)


def route_claims(
    result: EnrichedArticle | Rejection,
    *,
    value: bytes,
    key: bytes | None,
    origin: Origin,
) -> Outputs:
    """An article with its claims, bound for the corroborate decision log."""
    if isinstance(result, Rejection):
        return route_rejection("claims", result, value=value, key=key, origin=origin)
    return (Output(CLAIMED, result.article_id, result),)


def route_corroborated(done: Corroboration) -> Outputs:
    """Claims with their cluster, the clusters they changed, the figure comparisons,
    the article's story, and last the finished article, so a consumer that sees it
    can find the rest."""
    article = done.article
    return (
        *(Output(CLAIMS, claim.claim_id, claim) for claim in article.claims),
        *(Output(CLUSTERS, cluster.cluster_id, cluster) for cluster in done.clusters),
        *(Output(CONFLICTS, c.comparison_id, c) for c in done.comparisons),
        *(Output(STORIES, story.story_id, story) for story in done.stories),
        Output(ENRICHED, article.article_id, article),
    )


def route_rejection(
    stage: str,
    rejection: Rejection,
    *,
    value: bytes,
    key: bytes | None,
    origin: Origin,
) -> Outputs:
    """The dead letter for an input a stage could not process."""
    letter = dead_letter(
        stage=stage,
        reason=rejection.reason,
        error_type=rejection.error_type,
        value=value,
        key=key,
        article_id=rejection.article_id,
        origin=origin,
    )
    return (Output(DEADLETTER, letter.article_id, letter),)


#: The setting that caps an article's time in the process pool, as deployments set it.
TIME_CAP_SETTING = "NEWSLINE_INGEST__MAX_SECONDS_PER_ARTICLE"


def timed_out(seconds: float, *, killed: bool = False) -> Rejection:
    """The rejection for an input stopped at its time cap of ``seconds``;
    ``killed`` when it did not stop and its worker process had to be killed."""
    cap = f"the {seconds:g}-second cap per article ({TIME_CAP_SETTING})"
    if killed:
        reason = (
            f"processing ran far past {cap} without stopping (stuck in compiled "
            "code), so its worker process was killed"
        )
    else:
        reason = f"processing took longer than {cap} and was stopped"
    return Rejection(reason=reason, error_type="timeout")


def crashed(error: BaseException) -> Rejection:
    """The rejection for an input whose processing raised, or crashed its worker
    process."""
    return Rejection(
        reason=f"processing failed: {type(error).__name__}: {error}"[:500],
        error_type="processing_failed",
    )
