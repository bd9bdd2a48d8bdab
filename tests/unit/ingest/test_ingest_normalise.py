"""normalise_text: one canonical spelling, paragraphs kept."""

from __future__ import annotations

import pytest

from pipeline.ingest.normalise import normalise_line, normalise_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Curly quotes and apostrophes become straight; other marks stay.
        (
            "\u201cYes,\u201d she said. It\u2019s \u2018fine\u2019.",
            "\"Yes,\" she said. It's 'fine'.",
        ),
        ("\u201eJa\u201c, sagte er.", '"Ja", sagte er.'),
        ("\u00abOui\u00bb, dit-il.", "\u00abOui\u00bb, dit-il."),
        # Dashes are kept as they are.
        (
            "1950\u201353 war \u2014 a long one - yes",
            "1950\u201353 war \u2014 a long one - yes",
        ),
        # Unicode spaces become plain spaces, and runs collapse.
        ("a\u00a0b\u2009c\u202fd\u3000e\tf  \u2003 g", "a b c d e f g"),
        # Control characters go; invisible ones too; ZWJ stays (it spells emoji).
        ("be\x07ll\x1b[0m\x7f", "bell[0m"),
        ("zero\u200bwidth soft\u00adhyphen\ufeff", "zerowidth softhyphen"),
        ("\U0001f469\u200d\U0001f52c", "\U0001f469\u200d\U0001f52c"),
        # NFC composes accents ...
        ("Cafe\u0301", "Caf\u00e9"),
        # ... but compatibility forms that carry meaning are not folded (no NFKC).
        (
            "10\u2079 km\u00b2, \u00bd cup, \ufb01le",
            "10\u2079 km\u00b2, \u00bd cup, \ufb01le",
        ),
        # Lone surrogates cannot be encoded; they go.
        ("bad\ud800 half", "bad half"),
    ],
)
def test_characters(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("one\r\ntwo\rthree", "one\ntwo\nthree"),
        ("one\u2028two\u2029three\x85four", "one\ntwo\nthree\nfour"),
        ("one\n\n\n  \n\t\ntwo", "one\ntwo"),
        ("  padded line  \n   next  ", "padded line\nnext"),
        ("\n\n  lead and trail \n\n", "lead and trail"),
        ("", ""),
        (" \u00a0\n\u200b ", ""),
    ],
)
def test_lines(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_normalising_twice_changes_nothing() -> None:
    raw = " \u201cA\u201d\u00a0\u00a0b\r\n\r\n\u2003c\u0301\x07 "
    once = normalise_text(raw)
    assert normalise_text(once) == once


def test_a_line_field_has_no_breaks() -> None:
    assert normalise_line(" Kyiv\u2019s\n  answer \r\n") == "Kyiv's answer"
