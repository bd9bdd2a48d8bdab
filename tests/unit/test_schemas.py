from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from pipeline.codec import decode, encode
from schemas import (
    Claim,
    DeadLetter,
    EnrichedArticle,
    Quantity,
    RawArticle,
    Sentence,
    SentenceRef,
    Speaker,
    derive_article_id,
)
from schemas.export import EXPORTED, render, schema_path


def _enriched() -> EnrichedArticle:
    claim = Claim(
        claim_id="c1",
        article_id="a1",
        sentence_index=0,
        text="Kyiv said two soldiers were captured.",
        speaker=Speaker(name="Kyiv", type="government"),
        cue="said",
        quantities=(Quantity(text="two soldiers", low=2, high=2, counted="soldiers"),),
        checkworthiness=0.8,
    )
    sentence = Sentence(
        index=0,
        text=claim.text,
        start=0,
        end=len(claim.text),
        repeat_of=SentenceRef(article_id="a0", index=3),
    )
    return EnrichedArticle(
        article_id="a1",
        source="s",
        text=claim.text,
        content_hash="h",
        sentences=(sentence,),
        claims=(claim,),
        published_at=datetime(2025, 1, 11, 12, tzinfo=UTC),
    )


def test_round_trip_through_the_codec() -> None:
    article = _enriched()
    assert decode(EnrichedArticle, encode(article)) == article
    raw = RawArticle(source="s", body="b", url="https://example.org/a")
    assert decode(RawArticle, encode(raw)) == raw


def test_models_are_frozen_and_refuse_unknown_fields() -> None:
    article = _enriched()
    with pytest.raises(ValidationError):
        article.text = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        RawArticle.model_validate({"source": "s", "body": "b", "bodyy": "typo"})


def test_article_id_is_derived_when_absent_and_stable() -> None:
    first = RawArticle(source="s", body="text")
    assert first.article_id == RawArticle(source="s", body="text").article_id
    assert first.article_id == derive_article_id("s", None, "text")
    assert first.article_id != RawArticle(source="t", body="text").article_id
    with_url = RawArticle(source="s", body="text", url="https://e.org/x")
    edited = RawArticle(source="s", body="text, fixed", url="https://e.org/x")
    assert with_url.article_id == edited.article_id
    assert RawArticle(article_id="given", source="s", body="x").article_id == "given"


def test_unknown_schema_version_is_refused() -> None:
    with pytest.raises(ValidationError, match="schema_version"):
        RawArticle.model_validate({"schema_version": 2, "source": "s", "body": "b"})


def test_dead_letter_keeps_the_original_bytes() -> None:
    value = b"\xff\x00 not text"
    letter = DeadLetter(
        stage="ingest",
        reason="r",
        error_type="invalid_utf8",
        original_base64=base64.b64encode(value).decode(),
        time=datetime.now(UTC),
    )
    assert decode(DeadLetter, encode(letter)).original == value


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_exported_json_schema_files_are_fresh(name: str) -> None:
    path = schema_path(name)
    assert path.exists(), f"run `make schemas` to write {path.name}"
    assert path.read_text(encoding="utf-8") == render(EXPORTED[name]), (
        f"{path.name} is stale: run `make schemas`"
    )
