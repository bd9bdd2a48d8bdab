"""The seed corpus through ingest and then the claims stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.claims import extract_claims
from pipeline.ingest import ingest_record
from pipeline.settings import IngestLimits
from schemas import Claim, EnrichedArticle

PREDICTION = (
    "Ukrainian President Volodymyr Zelenskyy predicted that his nation's forces would "
    '"undoubtedly" capture more North Korean troops.'
)


@pytest.fixture(scope="module")
def seeds() -> list[tuple[EnrichedArticle, tuple[Claim, ...]]]:
    root = Path(__file__).resolve().parents[3] / "seeds"
    articles = []
    for path in sorted(root.glob("*.txt")):
        value = json.dumps({"source": path.stem, "body": path.read_text("utf-8")})
        article = ingest_record(value.encode(), limits=IngestLimits())
        assert isinstance(article, EnrichedArticle)
        articles.append(article)
    return list(zip(articles, extract_claims(articles), strict=True))


def claims_for(seeds, start: str) -> list[Claim]:
    found = [c for _, claims in seeds for c in claims if c.text.startswith(start)]
    assert found, start
    return found


def test_boilerplate_and_headings_yield_no_claims(seeds) -> None:
    for article, claims in seeds:
        marked = {s.index for s in article.sentences if s.boilerplate}
        assert marked.isdisjoint(c.sentence_index for c in claims)
    texts = {c.text for _, claims in seeds for c in claims}
    assert "Captured Soldiers Speak Out" not in texts
    assert not any(t.startswith("Read the full article") for t in texts)


def test_speculation_in_the_outlets_voice_yields_no_claims(seeds) -> None:
    texts = [c.text for _, claims in seeds for c in claims]
    assert not any(
        t.startswith("This unprecedented offer from Zelenskyy") for t in texts
    )


def test_a_named_forecast_is_a_claim_of_its_speaker(seeds) -> None:
    # docs/labelling.md: that Zelenskyy predicted it can be checked.
    found = [c for _, claims in seeds for c in claims if c.text == PREDICTION]
    assert found
    for claim in found:
        assert claim.speaker is not None
        assert claim.speaker.name.endswith("Zelenskyy")


def test_most_factual_sentences_yield_claims(seeds) -> None:
    for article, claims in seeds:
        content = [s for s in article.sentences if not s.boilerplate]
        assert len({c.sentence_index for c in claims}) >= 0.6 * len(content)


def test_capture_sentences_count_two_soldiers(seeds) -> None:
    for start in (
        "Ukraine captured two wounded North Korean soldiers",
        "Ukraine has captured two injured North Korean soldiers",
        "Ukrainian President Volodymyr Zelenskyy said Ukraine has captured two North",
        "The Security Service for Ukraine announced on Saturday",
    ):
        for claim in claims_for(seeds, start):
            figures = [(q.low, q.high, q.counted) for q in claim.quantities]
            assert (2, 2, "soldiers") in figures, claim.text


@pytest.mark.parametrize(
    ("start", "speaker", "kind", "cue"),
    [
        (
            "Ukraine has captured two injured",
            "Ukrainian President Volodymyr Zelenskyy",
            "person",
            "said",
        ),
        (
            "Ukraine captured two wounded",
            "South Korea's intelligence service",
            "government",
            "said",
        ),
        (
            "South Korea's National Intelligence Service (NIS) has reportedly",
            "South Korea's National Intelligence Service",
            "government",
            "confirmed",
        ),
        ("The SBU said that one soldier", "The SBU", "government", "said"),
        ("The other was born in 1999", "the SBU", "government", "said"),
        ("It added that one of the soldiers", "The SBU", "government", "added"),
        # the nearest earlier person speaker is "Zelenskyy said ..." just before
        ("He added that they were receiving", "Zelenskyy", "person", "added"),
        ("He previously said that Russian forces", "Zelenskyy", "person", "said"),
        (
            "In December, a North Korean soldier",
            "South Korea's National Intelligence Service",
            "government",
            "said",
        ),
        (
            "The news agency also said",
            "South Korea's Yonhap News Agency",
            "media",
            "said",
        ),
        ("Pyongyang reportedly began", None, None, None),
    ],
)
def test_seed_speakers(seeds, start, speaker, kind, cue) -> None:
    for claim in claims_for(seeds, start):
        found = claim.speaker and (claim.speaker.name, claim.speaker.type)
        assert found == ((speaker, kind) if speaker else None), claim.text
        assert claim.cue == cue


@pytest.mark.parametrize(
    ("start", "hedge"),
    [
        ("Pyongyang reportedly began", "reportedly"),
        ("South Korea's intelligence agency estimates", "estimates"),
        ("The other was born in 1999", "preliminary"),
    ],
)
def test_seed_hedges(seeds, start: str, hedge: str) -> None:
    for claim in claims_for(seeds, start):
        assert claim.hedged
        assert hedge in claim.hedges


def test_seed_casualty_figures(seeds) -> None:
    [claim] = claims_for(seeds, "South Korea's intelligence agency estimates")
    figures = [(q.low, q.high, q.qualifier, q.counted) for q in claim.quantities]
    assert figures == [(300, 300, "approx", "soldiers"), (2700, 2700, None, "injured")]
    [claim] = claims_for(seeds, "The official was providing")
    assert (10000, 12000) in [(q.low, q.high) for q in claim.quantities]
    assert claim.speaker is None  # "Ukraine announced" sits in a relative clause
    [claim] = claims_for(seeds, "This marks North Korea's first participation")
    assert claim.quantities == ()
    assert [d.value for d in claim.dates] == ["1950/1953"]


def test_seed_years_are_dates(seeds) -> None:
    [claim] = claims_for(seeds, "The soldier with the ID card stated")
    assert claim.quantities == ()
    assert {d.text for d in claim.dates} == {"2005", "2021"}
