"""What a claim's figures count, and of whom: the keys that make figures comparable.

The claims stage gives each quantity its head noun ("soldiers") but not what
happened to them: "300 soldiers were killed" and "300 soldiers were captured" both
count soldiers. So the claim text around the figure is read again for a fate word
("killed", "wounded", "killed or wounded", "captured", "sent"), either after the
counted noun ("soldiers who were captured", "troops ... have been killed or
wounded") or before the figure ("captured two soldiers", "the capture of two").
Words between the figure and its noun only describe the noun ("two wounded
soldiers" were captured, not wounded by the event), so they name the subject
("North Korean") and never the fate.

A category is ``<fate>:<class>``: ``killed:soldier``, ``captured:villag``, or
``count:<class>`` when no fate is said.

Figures with a unit (money, percentages) are ``measure:<unit>`` (``read_measures``):
what they measure is not read, so they are compared only with figures of the same
unit in claims close to their own (one fact), and only when each claim gives one
figure in that unit, where the pairing cannot be wrong. A sentence that gives one
amount in several currencies ("$9.4bn (£4.8bn)") gives one figure: the first.
Two measures must also not come from two named speakers (one company's profit is
not another's exposure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.corroborate.terms import STOPWORDS, entity_key, stem, word_set
from schemas import Claim, Quantity

_TOKEN = re.compile(
    r"[0-9][0-9,.]*[0-9]|[0-9]|[^\W\d_]+(?:['\u2019][^\W\d_]+)*"
    r"|[,;:()\"\u201c\u201d\u2014\u2013]"
)

#: Fate words, lower-cased, and the fate each one says.
FATES = {
    **dict.fromkeys(
        word_set("killed kill kills dead died die dies death deaths slain fatalities"),
        "killed",
    ),
    **dict.fromkeys(word_set("wounded injured hurt injuries wounding"), "wounded"),
    **dict.fromkeys(word_set("casualties casualty losses"), "killed_or_wounded"),
    **dict.fromkeys(
        word_set("captured capture captures capturing seized detained"), "captured"
    ),
    **dict.fromkeys(
        word_set("deployed deploying deploy deployment sent send sending dispatched"),
        "deployed",
    ),
}
#: A fate and its wider count: killed soldiers are among the killed or wounded.
WIDER = {"killed": "killed_or_wounded", "wounded": "killed_or_wounded"}
#: Nouns that count the same people; folded after stemming.
CLASSES = {
    "troop": "soldier",
    "forc": "soldier",
    "fighter": "soldier",
    "personnel": "soldier",
    "servicem": "soldier",
    "pow": "soldier",
}
#: Where a clause ends: the fate of the counted noun is not looked for past these.
_AFTER_STOPS = word_set(", ; : ( and but while whereas although that")
_BEFORE_STOPS = word_set(", ; : ( that who which and but")
#: A cue after the noun makes it the speaker ("one soldier told ... he was sent").
_CUES = word_set("said says told tell tells stated added announced")
_AFTER_WORDS = 12
_BEFORE_WORDS = 6


@dataclass(frozen=True)
class Figure:
    """One quantity of a claim, with what it counts and of whom."""

    index: int  # position in claim.quantities
    quantity: Quantity
    fate: str  # "killed", ... or "count"
    kind: str  # the counted noun's class, "soldier"; "" when unknown
    subject: frozenset[str]  # entity keys of whom is counted

    @property
    def category(self) -> str:
        return f"{self.fate}:{self.kind}"


@dataclass(frozen=True)
class _Spot:
    start: int  # first token of the quantity
    end: int  # token after the quantity
    head: int  # token of the counted noun (== end when none is found)


def read_figures(claim: Claim) -> tuple[Figure, ...]:
    """The claim's comparable figures: counts with numbers and no unit."""
    words = [w.lower() for w in _TOKEN.findall(claim.text)]
    raw = list(_TOKEN.findall(claim.text))
    spots = _locate(words, claim.quantities)
    found: list[tuple[int, Quantity, str, str, frozenset[str]]] = []
    for index, (quantity, spot) in enumerate(zip(claim.quantities, spots, strict=True)):
        if (
            spot is None
            or quantity.unit
            or (quantity.low, quantity.high) == (None, None)
        ):
            continue
        nxt = _next_start(spots, index, len(words))
        fate = _fate(words, spot, nxt, quantity)
        subject = frozenset(_subject(raw, spot))
        found.append((index, quantity, fate, _kind(quantity), subject))
    return _fill_from_siblings(found, _fallback_subject(claim))


#: The fate of a figure with a unit: compared within its cluster only.
MEASURE = "measure"
#: Words just before a figure that make it a forecast or an expectation.
EXPECTATION_WORDS = word_set(
    """
    expect expects expected expecting expectation expectations forecast forecasts
    forecasting forecasted predict predicts predicted predicting prediction
    predictions projected projection projections consensus anticipated target
    """
)
#: Characters before a figure searched for them ("expectations of 190,000").
_EXPECTATION_REACH = 40


