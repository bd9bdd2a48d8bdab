"""extract_claims end to end on hand-written articles: API, speakers, dates."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest

from pipeline.claims import extract_claims
from pipeline.claims.checkworthiness import THRESHOLD
from pipeline.claims.dates import resolve_date
from schemas import Claim, EnrichedArticle, Sentence

# Published on a Wednesday.
WEDNESDAY = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)


def article(
    *texts: str, boilerplate: frozenset[int] = frozenset(), published=None
) -> EnrichedArticle:
    sentences, start = [], 0
    for index, text in enumerate(texts):
        flag = index in boilerplate
        sentences.append(
            Sentence(
                index=index,
                text=text,
                start=start,
                end=start + len(text),
                boilerplate=flag,
            )
        )
        start += len(text) + 1
    body = "\n".join(texts)
    digest = hashlib.sha256(body.encode()).hexdigest()
    return EnrichedArticle(
        article_id=digest[:24],
        source="test",
        published_at=published,
        text=body,
        content_hash=digest,
        sentences=tuple(sentences),
    )


def claims_of(*texts: str, **options) -> tuple[Claim, ...]:
    [claims] = extract_claims([article(*texts, **options)])
    return claims


def claim_at(claims: tuple[Claim, ...], index: int) -> Claim:
    [claim] = [c for c in claims if c.sentence_index == index]
    return claim


def speaker_of(claim: Claim) -> tuple[str, str] | None:
    return None if claim.speaker is None else (claim.speaker.name, claim.speaker.type)


def test_one_tuple_per_article_in_order() -> None:
    first = article("Ukraine captured two soldiers in Kursk.")
    empty = article("Check back for updates.")
    second = article("Russia announced the capture of two villages.")
    result = extract_claims([first, empty, second])
    assert [len(claims) for claims in result] == [1, 0, 1]
    assert result[0][0].article_id == first.article_id
    assert result[2][0].article_id == second.article_id
    assert extract_claims([]) == []


def test_claim_id_and_fields() -> None:
    [claim] = claims_of("Ukraine captured two soldiers in Kursk.")
    key = f"{claim.article_id}\x1f0\x1fUkraine captured two soldiers in Kursk."
    assert claim.claim_id == hashlib.sha256(key.encode()).hexdigest()[:24]
    assert claim.cluster_id is None
    assert claim.speaker is None  # the outlet itself asserts it
    assert 0.0 <= claim.checkworthiness <= 1.0
    assert ("Ukraine", "GPE") in {(e.text, e.label) for e in claim.entities}


def test_same_input_same_claims() -> None:
    texts = (
        "Zelenskyy said Ukraine captured two soldiers.",
        "He added that more came.",
    )
    assert extract_claims([article(*texts)]) == extract_claims([article(*texts)])


def test_boilerplate_never_yields_claims() -> None:
    text = "Ukraine captured two soldiers in Kursk."
    assert claims_of(text, boilerplate=frozenset({0})) == ()


@pytest.mark.parametrize(
    ("headline", "claims"),
    [
        ("Yukos loses US bankruptcy battle", 1),
        ("Talking point", 0),
        ("Will Yukos lose its US bankruptcy battle?", 0),
    ],
)
def test_a_headline_is_read_like_a_sentence(headline: str, claims: int) -> None:
    # Ingest marks the first line boilerplate, as a heading without a full stop.
    found = extract_claims(
        [article(headline, "The judge ruled on Thursday.", boilerplate=frozenset({0}))]
    )[0]
    assert len([c for c in found if c.sentence_index == 0]) == claims


def test_odd_article_yields_nothing_and_does_not_stop_the_batch() -> None:
    odd = article("\u0000\u0000 ... ???", "_" * 5000 + ".", "1 2 3 4 5 6.")
    good = article("Ukraine captured two soldiers in Kursk.")
    result = extract_claims([odd, good])
    assert result[0] == ()
    assert len(result[1]) == 1


def test_speaker_after_the_quote() -> None:
    [claim] = claims_of(
        '"Russian forces execute their wounded to erase evidence," Zelenskyy said.'
    )
    assert claim.speaker is not None
    assert claim.speaker.name == "Zelenskyy"
    assert claim.cue == "said"


def test_speaker_after_reported_content() -> None:
    [claim] = claims_of(
        "Ukraine has captured two injured North Korean soldiers, Ukrainian President "
        "Volodymyr Zelenskyy said on Saturday."
    )
    assert speaker_of(claim) == ("Ukrainian President Volodymyr Zelenskyy", "person")
    assert claim.cue == "said"


def test_speaker_before_with_told() -> None:
    [claim] = claims_of(
        "South Korea's spy agency told lawmakers on Monday that the two soldiers "
        "haven't expressed a desire to seek asylum."
    )
    assert speaker_of(claim) == ("South Korea's spy agency", "government")
    assert claim.cue == "told"


def test_according_to() -> None:
    [claim] = claims_of(
        "The partnership, according to officials who spoke to ABC News, has been "
        "essential to Ukraine."
    )
    assert claim.speaker is not None
    assert claim.speaker.name == "officials"
    assert claim.cue == "according to"


def test_parenthetical_abbreviation_is_not_part_of_the_name() -> None:
    [claim] = claims_of(
        "South Korea's National Intelligence Service (NIS) has reportedly confirmed "
        "their capture."
    )
    assert speaker_of(claim) == (
        "South Korea's National Intelligence Service",
        "government",
    )
    assert claim.cue == "confirmed"
    assert claim.hedges == ("reportedly",)


def test_media_speaker() -> None:
    [claim] = claims_of(
        "South Korea's Yonhap News Agency said 300 North Korean soldiers had been "
        "killed in fighting."
    )
    assert claim.speaker is not None
    assert claim.speaker.type == "media"


def test_pronoun_resolves_to_the_nearest_person() -> None:
    claims = claims_of(
        "Ukrainian President Volodymyr Zelenskyy said the soldiers were taken to Kyiv.",
        "The SBU said the soldiers did not speak Ukrainian.",
        'He added that they were receiving "necessary medical assistance."',
    )
    assert speaker_of(claim_at(claims, 2)) == (
        "Ukrainian President Volodymyr Zelenskyy",
        "person",
    )


def test_it_resolves_to_the_nearest_body() -> None:
    claims = claims_of(
        "The SBU said the soldiers did not speak Ukrainian.",
        "It added that one of the soldiers carried a Russian military ID card.",
    )
    assert speaker_of(claim_at(claims, 1)) == ("The SBU", "government")


def test_short_reference_to_a_news_agency() -> None:
    claims = claims_of(
        "South Korea's Yonhap News Agency said 300 soldiers had been killed.",
        "The news agency also said that the troops are urged to kill themselves.",
    )
    assert speaker_of(claim_at(claims, 1)) == (
        "South Korea's Yonhap News Agency",
        "media",
    )


def test_multi_sentence_quote_takes_the_closing_speaker() -> None:
    claims = claims_of(
        "SSU spokesperson Artem Dekhtyarenko said the men had been moved to Kyiv.",
        '"They are held in proper conditions.',
        "The prisoners do not speak Ukrainian.",
        'One of them had a Russian military ID card," he said.',
    )
    for index in (1, 2, 3):
        claim = claim_at(claims, index)
        assert speaker_of(claim) == ("SSU spokesperson Artem Dekhtyarenko", "person")


def test_dates_resolved_against_publication() -> None:
    [claim] = claims_of(
        "The SBU announced on Saturday that it had captured two soldiers.",
        published=WEDNESDAY,
    )
    assert [(d.text, d.value) for d in claim.dates] == [("Saturday", "2025-01-11")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Kirby said last month that Russia was using North Korean troops.", "2024-12"),
        (
            "The NIS confirmed that two soldiers were captured on January 9.",
            "2025-01-09",
        ),
        ("Pyongyang began sending troops to Russia in October.", "2024-10"),
    ],
)
def test_relative_dates(text: str, value: str) -> None:
    [claim] = claims_of(text, published=WEDNESDAY)
    assert value in [d.value for d in claim.dates]


def test_dates_stay_unresolved_without_publication_time() -> None:
    [claim] = claims_of(
        "The SBU announced on Saturday that it had captured two soldiers."
    )
    assert [(d.text, d.value) for d in claim.dates] == [("Saturday", None)]


@pytest.mark.parametrize(
    "published",
    [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)],
    ids=["year-1", "year-9999"],
)
def test_a_publication_time_at_the_calendars_ends_keeps_every_claim(
    published: datetime,
) -> None:
    text = "The SBU announced on Saturday that it had captured two soldiers last year."
    [claim] = claims_of(text, published=published)
    assert claim.dates  # found, resolved where the calendar allows
    assert [c.text for c in claims_of(text, published=WEDNESDAY)] == [claim.text]


@pytest.mark.parametrize(
    "text", ["9999999 days ago", "10000 years ago", "last year", "yesterday"]
)
def test_date_arithmetic_past_the_calendar_is_unresolved(text: str) -> None:
    assert resolve_date(text, anchor=date(1, 1, 1)) is None


@pytest.mark.parametrize(
    "text",
    [
        "The jobless total rose for the second month in December, official "
        "figures show.",
        "Previous initiatives brought 40,000 pupils back to school, according to "
        "official statistics.",
    ],
)
def test_data_are_not_speakers(text: str) -> None:
    [claim] = claims_of(text)
    assert claim.speaker is None


def test_a_study_speaks_for_its_named_author() -> None:
    [claim] = claims_of(
        "Turkey would contribute almost 6bn euros to the budget by 2014, according "
        "to a recent impact study by the State Planning Organisation."
    )
    assert claim.speaker is not None
    assert claim.speaker.name.endswith("State Planning Organisation")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('"We chose the 7E7," said a Japan Airlines spokesman.', "organisation"),
        (
            "An Investment Ministry official has told reporters that the bank "
            "will be sold in 2005.",
            "government",
        ),
        ("Analysts say the banks have suited the government's policies.", "unknown"),
    ],
)
def test_an_unnamed_speaker_takes_the_type_of_the_body_it_speaks_for(
    text: str, kind: str
) -> None:
    [claim] = claims_of(text)
    assert claim.speaker is not None
    assert claim.speaker.type == kind


def test_a_quotation_its_speaker_opens_keeps_that_speaker() -> None:
    claims = claims_of(
        'A Department for Education source said: "Every pupil in school counts.',
        '"Schools are seizing the tools we have given them to cut truancy."',
        "The figures were published on Tuesday.",
    )
    first, second = claim_at(claims, 0), claim_at(claims, 1)
    assert first.speaker is not None
    assert first.speaker.name.endswith("source")
    assert second.speaker == first.speaker
    assert claim_at(claims, 2).speaker is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "Safety representatives were often ignored, claimed the union "
            "organisation.",
            "the union organisation",
        ),
        (
            "Mike Hobday, from the league, said video evidence was to be passed "
            "to police.",
            "Mike Hobday",
        ),
        ('"This is a pilot project," underlined Mr Saldarriaga.', "Mr Saldarriaga"),
    ],
)
def test_speakers_the_parser_does_not_make_subjects(text: str, name: str) -> None:
    [claim] = claims_of(text)
    assert claim.speaker is not None
    assert claim.speaker.name == name


MONDAY_14_FEB_2005 = datetime(2005, 2, 14, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # the future resolves forward from publication
        ("On Thursday he is due to announce the Budget.", "2005-02-17"),
        ("The union will hold a ballot in March.", "2005-03"),
        ("Ministers will meet again next week.", "2005-W08"),
        ("The Budget will be delivered on 16 March, the Treasury said.", "2005-03-16"),
        # the past backward, as before
        (
            "The SBU announced on Thursday that it had captured two soldiers.",
            "2005-02-10",
        ),
        ("Sales fell in March.", "2004-03"),
        # no tense: the nearest such day
        ("Up to 1.4m workers could take part in a 23 March walkout.", "2005-03-23"),
    ],
)
def test_dates_follow_the_tense_of_their_clause(text: str, value: str) -> None:
    [claim] = claims_of(text, published=MONDAY_14_FEB_2005)
    assert value in [d.value for d in claim.dates], claim.dates


@pytest.mark.parametrize(
    "text",
    [
        "Security has been tightened since the 11 September attacks in 2001.",
        "Mr Balls told BBC Radio 4's Today programme that rates would not rise.",
    ],
)
def test_named_events_and_programmes_are_not_dates(text: str) -> None:
    [claim] = claims_of(text, published=MONDAY_14_FEB_2005)
    assert all("September" not in d.text and d.text != "Today" for d in claim.dates)


@pytest.mark.parametrize(
    ("text", "name", "via"),
    [
        (
            "The company has been destroyed, the Interfax news agency quoted "
            "Mr Khodorkovsky as saying.",
            "Mr Khodorkovsky",
            "the Interfax news agency",
        ),
        (
            "An Investment Ministry official has told the Reuters news agency that "
            "the bank will be sold in 2005.",
            "An Investment Ministry official",
            "the Reuters news agency",
        ),
        ("Ms Kelly told the BBC progress had been made.", "Ms Kelly", "the BBC"),
        ("He told reporters that 300 soldiers had died.", "He", None),
    ],
)
def test_a_relayed_speaker_keeps_the_channel_as_via(
    text: str, name: str, via: str | None
) -> None:
    [claim] = claims_of(text)
    assert claim.speaker is not None
    assert (claim.speaker.name, claim.speaker.via) == (name, via)


def test_a_later_he_said_does_not_inherit_the_channel() -> None:
    claims = claims_of(
        "Ms Kelly told the BBC that 300 schools had improved.",
        "She said 40 more would follow in 2006.",
    )
    first, second = claim_at(claims, 0), claim_at(claims, 1)
    assert first.speaker is not None
    assert second.speaker is not None
    assert first.speaker.via == "the BBC"
    assert (second.speaker.name, second.speaker.via) == ("Ms Kelly", None)


def test_checkworthy_is_the_score_at_the_cross_validated_threshold() -> None:
    claims = claims_of(
        "The ministry said 300 soldiers were killed in the attack on Tuesday.",
        "The team played well on the day.",
    )
    assert claims
    for claim in claims:
        assert claim.checkworthy == (claim.checkworthiness >= THRESHOLD)
    assert claim_at(claims, 0).checkworthy


def test_the_company_resolves_to_the_body_named_before() -> None:
    claims = claims_of(
        "Cadbury Schweppes said profits rose 3% to £933m last year.",
        "The company said sales in Europe fell by 2%.",
    )
    first, second = claim_at(claims, 0), claim_at(claims, 1)
    assert speaker_of(first) == ("Cadbury Schweppes", "organisation")
    assert speaker_of(second) == speaker_of(first)


@pytest.mark.parametrize(
    "text",
    [
        "But its film division saw profits slump 27% to $284m.",
        "The job gains mean that 300 more people are in work.",
        "The rise shows that demand for 4x4s is strong.",
    ],
)
def test_action_and_evidence_verbs_are_not_speech(text: str) -> None:
    [claim] = claims_of(text)
    assert claim.speaker is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "Its leader, Roger Knapman, has said the party will stand in 2005.",
            "Roger Knapman",
        ),
        ("Paris-based Euronext said it would bid £1.6bn.", "Euronext"),
    ],
)
def test_a_speakers_name_not_its_description(text: str, name: str) -> None:
    [claim] = claims_of(text)
    assert claim.speaker is not None
    assert claim.speaker.name == name


def test_the_holder_of_an_office_is_a_person() -> None:
    [claim] = claims_of("The Bishop of Durham said 300 churches would close by 2010.")
    assert claim.speaker is not None
    assert claim.speaker.type == "person"


def test_a_lone_name_never_given_in_full_is_not_taken_for_a_person() -> None:
    claims = claims_of(
        "Yukos said its main unit had been sold for $9.4bn in December.",
        "Mikhail Khodorkovsky founded the firm in 1993.",
        "Khodorkovsky said the sale was illegal and cost 2,000 jobs.",
    )
    assert speaker_of(claim_at(claims, 0)) == ("Yukos", "organisation")
    assert speaker_of(claim_at(claims, 2)) == ("Khodorkovsky", "person")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("between 2005 and 2007", "2005/2007"),
        ("from 2005 to 2007", "2005/2007"),
        ("the 1950-53 war", "1950/1953"),
    ],
)
def test_spans_of_years_are_intervals(text: str, value: str) -> None:
    assert resolve_date(text, anchor=None) == value


@pytest.mark.parametrize(
    ("text", "last"),
    [
        (
            "BBC correspondent Simon Hall at Postbridge said 2,000 people had "
            "turned out.",
            "Hall",
        ),
        (
            "Some, such as Elizabeth Winkfield, said 300 would rather go to jail.",
            "Winkfield",
        ),
    ],
)
def test_where_a_speaker_was_and_whom_some_stands_for(text: str, last: str) -> None:
    [claim] = claims_of(text)
    assert claim.speaker is not None
    assert claim.speaker.name.split()[-1] == last
