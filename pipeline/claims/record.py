"""The claims stage for one record of ``articles.deduped``, as the pool runs it."""

from __future__ import annotations

from pydantic import ValidationError

from pipeline.claims.stage import extract_claims
from pipeline.codec import decode
from pipeline.ingest import Rejection
from schemas import EnrichedArticle


def claims_record(value: bytes) -> EnrichedArticle | Rejection:
    """The article with its claims filled in; never raises."""
    try:
        article = decode(EnrichedArticle, value)
    except ValidationError as error:
        return Rejection(f"not a deduplicated article: {error}"[:500], "invalid_record")
    [claims] = extract_claims([article])
    return article.model_copy(update={"claims": claims})
