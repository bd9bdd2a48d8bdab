"""Numbers as written (digits with separators, or spelled out) to their values."""

from __future__ import annotations

import re

from pipeline.claims.lexicon import word_list

_DIGITS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")

_UNITS = {
    word: value
    for value, word in enumerate(
        word_list(
            """
            zero one two three four five six seven eight nine ten eleven twelve
            thirteen fourteen fifteen sixteen seventeen eighteen nineteen
            """
        )
    )
}
_TENS = {
    word: 10 * (index + 2)
    for index, word in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    )
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_SCALES |= {"billion": 1_000_000_000, "trillion": 1_000_000_000_000}
_SCALES |= {"m": 1_000_000, "bn": 1_000_000_000}
#: Abbreviated multipliers as newsrooms write them ("$1.9bn", "£933m", "1.4m
#: workers", "50k"). Only "bn" and "tn" are unambiguous on their own: "m" and "k"
#: after a separate number may be metres or a grade, so the figure's context decides.
ABBREVIATED_SCALES = {"k": 1_000, "m": 1_000_000, "bn": 1_000_000_000}
ABBREVIATED_SCALES |= {"tn": 1_000_000_000_000}
UNAMBIGUOUS_SCALES = frozenset({"bn", "tn"})
#: A number and its abbreviated multiplier written as one token: "1.9bn", "600m".
_ABBREVIATED = re.compile(
    r"^(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(bn|tn|m|k)$", re.IGNORECASE
)

#: Plural amounts that say "many": a figure with a low bound only, the least the
#: word can mean (docs/labelling.md: "thousands" is at least 1,000).
VAGUE_AMOUNTS = {
    "dozens": 24.0,
    "scores": 40.0,
    "hundreds": 100.0,
    "thousands": 1e3,
    "millions": 1e6,
    "billions": 1e9,
}


def is_number_word(word: str) -> bool:
    """A token that is, or continues, a number: "2,700", "two", "million"."""
    lowered = word.lower()
    return bool(
        _DIGITS.match(word)
        or _ABBREVIATED.match(word)
        or lowered in _UNITS
        or lowered in _TENS
        or (lowered in _SCALES and lowered not in {"m", "bn"})
    )


def is_abbreviated_scale(word: str) -> bool:
    """ "m", "bn", "k", "tn" (or "m." ending a sentence): a multiplier that only a
    figure's context confirms."""
    return word.lower().rstrip(".") in ABBREVIATED_SCALES


def is_scale_word(word: str) -> bool:
    """A multiplier that can follow a number: "million", "bn"."""
    return word.lower() in _SCALES


def parse_number(words: list[str]) -> float | None:
    """The value of a number's words, or None: ["1.5", "million"] -> 1500000.0."""
    total = 0.0
    current = 0.0
    seen = False
    for word in words:
        lowered = word.lower()
        abbreviated = _ABBREVIATED.match(word)
        if _DIGITS.match(word):
            current += float(word.replace(",", ""))
        elif abbreviated:
            digits, decimals, scale = abbreviated.groups()
            current += float(digits.replace(",", "") + (decimals or ""))
            current, total = _scaled(current, total, ABBREVIATED_SCALES[scale.lower()])
        elif lowered in _UNITS or lowered in _TENS:
            current += _UNITS.get(lowered, _TENS.get(lowered, 0))
        elif lowered in _SCALES or is_abbreviated_scale(lowered):
            scale = _SCALES.get(lowered) or ABBREVIATED_SCALES[lowered.rstrip(".")]
            current, total = _scaled(current, total, scale)
        elif lowered not in {"-", "and"}:
            return None
        seen = True
    return total + current if seen else None


def _scaled(current: float, total: float, scale: int) -> tuple[float, float]:
    # "a hundred" and a bare "million" mean one of them.
    current = current or 1.0
    if scale == 100:
        return current * 100, total
    return 0.0, total + current * scale
