"""Boilerplate marks: page furniture and headings, and what must not be marked."""

from __future__ import annotations

import pytest

from pipeline.ingest.boilerplate import (
    COMMENT_MIN_PARAGRAPHS,
    boilerplate_flags,
    comment_block,
    is_furniture,
    is_heading,
)
from pipeline.ingest.sentences import split_sentences


@pytest.mark.parametrize(
    "line",
    [
        "Captured Soldiers Speak Out",
        "North Korea's Alleged Role in Ukraine Conflict",
        "Rising Casualties Among North Korean Troops",
        "Russia Claims Gains Amid Mounting International Scrutiny",
        "What happens next",
        "Putin 'ready' for talks",
        "Advertisement",
    ],
)
def test_short_lines_without_final_punctuation_are_headings(line: str) -> None:
    assert is_heading(line)


@pytest.mark.parametrize(
    "line",
    [
        "Zelenskyy said Ukraine captured 2 wounded North Korean soldiers in Russia's "
        "Kursk region. Here's what we know.",
        "Pyongyang reportedly began sending troops to Russia in October.",
        '"We are ready," he said.',
        "Here is what we know:",
        "- Zelenskyy said the two soldiers were wounded and had been taken to Kyiv",
        "1. The soldiers were captured in Kursk",
        # Over the word limit: a headline stating an attributed claim stays content.
        "National Intelligence Service says aware of battlefield situation through "
        "real-time cooperation with Security Service of Ukraine - Anadolu Ajans\u0131",
        "",
    ],
)
def test_sentences_lists_and_long_lines_are_not_headings(line: str) -> None:
    assert not is_heading(line)


@pytest.mark.parametrize(
    "sentence",
    [
        "Read the full article here",
        "Read more: Ukraine says it captured soldiers",
        "This is a developing story.",
        "This story has been updated.",
        "Check back for updates.",
        "Check back later for more.",
        "Click here to subscribe to our alerts.",
        "Sign up for our newsletter",
        "Subscribe to the Morning Briefing newsletter.",
        "Follow us on Telegram.",
        "Advertisement",
        "ADVERTISEMENT",
        "Share this article",
        "Share on Facebook",
        "\u00a9 2025 Reuters",
        "Copyright 2025 The Associated Press.",
        "All rights reserved.",
        "The Example Times. All rights reserved.",
        "Photo: Reuters/Gleb Garanich",
        "Image credit: Getty Images",
        "(Photo by John Smith/AFP)",
        "Related: Russia claims gains in Donetsk",
    ],
)
def test_furniture(sentence: str) -> None:
    assert is_furniture(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Share prices fell 3% on Monday.",
        "Photographs showed the soldiers in hospital beds.",
        "He said the deal reserved all remaining rights to Kyiv.",
        "Readers wrote in to complain.",
        "The copyright case was dismissed.",
        "Zelenskyy shared images of two injured men.",
        "They followed us on the road to Kursk.",
        "The developing story drew many readers.",
    ],
)
def test_reporting_is_not_furniture(sentence: str) -> None:
    assert not is_furniture(sentence)


def test_flags_mark_whole_heading_lines_and_single_furniture_sentences() -> None:
    text = (
        "Captured Soldiers Speak Out\n"
        "Zelenskyy shared a video. This is a developing story.\n"
        "- A bullet that is a full sentence."
    )
    spans = split_sentences(text, max_sentences=99, max_sentence_chars=999)
    marked = {
        text[s.start : s.end]: flag
        for s, flag in zip(spans, boilerplate_flags(text, spans), strict=True)
    }
    assert marked == {
        "Captured Soldiers Speak Out": True,
        "Zelenskyy shared a video.": False,
        "This is a developing story.": True,
        "A bullet that is a full sentence.": False,
    }


REPORT = [
    "Ministers defended the plans on Monday.",
    "",
    "The Home Office said 300 people had been held since 2001.",
    "",
]
COMMENTS = [
    "I agree with Mr Forsyth. We really can't deal with terrorism this way.",
    "You cannot compare the threats of past years with now.",
    "As somebody who moved here, I can say this used to be a good place.",
    "I absolutely agree. My family has lived here for 40 years.",
    "If they get their way with ID cards then we will have lost.",
    "Surely we the public would be better protected by more police.",
    "I don't usually have much time for his views, but he is right.",
    "Our liberties are being taken away one by one.",
]


def test_a_tail_of_readers_comments_is_one_block() -> None:
    lines = [*REPORT, *"\n".join(COMMENTS).split("\n")]
    assert comment_block(lines) == set(range(len(REPORT), len(lines)))


def test_reporting_with_first_persons_in_quotes_is_not_a_comment_block() -> None:
    quoted = [f'"{line}" the minister said.' for line in COMMENTS]
    assert comment_block([*REPORT, *quoted]) == set()


def test_a_few_personal_paragraphs_after_reporting_make_no_block() -> None:
    reporting = [line for line in REPORT if line] * 2
    lines = [*reporting, *COMMENTS[: COMMENT_MIN_PARAGRAPHS - len(reporting) - 1]]
    assert comment_block(lines) == set()
