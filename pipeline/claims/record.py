"""The claims stage for one record of ``articles.deduped``, as the pool runs it."""

from __future__ import annotations

from pydantic import ValidationError

from pipeline.claims.stage import extract_claims
from pipeline.codec import decode
from pipeline.ingest import Rejection
from schemas import EnrichedArticle

#: Languages the claim rules and the spaCy model are written for.
CLAIM_LANGUAGES = frozenset({"en"})


def claims_record(value: bytes) -> EnrichedArticle | Rejection:
    """The article with its claims filled in; never raises."""
    try:
        article = decode(EnrichedArticle, value)
    except ValidationError as error:
        return Rejection(f"not a deduplicated article: {error}"[:500], "invalid_record")
    if not has_claim_language(article):
        return article
    [claims] = extract_claims([article])
    return article.model_copy(update={"claims": claims})


def has_claim_language(article: EnrichedArticle) -> bool:
    """Whether the rules apply: English, or unknown (short texts go undetected)."""
    # English rules on other languages find nonsense "claims" and cost the most
    # expensive step of the pipeline for nothing.
    return article.language is None or article.language in CLAIM_LANGUAGES
