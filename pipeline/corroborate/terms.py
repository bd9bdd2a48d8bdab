"""A claim's words as comparable terms: stemmed, figures masked, attribution dropped.

Two outlets telling one fact share its content words, not its attribution ("said",
"according to", who said it) nor its figures (which may differ, and are compared
separately). So the terms leave those out, mask numbers to ``#``, and fold word
forms with a light suffix stemmer (captured, capture, capturing -> ``captur``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from pipeline.calendar import MONTHS
from schemas import Claim, Entity

#: A word, a number (with separators) or an apostrophe form; nothing else counts.
_TOKEN = re.compile(r"[0-9][0-9,.]*[0-9]|[0-9]|[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
#: Masked figures all look alike, so that "300 killed" and "200 killed" match.
NUMBER = "#"


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a block of text."""
    return frozenset(text.split())


#: Function words, and words that say who said it rather than what happened.
STOPWORDS = word_set(
    """
    a an the and or but nor of in on at to for from by with without into onto over
    under about after before during since until than then as is are was were be been
    being am has have had having do does did doing will would shall should can could
    may might must that this these those there here it its it's they them their
    theirs he him his she her hers we us our you your i me my who whom whose which
    what when where why how not no so such also too very just only even still yet
    another other others some any all both each more most less least many much few
    if while whether because although though upon via per against between among
    through across around alongside amid within out up down off again further once
    same own s t approximately nearly almost roughly some about over least
    said say says saying tell tells told according stated states state statement
    announced announce announces added adds adding report reported reports reporting
    reportedly wrote write writes quoted quoting cited citing noted note claims
    claimed claim spokesperson spokesman spokeswoman news
    monday tuesday wednesday thursday friday saturday sunday today yesterday
    one two three four five six seven eight nine ten eleven twelve dozen dozens
    hundred hundreds thousand thousands million millions billion
    """
)

#: Word forms news outlets use for one another; folded after stemming.
SYNONYMS = {
    "injur": "wound",
    "troop": "soldier",
    "seiz": "captur",
    "kill": "kill",
    "dead": "kill",
    "death": "kill",
    "slain": "kill",
    "prisoner": "captiv",
    "pow": "captiv",
}

_SUFFIXES = ("ings", "ing", "ied", "ies", "ed", "es", "s")
_ENDINGS = ("ian", "ia", "an", "e", "y", "a")


def tokens(text: str) -> list[str]:
    """The lower-cased words and numbers of a text, in order."""
    return [_strip_possessive(t) for t in _TOKEN.findall(text.lower())]


def stem(word: str) -> str:
    """A light stem: plural, tense and demonym endings off, then known synonyms."""
    if word[0].isdigit():
        return NUMBER
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            word = word[: -len(ending)]
            break
    return SYNONYMS.get(word, word)


def content_terms(words: Iterable[str]) -> list[str]:
    """Stems of the informative words, numbers masked, in order."""
    return [stem(w) for w in words if w not in STOPWORDS]


def claim_terms(claim: Claim) -> frozenset[str]:
    """What the claim says, without who said it, when, or its exact figures."""
    dropped = set(_speaker_words(claim))
    for date in claim.dates:
        dropped.update(tokens(date.text))
    words = [w for w in tokens(claim.text) if w not in dropped]
    return frozenset(t for t in content_terms(words) if t != NUMBER)


def entity_key(entity: Entity | str) -> str:
    """An entity name in a form shared by its variants ("North Korean" and
    "North Korea", "the SBU" and "SBU")."""
    return _name_key(entity if isinstance(entity, str) else entity.text)


@lru_cache(maxsize=65_536)
def _name_key(text: str) -> str:
    # Names recur in every comparison of a story's figures: keyed once each.
    words = [stem(w) for w in tokens(text) if w not in STOPWORDS]
    return " ".join(words)


def claim_entities(
    claim: Claim, labels: frozenset[str] | None = None
) -> frozenset[str]:
    """The claim's entities as keys (of these labels only, when given), the
    speaker's own name left out."""
    speaker = set(entity_key(claim.speaker.name).split()) if claim.speaker else set()
    keys = {
        entity_key(e) for e in claim.entities if labels is None or e.label in labels
    }
    return frozenset(k for k in keys if k and not set(k.split()) <= speaker)


_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")


def claim_periods(claim: Claim) -> frozenset[str]:
    """The months and years the claim is about: "2005-01", "2005", or "-01" for a
    month whose year is not known. Weekdays are left out: outlets date one event by
    the day they report it."""
    periods = set()
    for date in claim.dates:
        value = date.value or ""
        if _YEAR.match(value[:4]):
            periods.add(value[:7] if value[4:5] == "-" else value[:4])
            continue
        words = tokens(date.text)
        year = next((w for w in words if _YEAR.match(w)), "")
        months = [MONTHS[w] for w in words if w in MONTHS and len(w) > 3]
        periods.update(f"{year}-{m:02d}" for m in months)
        if year and not months:
            periods.add(year)
    return frozenset(periods)


def periods_overlap(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether some period of each can be the same: the parts both name agree."""
    return any(_compatible(x, y) for x in a for y in b)


def _compatible(a: str, b: str) -> bool:
    year_a, _, month_a = a.partition("-")
    year_b, _, month_b = b.partition("-")
    years = not year_a or not year_b or year_a == year_b
    return years and (not month_a or not month_b or month_a == month_b)


def _speaker_words(claim: Claim) -> list[str]:
    return tokens(claim.speaker.name) if claim.speaker else []


def _strip_possessive(word: str) -> str:
    for mark in ("'s", "\u2019s"):
        if word.endswith(mark):
            return word[: -len(mark)]
    return word.replace("\u2019", "'")
