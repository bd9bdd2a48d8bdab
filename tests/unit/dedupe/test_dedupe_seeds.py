"""The seed corpus through ingest and dedupe, in file order, as the service runs it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pipeline.dedupe import DedupeIndex, fingerprint
from pipeline.ingest import ingest_record
from pipeline.settings import DedupeSettings, IngestLimits
from pipeline.state import OrderedKeys
from schemas import DuplicateVerdict, EnrichedArticle, SentenceRef
from schemas.dedupe import DedupeRequest

SETTINGS = DedupeSettings()


def ingest_seeds(seeds_dir: Path) -> list[EnrichedArticle]:
    articles = []
    for path in sorted(seeds_dir.glob("*.txt")):
        body = path.read_text(encoding="utf-8")
        record = json.dumps({"source": path.stem, "body": body}).encode()
        article = ingest_record(record, limits=IngestLimits())
        assert isinstance(article, EnrichedArticle), article
        articles.append(article)
    return articles


def dedupe_in_order(articles: list[EnrichedArticle]) -> list[EnrichedArticle]:
    index = DedupeIndex({}, OrderedKeys(), settings=SETTINGS)
    seen_at = datetime(2024, 12, 28, tzinfo=UTC)
    return [
        index.decide(
            DedupeRequest(article=a, fingerprint=fingerprint(a, settings=SETTINGS)),
            seen_at=seen_at,
        )
        for a in articles
    ]


def shared_word_for_word(
    articles: list[EnrichedArticle],
) -> dict[tuple[str, int], SentenceRef]:
    """Independently of the stage: each content sentence of six or more words that an
    earlier seed has, case and spacing aside, mapped to its first occurrence."""
    first: dict[str, SentenceRef] = {}
    repeats = {}
    for article in articles:
        mine: dict[str, SentenceRef] = {}
        for sentence in article.sentences:
            if sentence.boilerplate or len(sentence.text.split()) < 6:
                continue
            text = " ".join(sentence.text.casefold().split())
            if text in first:
                repeats[article.article_id, sentence.index] = first[text]
            ref = SentenceRef(article_id=article.article_id, index=sentence.index)
            mine.setdefault(text, ref)
        first = {**mine, **first}
    return repeats


def test_sentences_shared_between_seeds_point_at_their_first_occurrence(
    seeds_dir: Path,
) -> None:
    articles = ingest_seeds(seeds_dir)
    expected = shared_word_for_word(articles)
    assert len(set(expected.values())) == 4  # the four the issue reports

    decided = dedupe_in_order(articles)

    found = {
        (a.article_id, s.index): s.repeat_of
        for a in decided
        for s in a.sentences
        if s.repeat_of is not None
    }
    assert found == expected


def test_seeds_are_not_duplicates_of_one_another(seeds_dir: Path) -> None:
    decided = dedupe_in_order(ingest_seeds(seeds_dir))
    assert [a.duplicate for a in decided] == [DuplicateVerdict()] * 5


def test_deciding_changes_nothing_but_the_verdicts(seeds_dir: Path) -> None:
    articles = ingest_seeds(seeds_dir)
    for before, after in zip(articles, dedupe_in_order(articles), strict=True):
        blank = after.model_copy(
            update={
                "duplicate": DuplicateVerdict(),
                "sentences": tuple(
                    s.model_copy(update={"repeat_of": None}) for s in after.sentences
                ),
            }
        )
        assert blank == before
