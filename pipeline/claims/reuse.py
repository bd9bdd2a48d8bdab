"""Claims of exact copies taken from the original instead of parsed again.

Wire stories are carried word for word by many outlets, and a crawler fetches
the same page more than once. The claims of an article are a function of its
sentences, their boilerplate flags, its language and its publication time (dates
like "on Tuesday" resolve against it), and of its article_id (claim ids and
``Claim.article_id``). So an article that matches a recent one on all but the
id gets the recent one's claims with its own ids: the very records a parse would
give, for a dictionary lookup instead of the pipeline's most expensive step.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from pydantic import ValidationError

from pipeline.claims.stage import claim_id
from pipeline.codec import decode
from schemas import Claim, EnrichedArticle

R = TypeVar("R")


class ClaimsMemory:
    """The claims of the ``entries`` articles computed last, by their content."""

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._claims: OrderedDict[str, tuple[Claim, ...]] = OrderedDict()
        self.hits = 0

    def recall(self, value: bytes) -> EnrichedArticle | None:
        """The record's article with its claims, if a recent article had its
        content; None otherwise (then the claims stage must run)."""
        if not self._entries:
            return None
        try:
            article = decode(EnrichedArticle, value)
        except ValidationError:
            return None  # the stage itself rejects it, with the reason
        key = content_key(article)
        found = self._claims.get(key)
        if found is None:
            return None
        self._claims.move_to_end(key)
        self.hits += 1
        return article.model_copy(update={"claims": with_ids(found, article)})

    def remember(self, result: object) -> None:
        """Keep a stage result's claims, if it is an article (not a rejection)."""
        if not self._entries or not isinstance(result, EnrichedArticle):
            return
        key = content_key(result)
        self._claims[key] = result.claims
        self._claims.move_to_end(key)
        while len(self._claims) > self._entries:
            self._claims.popitem(last=False)


async def remembered(
    memory: ClaimsMemory | None,
    values: Sequence[bytes],
    compute: Callable[[list[bytes]], Awaitable[list[R]]],
) -> list[R | EnrichedArticle]:
    """``compute`` over the values ``memory`` cannot answer (all of them without
    a memory); results in order."""
    if memory is None:
        return list(await compute(list(values)))
    known = [memory.recall(value) for value in values]
    pairs = zip(values, known, strict=True)
    missing = [value for value, article in pairs if article is None]
    computed = iter(await compute(missing) if missing else [])
    results: list[R | EnrichedArticle] = []
    for article in known:
        if article is None:
            result = next(computed)
            memory.remember(result)
            results.append(result)
        else:
            results.append(article)
    return results


def content_key(article: EnrichedArticle) -> str:
    """What the claims depend on, besides the article's id."""
    digest = hashlib.sha256()
    published = article.published_at.isoformat() if article.published_at else ""
    digest.update(f"{article.content_hash}|{article.language}|{published}".encode())
    for s in article.sentences:
        digest.update(f"|{s.index},{s.start},{s.end},{s.boilerplate:d}|".encode())
        digest.update(s.text.encode())
    return digest.hexdigest()


def with_ids(claims: tuple[Claim, ...], article: EnrichedArticle) -> tuple[Claim, ...]:
    """Another article's claims, as this article's own."""
    return tuple(
        claim.model_copy(
            update={
                "article_id": article.article_id,
                "claim_id": claim_id(
                    article.article_id, claim.sentence_index, claim.text
                ),
            }
        )
        for claim in claims
    )
