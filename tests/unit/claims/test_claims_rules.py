"""The claim filter, hedges and check-worthiness on hand-written sentences."""

from __future__ import annotations

import pytest

from pipeline.claims import load_model
from pipeline.claims.assertion import is_claim
from pipeline.claims.attribution import attributions, find_attribution
from pipeline.claims.candidates import could_be_claim
from pipeline.claims.checkworthiness import clause_terms, score
from pipeline.claims.hedging import find_hedges


def parse_claim(text: str) -> bool:
    span = load_model()(text)[:]
    attributed = find_attribution(span) is not None
    return could_be_claim(text) and is_claim(span, attributed=attributed)


@pytest.mark.parametrize(
    "text",
    [
        "Ukraine has captured two injured North Korean soldiers.",
        "The SBU said the soldiers did not speak Ukrainian.",
        "Neither Moscow nor Pyongyang has acknowledged the deployment.",
        "North Korean troops are urged by their commanders to kill themselves.",
        "The partnership, according to officials, has been essential to Ukraine.",
    ],
)
def test_factual_sentences_are_claims(text: str) -> None:
    assert parse_claim(text)


@pytest.mark.parametrize(
    "text",
    [
        # someone's forecast or position: that they said it can be checked
        "Ukrainian President Volodymyr Zelenskyy predicted that his nation's forces "
        'would "undoubtedly" capture more North Korean troops.',
        '"Undoubtedly, there will be more North Korean POWs," Zelenskyy said.',
        # scheduled, planned or possible events with a figure or a date
        "Airbus hopes to have 50 orders in place for the A350 by mid-2005.",
        "Some 2,000 jobs at the plant may be cut.",
        "The EU will decide on 17 December whether to begin entry talks.",
    ],
)
def test_forecasts_with_a_source_a_figure_or_a_date_are_claims(text: str) -> None:
    assert parse_claim(text)


@pytest.mark.parametrize(
    "text",
    [
        # speculation in the outlet's voice, with nothing to check, and opinions
        "This unprecedented offer from Zelenskyy could test international diplomacy.",
        "There could be more surprises in the weeks ahead.",
        "We hope to see a peaceful end to this.",
        "It is clear that the talks have failed.",
        "I think the governor is wrong about this.",
        "If he can organise an exchange, we are ready to transfer such soldiers.",
        # questions, headings, imperatives, fragments
        "What media outlet isn't taking sides in this election?",
        "Rising Casualties Among North Korean Troops",
        "Check back for updates.",
        "where they are now communicating with the Security Service of Ukraine.",
        "Zelenskyy also shared images of two injured ... journalists access.",
        "Here's what we know.",
    ],
)
def test_non_claims(text: str) -> None:
    assert not parse_claim(text)


@pytest.mark.parametrize(
    ("text", "hedge"),
    [
        ("The NIS has reportedly confirmed their capture.", "reportedly"),
        ("The agency estimates that 300 soldiers have been killed.", "estimates"),
        ("Some 2,000 jobs may be cut.", "may"),
        ("Travers is said to have cried when she saw the film.", "is said"),
        ("It is understood that the bank will be sold.", "is understood"),
        ("He declined to comment, amid rumours of a bid.", "amid rumours"),
        ("Shares rose, amid speculation of a merger.", "amid speculation"),
        ('The SBU said, citing "preliminary information."', "preliminary"),
        ("The minister allegedly took bribes from the contractor.", "allegedly"),
        ("These soldiers appear to be highly indoctrinated.", "appear"),
        ("Ukraine claims to have captured two soldiers.", "claims"),
        ("Ukraine accuses Pyongyang of sending troops.", "accuses"),
        ("Unconfirmed reports put the toll at 40.", "unconfirmed"),
        ("A soldier believed to be the first captive died.", "believed"),
    ],
)
def test_hedges(text: str, hedge: str) -> None:
    assert hedge in find_hedges(load_model()(text)[:])


@pytest.mark.parametrize(
    "text",
    [
        "Ukraine captured two soldiers.",
        "The firm rejected the counter claims of its rival.",
        "Estimates for December led the group to its conclusion.",
        "The first plastic cards appeared in the UK in June 1966.",
    ],
)
def test_plain_statements_and_nouns_have_no_hedge(text: str) -> None:
    assert find_hedges(load_model()(text)[:]) == ()


def test_checkworthiness_is_a_graded_score() -> None:
    nlp = load_model()
    factual = score(
        nlp("Unemployment rose 4 percent in 2019, costing 2 million jobs.")[:]
    )
    chatter = score(nlp("Do you think I like it?")[:])
    assert 0.0 <= chatter < factual <= 1.0
    assert factual > 0.5 > chatter


def test_clause_terms_are_words_and_pairs_with_digits_folded() -> None:
    terms = clause_terms(load_model()("Taxes rose 3.2 percent.")[:])
    assert {"taxes", "rose", "#", "percent", "# percent", "rose #"} <= terms
    assert "." not in terms


def test_attributions_lists_embedded_ones_after_the_outermost() -> None:
    text = "The minister said the offer came after the agency confirmed the capture."
    clause = load_model()(text)[:]
    found = attributions(clause)
    assert [a.mention.text for a in found] == ["The minister", "the agency"]
    assert find_attribution(clause) == found[0]


@pytest.mark.parametrize(
    ("text", "speaker", "cue"),
    [
        # a transcript's label, a headline's source, an inverted "Said X:"
        ("WALLACE: Let us start with the news on the debate.", "WALLACE", ":"),
        ("Poll: Clinton and Trump are in a dead heat.", "Poll", ":"),
        ('Said Ellis: "I do not get the sense she is interested."', "Ellis", ":"),
        # a quotation signed off after a dash
        ("\u2015 Esther Tapia.", "Esther Tapia", "\u2015"),
        # the speaker after the verb, when the parser gave the verb two subjects
        (
            '"The campaign is in panic. Full panic mode," said Leslie Wimes, a '
            "Democratic organiser.",
            "Leslie Wimes",
            "said",
        ),
        # a verb outside the lexicon whose object is a "that" clause
        (
            "The senator complained that foreign donors funded the foundation.",
            "The senator",
            "complained",
        ),
    ],
)
def test_attribution_without_a_lexicon_verb_before_the_content(
    text: str, speaker: str, cue: str
) -> None:
    found = find_attribution(list(load_model()(text).sents)[-1])
    assert found is not None
    assert (found.mention.text, found.cue) == (speaker, cue)


@pytest.mark.parametrize(
    "text",
    ["At 9:30 the market opened higher.", "The vote is set for Tuesday: 10 a.m."],
)
def test_colons_in_plain_sentences_name_no_speaker(text: str) -> None:
    assert find_attribution(load_model()(text)[:]) is None
