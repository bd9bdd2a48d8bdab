"""``dedupe.requests``: an article and its fingerprint, on the way to the decision log.

Internal to the pipeline (consumers read ``articles.enriched``), but a wire model all
the same: it crosses a topic, and a worker of the next release may decode it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from schemas.base import SCHEMA_VERSION, WireModel
from schemas.enriched import EnrichedArticle

#: One MinHash row: a 32-bit hash value.
SignatureRow = Annotated[int, Field(ge=0, lt=2**32)]


class SentenceKey(WireModel):
    """A sentence that may be reported as a repeat, and the hash of its words."""

    index: int = Field(ge=0)
    key: str = Field(min_length=1)


class Fingerprint(WireModel):
    """What the dedupe decision needs of an article, computed once in the pool."""

    content_hash: str = Field(description="Equal hashes mean an exact duplicate.")
    signature: tuple[SignatureRow, ...] = Field(
        description="MinHash of the word shingles of the non-boilerplate text."
    )
    bands: tuple[str, ...] = Field(
        description="LSH bucket keys, one per band; none when the text has no words."
    )
    sentences: tuple[SentenceKey, ...] = Field(
        default=(), description="Sentences eligible for repeat detection."
    )


class DedupeRequest(WireModel):
    """One entry of the dedupe decision log. Key: ``article.article_id``."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article: EnrichedArticle
    fingerprint: Fingerprint

    @model_validator(mode="after")
    def _fingerprint_is_of_the_article(self) -> DedupeRequest:
        # A mismatch would file one article's verdicts under another's text.
        if self.fingerprint.content_hash != self.article.content_hash:
            raise ValueError("fingerprint.content_hash differs from the article's")
        return self
