"""split_sentences: where sentences end, and the offsets invariant."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipeline.ingest.normalise import normalise_text
from pipeline.ingest.sentences import LIST_MARKER, SentenceSpan, split_sentences


def sentences(text: str, *, cap: int = 2000, most: int = 2000) -> list[str]:
    spans = split_sentences(text, max_sentences=most, max_sentence_chars=cap)
    return [text[s.start : s.end] for s in spans]


def check_invariants(text: str, spans: list[SentenceSpan]) -> None:
    """Spans are ordered, trimmed, within one line, and cover every non-space."""
    covered = [False] * len(text)
    previous_end = 0
    for span in spans:
        piece = text[span.start : span.end]
        assert previous_end <= span.start < span.end
        assert piece == piece.strip()
        assert "\n" not in piece
        assert span.line == text.count("\n", 0, span.start)
        covered[span.start : span.end] = [True] * (span.end - span.start)
        previous_end = span.end
    line_start = 0
    for line in text.split("\n"):
        marker = LIST_MARKER.match(line)
        skip = marker.end() if marker else 0
        for offset, char in enumerate(line):
            if offset >= skip and not char.isspace():
                assert covered[line_start + offset], (line, offset)
        line_start += len(line) + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It rained. Then it stopped.", ["It rained.", "Then it stopped."]),
        ("Is it? Yes! Fine.", ["Is it?", "Yes!", "Fine."]),
        # A line break always ends a sentence, punctuation or not.
        ("No stop here\nNext line", ["No stop here", "Next line"]),
        # Quotes: a closing quote after the stop goes with the sentence.
        (
            'He said, "We will win." The crowd cheered.',
            ['He said, "We will win."', "The crowd cheered."],
        ),
        ('"Why?" he asked.', ['"Why?" he asked.']),
        (
            '"This was not easy," Zelenskyy said. "It took weeks."',
            ['"This was not easy," Zelenskyy said.', '"It took weeks."'],
        ),
        ("It ended. 'Twas over.", ["It ended.", "'Twas over."]),
        ("(See the map.) Then go.", ["(See the map.)", "Then go."]),
        ("It fell. 300 people left.", ["It fell.", "300 people left."]),
        ("Lowercase. next word stays.", ["Lowercase. next word stays."]),
        # Abbreviations and initials do not end sentences.
        (
            "Mr. Smith met Dr. Jones and Mrs. Lee.",
            ["Mr. Smith met Dr. Jones and Mrs. Lee."],
        ),
        (
            "The U.S. Army and the U.N. Council met.",
            ["The U.S. Army and the U.N. Council met."],
        ),
        ("St. Petersburg and Gen. Syrskyi.", ["St. Petersburg and Gen. Syrskyi."]),
        ("Sen. Warren and Rep. Smith spoke.", ["Sen. Warren and Rep. Smith spoke."]),
        ("On Jan. 9 and Feb. 10 it snowed.", ["On Jan. 9 and Feb. 10 it snowed."]),
        ("He was No. 1 in the list.", ["He was No. 1 in the list."]),
        (
            "Kyiv vs. Moscow, e.g. Kursk, i.e. Russia.",
            ["Kyiv vs. Moscow, e.g. Kursk, i.e. Russia."],
        ),
        ("Tanks, guns, etc. Were sent.", ["Tanks, guns, etc. Were sent."]),
        (
            "John F. Kennedy spoke. Then J.R.R. Tolkien read.",
            [
                "John F. Kennedy spoke.",
                "Then J.R.R. Tolkien read.",
            ],
        ),
        # Decimals and ellipses.
        (
            "It rose 3.5 percent. Prices fell 0.2 points.",
            [
                "It rose 3.5 percent.",
                "Prices fell 0.2 points.",
            ],
        ),
        ("He paused... and left.", ["He paused... and left."]),
        ("He paused\u2026 and left.", ["He paused\u2026 and left."]),
        ("He paused... Then he left.", ["He paused...", "Then he left."]),
        (
            "injured ... journalists access. Next.",
            ["injured ... journalists access.", "Next."],
        ),
        # Other scripts: caseless letters and CJK full stops.
        ("\u00c7a va. \u00c9l dijo.", ["\u00c7a va.", "\u00c9l dijo."]),
        (
            "\u4f60\u597d\u3002\u518d\u89c1\u3002",
            ["\u4f60\u597d\u3002", "\u518d\u89c1\u3002"],
        ),
    ],
)
def test_boundaries(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- Zelenskyy said so. Kyiv agreed.", ["Zelenskyy said so.", "Kyiv agreed."]),
        ("\u2022 Bullet point", ["Bullet point"]),
        ("* Star item.", ["Star item."]),
        ("1. Numbered item.", ["Numbered item."]),
        ("12) Another item", ["Another item"]),
        ("-5 degrees overnight.", ["-5 degrees overnight."]),
        ("2024. The year began.", ["2024.", "The year began."]),
    ],
)
def test_list_markers_are_left_out(line: str, expected: list[str]) -> None:
    assert sentences(line) == expected


def test_a_long_run_is_cut_at_the_last_space_before_the_cap() -> None:
    text = " ".join(f"word{n:02d}" for n in range(30))  # 6 chars a word, no stop
    pieces = sentences(text, cap=44)  # six words are 41 characters, seven 48
    assert all(len(p) <= 44 for p in pieces)
    assert pieces[0] == "word00 word01 word02 word03 word04 word05"
    assert " ".join(pieces) == text


def test_a_word_longer_than_the_cap_is_cut_inside() -> None:
    text = "x" * 25 + " the end."
    assert sentences(text, cap=10) == ["x" * 10, "x" * 10, "xxxxx the", "end."]


def test_max_sentences_drops_the_rest() -> None:
    text = "One. Two. Three.\nFour."
    assert sentences(text, most=2) == ["One.", "Two."]


def test_spans_carry_their_line() -> None:
    text = "First line. Still first.\nSecond line."
    lines = [
        s.line for s in split_sentences(text, max_sentences=9, max_sentence_chars=99)
    ]
    assert lines == [0, 0, 1]


def test_invariants_hold_on_the_seeds(seeds_dir: Path) -> None:
    for path in sorted(seeds_dir.glob("*.txt")):
        text = normalise_text(path.read_text(encoding="utf-8"))
        spans = split_sentences(text, max_sentences=10_000, max_sentence_chars=80)
        check_invariants(text, spans)


def test_invariants_hold_on_random_text() -> None:
    alphabet = [
        *"abcXYZ019 .!?\"'()-\u2026\u3002\n",
        "Mr.",
        "U.S.",
        "- ",
        "1. ",
        " ... ",
    ]
    rng = random.Random(20250111)
    for _ in range(500):
        text = normalise_text("".join(rng.choices(alphabet, k=rng.randint(0, 120))))
        cap = rng.randint(1, 30)
        spans = split_sentences(text, max_sentences=10_000, max_sentence_chars=cap)
        check_invariants(text, spans)
        assert all(s.end - s.start <= cap for s in spans)
