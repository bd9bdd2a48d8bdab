"""ingest_article on plain text: body checks, the article it builds, and its limits."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

import pipeline.ingest.stage
from pipeline.ingest import ingest_article
from pipeline.rejection import Rejection
from pipeline.settings import IngestLimits
from schemas import EnrichedArticle, RawArticle

LIMITS = IngestLimits()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06"
TEXT = (
    "Ukraine captured two soldiers, officials said on Saturday.\n"
    "The soldiers were taken to Kyiv for questioning by the security service."
)


@pytest.fixture
def article_factory() -> Callable[..., RawArticle]:
    def make(**fields: Any) -> RawArticle:
        return RawArticle(
            **{"article_id": "a-1", "source": "wire", "body": TEXT, **fields}
        )

    return make


@pytest.fixture
def article(article_factory: Callable[..., RawArticle]) -> RawArticle:
    return article_factory()


def ingested(article: RawArticle, limits: IngestLimits = LIMITS) -> EnrichedArticle:
    result = ingest_article(article, limits=limits)
    assert isinstance(result, EnrichedArticle), result
    return result


def rejected(article: RawArticle, limits: IngestLimits = LIMITS) -> Rejection:
    result = ingest_article(article, limits=limits)
    assert isinstance(result, Rejection), result
    assert result.article_id == article.article_id
    return result


def test_the_article_carries_the_producer_fields(
    article_factory: Callable[..., RawArticle],
) -> None:
    published = datetime(2025, 1, 11, 14, 30, tzinfo=UTC)
    raw = article_factory(
        url="https://example.com/a",
        title="Two \u201ccaptured\u201d",
        published_at=published,
    )
    article = ingested(raw)
    assert (article.article_id, article.source, article.url) == (
        "a-1",
        "wire",
        "https://example.com/a",
    )
    assert article.title == 'Two "captured"'
    assert article.published_at == published
    assert article.duplicate.kind is None
    assert article.claims == ()


def test_text_is_normalised_and_hashed(
    article_factory: Callable[..., RawArticle],
) -> None:
    article = ingested(
        article_factory(body="  Kyiv\u2019s   view.\r\n\r\n\u00a0Next. ")
    )
    assert article.text == "Kyiv's view.\nNext."
    assert article.content_hash == hashlib.sha256(b"Kyiv's view.\nNext.").hexdigest()


def test_sentences_point_into_the_text(article: RawArticle) -> None:
    result = ingested(article)
    assert [s.index for s in result.sentences] == [0, 1]
    for sentence in result.sentences:
        assert result.text[sentence.start : sentence.end] == sentence.text


@pytest.mark.parametrize(
    ("body", "what"), [("", "empty"), (" \n\t\u3000 ", "whitespace")]
)
def test_empty_or_blank_body(
    article_factory: Callable[..., RawArticle], body: str, what: str
) -> None:
    rejection = rejected(article_factory(body=body))
    assert rejection.error_type == "empty_body"
    assert what in rejection.reason


def test_body_of_invisible_characters_is_empty_after_normalisation(
    article_factory: Callable[..., RawArticle],
) -> None:
    rejection = rejected(article_factory(body="\u200b\u00ad\x07"))
    assert rejection.error_type == "empty_body"
    assert "after normalisation" in rejection.reason


def test_body_over_the_cap_is_too_large(article: RawArticle) -> None:
    size = len(article.body.encode())
    rejection = rejected(article, IngestLimits(max_body_bytes=size - 1))
    assert rejection.error_type == "too_large"
    assert f"body is {size} bytes" in rejection.reason


@pytest.mark.parametrize("content_type", ["text/plain", "text/html"])
@pytest.mark.parametrize(
    ("data", "named"),
    [
        (PNG, "PNG image"),
        (gzip.compress(b"<html><body><p>Hello.</p></body></html>"), "gzip"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    ],
)
def test_binary_formats_are_named(
    article_factory: Callable[..., RawArticle],
    content_type: str,
    data: bytes,
    named: str,
) -> None:
    body = data.decode("latin-1")
    rejection = rejected(article_factory(body=body, content_type=content_type))
    assert rejection.error_type == "unsupported_content"
    assert named in rejection.reason


def test_a_stray_nul_character_is_removed(
    article_factory: Callable[..., RawArticle],
) -> None:
    article = ingested(article_factory(body="Kyiv said\x00 so.\x00 Then it rained."))
    assert article.text == "Kyiv said so. Then it rained."
    assert [s.text for s in article.sentences] == ["Kyiv said so.", "Then it rained."]


def test_utf16_text_is_binary(article_factory: Callable[..., RawArticle]) -> None:
    body = TEXT.encode("utf-16-le").decode("latin-1")
    rejection = rejected(article_factory(body=body))
    assert rejection.error_type == "unsupported_content"
    assert "control characters" in rejection.reason


def test_mostly_control_characters_is_binary(
    article_factory: Callable[..., RawArticle],
) -> None:
    body = "".join(f"{chr(0x01 + i % 8)}ab" for i in range(100))
    rejection = rejected(article_factory(body=body))
    assert rejection.error_type == "unsupported_content"
    assert "control characters" in rejection.reason


def test_stray_control_characters_are_removed(
    article_factory: Callable[..., RawArticle],
) -> None:
    article = ingested(article_factory(body="Kyiv\x07 said\x1b so.\x0cThen it rained."))
    assert article.text == "Kyiv said so. Then it rained."


def test_max_sentences_keeps_the_first(
    article_factory: Callable[..., RawArticle],
) -> None:
    body = " ".join(f"Sentence number {n} is here." for n in range(10))
    article = ingested(article_factory(body=body), IngestLimits(max_sentences=3))
    assert [s.text for s in article.sentences] == [
        "Sentence number 0 is here.",
        "Sentence number 1 is here.",
        "Sentence number 2 is here.",
    ]
    assert article.text == body  # the text itself is never cut


def test_a_megabyte_without_punctuation_is_cut_into_capped_sentences(
    article_factory: Callable[..., RawArticle],
) -> None:
    body = "word " * 200_000  # one line, one "sentence" of a megabyte
    article = ingested(article_factory(body=body))
    assert len(article.sentences) == 500
    assert all(len(s.text) <= LIMITS.max_sentence_chars for s in article.sentences)
    assert not any(s.boilerplate for s in article.sentences)


def test_a_bug_in_a_step_becomes_a_rejection(
    article: RawArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(pipeline.ingest.stage, "split_sentences", broken)
    rejection = rejected(article)
    assert rejection.error_type == "internal_error"
    assert "ZeroDivisionError: boom" in rejection.reason


def test_same_input_gives_equal_output(article: RawArticle) -> None:
    assert ingest_article(article, limits=LIMITS) == ingest_article(
        article, limits=LIMITS
    )
