"""Lines and sentences that are page furniture, not reporting.

They are marked (``Sentence.boilerplate``), never deleted: the text stays whole, its
hash and offsets stay honest, and later stages simply do not look for claims there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.ingest.sentences import CLOSERS, LIST_MARKER, SentenceSpan

#: A heading has at most this many words.
MAX_HEADING_WORDS = 12

# A line ending with one of these is (the start of) a sentence, not a heading. The
# comma and colon catch truncated snippets and lead-ins to a list.
_TERMINAL = ".!?\u2026:;,\u3002\uff01\uff1f"  # with the ellipsis and CJK stops

_FURNITURE = re.compile(
    r"""
    (?: read\ (?:the\ )?(?:full|more|original|our)\b
      | continue\ reading\b
      | (?:related|see\ also|also\ read|read\ also|read\ more|more\ on\ this)\ ?:
      | this\ is\ a\ (?:developing|breaking)\ (?:story|news)\b
      | this\ (?:story|article)\ (?:is\ developing|(?:has\ been|will\ be)\ updated)\b
      | check\ back\ (?:later\ |soon\ )?for\b
      | (?:click|tap)\ here\b
      | (?:sign\ up|subscribe)\b.*\b(?:newsletters?|alerts)\b
      | follow\ us\b
      | share\ (?:this|on)\b
      | (?:advertisement|advertising|sponsored(?:\ content)?)\W*$
      | (?:©|copyright\b|\(c\)\ ?\d{4})
      | .*\ball\ rights\ reserved\b
      | (?:photo(?:graph)?|image|picture|video)s?(?:\ credit|\ source)?\ ?:
      | (?:photo|image)\ credit\b
      | \((?:photo|image|picture)s?\ (?:by|credit|courtesy)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def boilerplate_flags(text: str, spans: Sequence[SentenceSpan]) -> list[bool]:
    """For each sentence of ``text``, whether it is boilerplate."""
    lines = text.split("\n")
    # Each line is judged once: a megabyte line without punctuation is cut into
    # hundreds of sentences, and judging it once per sentence took seconds.
    headings = {
        line for line in {span.line for span in spans} if is_heading(lines[line])
    }
    marked = headings | comment_block(lines)
    return [
        span.line in marked or is_furniture(text[span.start : span.end])
        for span in spans
    ]


#: Readers' comments printed under an article ("I agree with Mr Forsyth. We really
#: can't ...") are a run of paragraphs at its end nearly all in the first or second
#: person outside quotation marks. Reporting is in the third person, with its first
#: persons inside quotes. On the 2,225 BBC News articles these thresholds mark the
#: tails of 8, each a block of comments or of a columnist's own views.
COMMENT_MIN_PARAGRAPHS = 8
COMMENT_PERSONAL_SHARE = 0.8
# "us" in lower case only: "US" is the country.
_PERSONAL = re.compile(r"\b(?:(?i:i|i'm|i've|i'd|my|me|we|we're|our|you|your)|us)\b")
_QUOTED = re.compile(r'"[^"]*"|\u201c[^\u201d]*\u201d')


def comment_block(lines: Sequence[str]) -> set[int]:
    """The indices of the lines in a block of readers' comments ending the text."""
    paragraphs = [n for n, line in enumerate(lines) if line.strip()]
    personal = [_is_personal(lines[n]) for n in paragraphs]
    longest, count = 0, 0
    for size, is_personal in enumerate(reversed(personal), start=1):
        count += is_personal
        if size >= COMMENT_MIN_PARAGRAPHS and count >= COMMENT_PERSONAL_SHARE * size:
            longest = size
    if not longest:
        return set()
    start = len(paragraphs) - longest
    while not personal[start]:
        start += 1  # the block starts at its first personal paragraph
    return set(range(paragraphs[start], len(lines)))


def _is_personal(line: str) -> bool:
    return _PERSONAL.search(_QUOTED.sub("", line)) is not None


def is_furniture(sentence: str) -> bool:
    """A sentence any site could print under any story: "Read more", "Advertisement"."""
    return _FURNITURE.match(sentence) is not None


def is_heading(line: str) -> bool:
    """A short line that does not end like a sentence: a section heading or a title.

    Lines over MAX_HEADING_WORDS are kept as content even without final punctuation.
    Those are mostly headlines of other stories pasted in by aggregators, such as
    "National Intelligence Service says aware of battlefield situation through
    real-time cooperation with Security Service of Ukraine - <outlet>": they
    state an attributed claim ("X says Y") that may appear nowhere else in the corpus,
    so hiding them from the claims stage would lose more than the outlet suffix costs.
    Bullets are list items, not headings.
    """
    if LIST_MARKER.match(line):
        return False
    # Splitting stops past the cap, so a long line costs no more than a short one.
    word_count = len(line.split(maxsplit=MAX_HEADING_WORDS))
    if word_count == 0 or word_count > MAX_HEADING_WORDS:
        return False
    return line.rstrip(CLOSERS)[-1:] not in _TERMINAL
