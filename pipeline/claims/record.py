"""The claims stage for one record of ``articles.deduped``, as the pool runs it."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from pipeline.claims.stage import extract_claims
from pipeline.codec import decode
from pipeline.cpu import batched
from pipeline.rejection import Rejection
from schemas import EnrichedArticle

#: Languages the claim rules and the spaCy model are written for.
CLAIM_LANGUAGES = frozenset({"en"})


def claims_records(values: Sequence[bytes]) -> list[EnrichedArticle | Rejection]:
    """``claims_record`` of each value, their sentences parsed in one pass: spaCy
    costs about a third per sentence in batches than one short article at a time."""
    read = [_read(value) for value in values]
    wanted = [
        a for a in read if isinstance(a, EnrichedArticle) and has_claim_language(a)
    ]
    found = iter(extract_claims(wanted))
    return [
        a.model_copy(update={"claims": next(found)})
        if isinstance(a, EnrichedArticle) and has_claim_language(a)
        else a
        for a in read
    ]


@batched(claims_records)
def claims_record(value: bytes) -> EnrichedArticle | Rejection:
    """The article with its claims filled in; never raises."""
    [result] = claims_records([value])
    return result


def _read(value: bytes) -> EnrichedArticle | Rejection:
    try:
        return decode(EnrichedArticle, value)
    except ValidationError as error:
        return Rejection(f"not a deduplicated article: {error}"[:500], "invalid_record")


def has_claim_language(article: EnrichedArticle) -> bool:
    """Whether the rules apply: English, or unknown (short texts go undetected)."""
    # English rules on other languages find nonsense "claims" and cost the most
    # expensive step of the pipeline for nothing.
    return article.language is None or article.language in CLAIM_LANGUAGES
