"""Fixtures shared by the unit tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

import pytest

from schemas import EnrichedArticle, Sentence

ArticleFactory = Callable[..., EnrichedArticle]


@pytest.fixture
def article_factory() -> ArticleFactory:
    """An article whose lines are its sentences; ``boilerplate`` holds line indexes."""

    def make(
        text: str,
        *,
        article_id: str = "a",
        published_at: datetime | None = None,
        boilerplate: frozenset[int] = frozenset(),
    ) -> EnrichedArticle:
        sentences, start = [], 0
        for index, line in enumerate(text.split("\n")):
            end = start + len(line)
            flag = index in boilerplate
            sentences.append(
                Sentence(index=index, text=line, start=start, end=end, boilerplate=flag)
            )
            start = end + 1
        return EnrichedArticle(
            article_id=article_id,
            source="test",
            published_at=published_at,
            text=text,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            sentences=tuple(sentences),
        )

    return make