def read_measures(claim: Claim) -> tuple[Figure, ...]:
    """The claim's figures with a unit. Of amounts in several currencies, only
    those in the first: "$27.5bn (£14.5bn)" converts the dollars at the day's
    rate, and two outlets' conversions of one amount differ without disagreeing."""
    found, currency = [], None
    for index, quantity in enumerate(claim.quantities):
        unit = quantity.unit
        if not unit or (quantity.low, quantity.high) == (None, None):
            continue
        if _CURRENCY.fullmatch(unit):
            if currency not in (None, unit):
                continue  # a conversion of the amount before it
            currency = unit
        found.append(Figure(index, quantity, MEASURE, unit, frozenset()))
    return tuple(found)


#: ISO 4217 codes, as the claims stage writes a currency unit.
_CURRENCY = re.compile(r"[A-Z]{3}")


def expected(claim: Claim, quantity: Quantity) -> bool:
    """Whether the figure is what was expected or forecast, not what happened."""
    at = claim.text.find(quantity.text)
    if at < 0:
        return False
    before = claim.text[max(0, at - _EXPECTATION_REACH) : at].lower()
    return any(w in EXPECTATION_WORDS for w in re.findall(r"[a-z]+", before))


def comparable_categories(category: str) -> tuple[str, ...]:
    """Categories whose figures a figure of ``category`` is compared with."""
    fate, _, kind = category.partition(":")
    wider = WIDER.get(fate)
    narrower = [f for f, w in WIDER.items() if w == fate]
    related = [wider] if wider else narrower
    return (category, *(f"{f}:{kind}" for f in related))


def _locate(words: list[str], quantities: tuple[Quantity, ...]) -> list[_Spot | None]:
    """Where each quantity's text is among the words, searched left to right."""
    spots: list[_Spot | None] = []
    cursor = 0
    for quantity in quantities:
        needle = [w.lower() for w in _TOKEN.findall(quantity.text)]
        start = _find(words, needle, cursor)
        if start is None:
            spots.append(None)
            continue
        end = start + len(needle)
        spots.append(_Spot(start, end, _head(words, end, quantity.counted)))
        cursor = end
    return spots


def _find(words: list[str], needle: list[str], cursor: int) -> int | None:
    for start in range(cursor, len(words) - len(needle) + 1):
        if needle and words[start : start + len(needle)] == needle:
            return start
    return None


def _head(words: list[str], end: int, counted: str | None) -> int:
    if not counted:
        return end
    first = counted.split()[0].lower()
    for at in range(end, min(end + 6, len(words))):
        if words[at] == first:
            return at
    return end


def _next_start(spots: list[_Spot | None], index: int, default: int) -> int:
    later = [s.start for s in spots[index + 1 :] if s is not None]
    return later[0] if later else default


def _fate(words: list[str], spot: _Spot, stop: int, quantity: Quantity) -> str:
    counted = (quantity.counted or "").lower().split()
    for at, word in enumerate(counted):
        if word in FATES:
            return _with_alternative(counted, at)
    return _fate_after(words, spot.head + 1, stop) or _fate_before(words, spot.start)


def _fate_after(words: list[str], start: int, stop: int) -> str | None:
    for at in range(start, min(stop, start + _AFTER_WORDS, len(words))):
        word = words[at]
        if word in FATES:
            return _with_alternative(words, at)
        if word in _AFTER_STOPS or word in _CUES:
            return None
    return None


def _fate_before(words: list[str], start: int) -> str:
    for at in range(start - 1, max(-1, start - 1 - _BEFORE_WORDS), -1):
        word = words[at]
        if word in FATES:
            return FATES[word]
        if word in _BEFORE_STOPS:
            break
    return "count"


def _with_alternative(words: list[str], at: int) -> str:
    """ "killed or wounded" counts both."""
    fate = FATES[words[at]]
    if at + 2 < len(words) and words[at + 1] in {"or", "and"}:
        other = FATES.get(words[at + 2])
        if other and other != fate and {fate, other} <= {"killed", "wounded"}:
            return "killed_or_wounded"
    return fate


def _kind(quantity: Quantity) -> str:
    words = (quantity.counted or "").lower().split()
    if not words or words[0] in FATES:
        return ""
    noun = stem(words[0])
    return CLASSES.get(noun, noun)


def _subject(raw: list[str], spot: _Spot) -> list[str]:
    """Capitalised words between the figure and its noun: "North Korean"."""
    names = [w for w in raw[spot.end : spot.head] if w[:1].isupper()]
    key = entity_key(" ".join(names))
    return [key] if key else []


def _fallback_subject(claim: Claim) -> frozenset[str]:
    labels = {"NORP", "GPE"}
    keys = {entity_key(e) for e in claim.entities if e.label in labels}
    return frozenset(k for k in keys if k and k not in STOPWORDS)


def _fill_from_siblings(
    found: list[tuple[int, Quantity, str, str, frozenset[str]]],
    fallback: frozenset[str],
) -> tuple[Figure, ...]:
    """ "300 soldiers killed and another 2,700 injured": the 2,700 are soldiers too."""
    kinds = [kind for *_, kind, _ in found if kind]
    subjects = [subject for *_, subject in found if subject]
    figures = []
    for index, quantity, fate, kind, subject in found:
        figures.append(
            Figure(
                index=index,
                quantity=quantity,
                fate=fate,
                kind=kind or (kinds[0] if kinds else ""),
                subject=subject or (subjects[0] if subjects else fallback),
            )
        )
    return tuple(figures)
