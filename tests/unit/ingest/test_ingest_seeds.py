"""The seed corpus end to end through ingest_record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.ingest import ingest_record
from pipeline.ingest.normalise import normalise_text
from pipeline.settings import IngestLimits
from schemas import EnrichedArticle

LIMITS = IngestLimits()


def seed_record(path: Path) -> bytes:
    body = path.read_text(encoding="utf-8")
    return json.dumps({"source": path.stem, "body": body}).encode()


def ingest_seed(seeds_dir: Path, name: str) -> EnrichedArticle:
    [path] = seeds_dir.glob(f"{name}_*.txt")
    result = ingest_record(seed_record(path), limits=LIMITS)
    assert isinstance(result, EnrichedArticle), result
    return result


def marks(article: EnrichedArticle) -> dict[str, bool]:
    return {s.text: s.boilerplate for s in article.sentences}


@pytest.mark.parametrize("name", ["000", "001", "002", "003", "004"])
def test_every_seed_ingests(seeds_dir: Path, name: str) -> None:
    article = ingest_seed(seeds_dir, name)
    [path] = seeds_dir.glob(f"{name}_*.txt")
    body = path.read_text(encoding="utf-8")
    assert article.text == normalise_text(body)
    assert article.language == "en"
    assert not {"\u2018", "\u2019", "\u201c", "\u201d"} & set(article.text)
    assert len(article.sentences) >= body.count("\n")
    for index, sentence in enumerate(article.sentences):
        assert sentence.index == index
        assert article.text[sentence.start : sentence.end] == sentence.text


def test_seed_003_headings_are_boilerplate_and_nothing_else(seeds_dir: Path) -> None:
    marked = [
        text for text, flag in marks(ingest_seed(seeds_dir, "003")).items() if flag
    ]
    assert marked == [
        "Captured Soldiers Speak Out",
        "North Korea's Alleged Role in Ukraine Conflict",
        "Rising Casualties Among North Korean Troops",
        "Russia Claims Gains Amid Mounting International Scrutiny",
    ]


def test_seed_002_ends_with_boilerplate(seeds_dir: Path) -> None:
    article = ingest_seed(seeds_dir, "002")
    last_line = article.text.split("\n")[-1]
    assert last_line == "This is a developing story. Check back for updates."
    tail = [s for s in article.sentences if s.start >= article.text.rindex("\n")]
    assert [s.text for s in tail] == [
        "This is a developing story.",
        "Check back for updates.",
    ]
    assert all(s.boilerplate for s in tail)


def test_seed_002_headline_and_bullets_are_content(seeds_dir: Path) -> None:
    flags = marks(ingest_seed(seeds_dir, "002"))
    assert flags["Here's what we know."] is False
    assert (
        flags[
            "Zelenskyy said the two soldiers were wounded and had been taken to Kyiv."
        ]
        is False
    )
    assert sum(flags.values()) == 2


def test_seed_004_ends_with_boilerplate(seeds_dir: Path) -> None:
    article = ingest_seed(seeds_dir, "004")
    assert article.sentences[-1].text == "Read the full article here"
    assert article.sentences[-1].boilerplate
    assert not any(s.boilerplate for s in article.sentences[:-1])


def test_seed_000_long_headline_is_content(seeds_dir: Path) -> None:
    article = ingest_seed(seeds_dir, "000")
    [headline] = [
        s for s in article.sentences if s.text.endswith("Anadolu Ajans\u0131")
    ]
    assert not headline.boilerplate


def test_quotes_stay_inside_their_sentence(seeds_dir: Path) -> None:
    texts = [s.text for s in ingest_seed(seeds_dir, "004").sentences]
    assert (
        '"For those North Korean soldiers who do not wish to return, there may be '
        'other options available," Zelenskyy said.'
    ) in texts


def test_same_input_twice_gives_equal_models(seeds_dir: Path) -> None:
    for path in sorted(seeds_dir.glob("*.txt")):
        first = ingest_record(seed_record(path), limits=LIMITS)
        second = ingest_record(seed_record(path), limits=LIMITS)
        assert first == second
        assert isinstance(first, EnrichedArticle)
        assert first.model_dump_json() == second.model_dump_json()


def test_different_seeds_hash_differently(seeds_dir: Path) -> None:
    articles = [ingest_seed(seeds_dir, f"00{n}") for n in range(5)]
    assert len({a.content_hash for a in articles}) == 5
    assert len({a.article_id for a in articles}) == 5
