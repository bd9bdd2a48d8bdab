"""Rule-based sentence splitting with offsets into the normalised text.

Fast on purpose (regular expressions, no model): an article is split in well under a
millisecond. The rules are tuned for news English and degrade gracefully elsewhere:
a missed boundary merges two sentences, which keeps a claim whole, whereas a wrong
boundary cuts one in two, so the rules err on the side of not splitting.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import NamedTuple


class SentenceSpan(NamedTuple):
    """Where a sentence is: ``text[start:end]``, on line (paragraph) ``line``."""

    start: int
    end: int
    line: int


#: A bullet or a number opening a line; it belongs to the list, not to the sentence.
LIST_MARKER = re.compile(r"(?:[-*\u2022\u00b7\u25aa\u25e6\u2023\u2013]|\d{1,3}[.)]) +")

#: Closing quotes and brackets that may follow a sentence's final punctuation.
CLOSERS = "\"')]»」』"

_OPENERS = "\"'([«¿¡"
# Latin punctuation ends a sentence only when the next word looks like a sentence start
# (group 1 is its first character); CJK full stops end one outright.
_BOUNDARY = re.compile(
    r"[.!?\u2026]+[\"')\]\u00bb]*(?= +(\S))"
    r"|[\u3002\uff01\uff1f]+[\u300d\u300f\"')\]]*"
)
# Letters with dots between them: U.S., e.g., i.e., a.m., Ph.D., J.R.R. (the final dot
# is the one being judged, so it is not part of the token).
_DOTTED = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")
_TITLES = (
    "Mr Mrs Ms Mx Dr Prof Sr Jr St Mt Ft Gen Lt Col Maj Capt Cmdr Sgt Adm Gov Sen Rep"
    " Rev Hon Pres Supt Atty"
)
_MONTHS = "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
_REFERENCES = "No Nos no nos Vol vol Fig fig pp p vs v cf etc approx"
# Abbreviations before a capitalised name (titles), a day (months) or a number or
# anything (references, Latin). Inc., Corp., Ltd. and Co. are left out on purpose:
# they end sentences at least as often as they sit inside one.
_ABBREVIATIONS = frozenset(f"{_TITLES} {_MONTHS} {_REFERENCES}".split())


def split_sentences(
    text: str, *, max_sentences: int, max_sentence_chars: int
) -> list[SentenceSpan]:
    """The sentences of a normalised text (see ``normalise_text``), in order.

    A line break always ends a sentence. Every character of the text other than
    spaces and leading list markers lies in exactly one sentence, unless
    ``max_sentences`` drops the trailing ones; a run longer than
    ``max_sentence_chars`` is cut at its last space before the cap.
    """
    spans = _all_spans(text, max_sentence_chars)
    return list(islice(spans, max_sentences))


def _all_spans(text: str, cap: int) -> Iterator[SentenceSpan]:
    offset = 0
    for number, line in enumerate(text.split("\n")):
        for start, end in _line_spans(line, cap):
            yield SentenceSpan(offset + start, offset + end, number)
        offset += len(line) + 1


def _line_spans(line: str, cap: int) -> Iterator[tuple[int, int]]:
    marker = LIST_MARKER.match(line)
    start = _skip_spaces(line, marker.end() if marker else 0)
    for boundary in _BOUNDARY.finditer(line, start):
        if _ends_sentence(line, boundary):
            yield from _cut(line, start, boundary.end(), cap)
            start = _skip_spaces(line, boundary.end())
    end = len(line.rstrip(" "))
    if start < end:
        yield from _cut(line, start, end, cap)


def _ends_sentence(line: str, boundary: re.Match[str]) -> bool:
    following = boundary.group(1)
    if following is None:  # a CJK full stop
        return True
    starts_sentence = following in _OPENERS or following.isdigit()
    # "Not lowercase" rather than "uppercase" so caseless scripts (Arabic, Hindi) split.
    starts_sentence |= following.isalpha() and not following.islower()
    if not starts_sentence:
        return False
    # Only a bare single dot can belong to an abbreviation; "?", "..." or '."' cannot.
    return boundary.group() != "." or not _is_abbreviation(line, boundary.start())


def _is_abbreviation(line: str, dot: int) -> bool:
    token = line[line.rfind(" ", 0, dot) + 1 : dot].lstrip(_OPENERS)
    if token in _ABBREVIATIONS or _DOTTED.fullmatch(token):
        return True
    return len(token) == 1 and token.isupper()  # an initial: "John F. Kennedy"


def _cut(line: str, start: int, end: int, cap: int) -> Iterator[tuple[int, int]]:
    while end - start > cap:
        cut = line.rfind(" ", start + 1, start + cap + 1)
        if cut == -1:  # no space at all: cut inside the word rather than drop text
            cut = start + cap
        yield start, cut
        start = _skip_spaces(line, cut)
    yield start, end


def _skip_spaces(line: str, position: int) -> int:
    while position < len(line) and line[position] == " ":
        position += 1
    return position
