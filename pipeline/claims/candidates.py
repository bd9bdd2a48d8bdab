"""Cheap text tests that keep sentences which cannot be claims away from the parser.

A sentence is parsed only if it could assert something: not boilerplate (but for
a headline), not a question, not a heading (no closing punctuation), not a fragment
cut by the extractor (starts lower-case or holds an ellipsis), and neither tiny nor
huge.
"""

from __future__ import annotations

import re

from schemas import Sentence

MIN_WORDS = 4
MAX_WORDS = 150

_CLOSED = re.compile(r"[.!][\"')\]]*$")
_FRAGMENT_START = re.compile(r"^(?:[a-z]|\.\.\.|…|[-\u2013—,;:])")
_ELLIPSIS = re.compile(r"\.\.\.|…")
_META = re.compile(
    r"^(?:here(?:'s| is| are)|read (?:more|the)|click|subscribe|sign up|follow us"
    r"|watch|listen|advertisement|related:|photo:|source:|copyright)\b",
    re.IGNORECASE,
)


def is_candidate(sentence: Sentence) -> bool:
    """Whether a sentence is worth parsing as a possible claim."""
    if sentence.boilerplate:
        return is_headline(sentence)
    return could_be_claim(sentence.text)


def is_headline(sentence: Sentence) -> bool:
    """The article's first line, kept from the text as a heading: a news headline
    states its story's main claim without a full stop ("Yukos loses US bankruptcy
    battle"), and other outlets state it in their first sentence."""
    text = sentence.text.strip()
    heading = not _CLOSED.search(text) and not text.endswith("?")
    return sentence.index == 0 and heading and could_be_claim(f"{text}.")


def could_be_claim(text: str) -> bool:
    """The text-only half of the claim filter."""
    text = text.strip()
    words = len(text.split())
    return (
        MIN_WORDS <= words <= MAX_WORDS
        and bool(_CLOSED.search(text))
        and not _FRAGMENT_START.match(text)
        and not _ELLIPSIS.search(text)
        and not _META.match(text)
    )
