"""Language: the producer's tag, else detection, else None for texts too short."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ingest import ingest_article, load_identifier
from pipeline.ingest.language import detect_language, language_code
from pipeline.settings import IngestLimits
from schemas import EnrichedArticle, RawArticle

GERMAN = (
    "Der ukrainische Pr\u00e4sident Wolodymyr Selenskyj hat am Samstag mitgeteilt, "
    "dass die Ukraine zwei verwundete nordkoreanische Soldaten gefangen genommen habe. "
    "Sie seien nach Kiew gebracht worden und w\u00fcrden dort vom Geheimdienst befragt."
)
FRENCH = (
    "Le pr\u00e9sident ukrainien a annonc\u00e9 samedi que deux soldats "
    "nord-cor\u00e9ens bless\u00e9s avaient \u00e9t\u00e9 captur\u00e9s par les forces "
    "ukrainiennes dans la r\u00e9gion de Koursk, puis transf\u00e9r\u00e9s \u00e0 Kiev."
)


def test_english_seed_is_english(seeds_dir: Path) -> None:
    text = (seeds_dir / "002_2123417eaa2e1196.txt").read_text(encoding="utf-8")
    assert detect_language(text) == "en"


@pytest.mark.parametrize(("text", "code"), [(GERMAN, "de"), (FRENCH, "fr")])
def test_other_languages(text: str, code: str) -> None:
    assert detect_language(text) == code


@pytest.mark.parametrize("text", ["", "Hi", "Kyiv", "12 345 678", "OK OK OK"])
def test_too_little_text_is_none(text: str) -> None:
    assert detect_language(text) is None


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en", "en"), ("EN", "en"), ("en-US", "en"), ("pt_BR", "pt"), (" de ", "de")],
)
def test_language_tags_give_their_iso_639_1_code(tag: str, code: str) -> None:
    assert language_code(tag) == code


@pytest.mark.parametrize("tag", [None, "", "english", "deu", "e"])
def test_tags_without_a_two_letter_code_give_none(tag: str | None) -> None:
    assert language_code(tag) is None


def test_the_producer_tag_wins_and_a_bad_one_falls_back_to_detection() -> None:
    def language(tag: str | None) -> str | None:
        article = RawArticle(source="wire", body=GERMAN, language=tag)
        result = ingest_article(article, limits=IngestLimits())
        assert isinstance(result, EnrichedArticle)
        return result.language

    assert language("fr-CH") == "fr"
    assert language("German") == "de"
    assert language(None) == "de"


def test_the_identifier_is_loaded_once_per_process() -> None:
    assert load_identifier() is load_identifier()
