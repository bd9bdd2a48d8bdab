"""Figures a claim asserts, as intervals that keep their meaning.

"two soldiers" is 2..2 soldiers; "10,000 to 12,000 troops" is 10000..12000; "more
than 3,000" has a low bound and no high one; "around 200" is 200 with qualifier
``approx``. Years and days of the month are dates (see ``dates``), not figures;
"thousands" and "several hundred" are ``vague``, with the least they can mean as
their low bound and no high one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from pipeline.calendar import MONTHS
from pipeline.claims.lexicon import word_set
from pipeline.claims.numbers import (
    UNAMBIGUOUS_SCALES,
    VAGUE_AMOUNTS,
    is_abbreviated_scale,
    is_number_word,
    is_scale_word,
    parse_number,
)
from schemas import DateMention, Quantity

#: Qualifier phrases before a figure, longest first, and what they mean.
_QUALIFIERS: tuple[tuple[str, str], ...] = (
    ("as many as", "at_most"),
    ("as much as", "at_most"),
    ("a maximum of", "at_most"),
    ("a minimum of", "at_least"),
    ("no fewer than", "at_least"),
    ("no less than", "at_least"),
    ("no more than", "at_most"),
    ("in excess of", "more_than"),
    ("upwards of", "more_than"),
    ("more than", "more_than"),
    ("greater than", "more_than"),
    ("at least", "at_least"),
    ("at most", "at_most"),
    ("up to", "at_most"),
    ("fewer than", "less_than"),
    ("less than", "less_than"),
    ("an estimated", "approx"),
    ("close to", "approx"),
    ("approximately", "approx"),
    ("roughly", "approx"),
    ("around", "approx"),
    ("about", "approx"),
    ("nearly", "approx"),
    ("almost", "approx"),
    ("some", "approx"),
    ("estimated", "approx"),
    ("just over", "more_than"),
    ("just above", "more_than"),
    ("just under", "less_than"),
    ("just below", "less_than"),
    ("over", "more_than"),
    ("above", "more_than"),
    ("under", "less_than"),
    ("below", "less_than"),
)
_LOW_ONLY = {"more_than", "at_least"}
_HIGH_ONLY = {"less_than", "at_most"}

_TIME_UNITS = {
    f"{unit}{plural}": f"{unit}s"
    for unit in ("second", "minute", "hour", "day", "week", "month", "year", "decade")
    for plural in ("", "s")
} | {"century": "centuries", "centuries": "centuries"}
_TIME_UNIT_NAMES = frozenset(_TIME_UNITS.values())
#: Words that tie a length of time to the calendar: "the past three years", "two
#: months ago", "the three months to September", "the first 10 months of 2004".
_ANCHORS = word_set("past last next previous coming ago first to of this since")
_PERCENT = {"%": "percent", "percent": "percent", "per": "percent"}
_MULTIPLES = {"times": "times"}
_CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_CURRENCY |= {"US$": "USD", "HK$": "HKD", "A$": "AUD", "C$": "CAD", "S$": "SGD"}
_CURRENCY |= {"NZ$": "NZD"}
#: A currency glued to its number, as spaCy leaves "HK$327" (then "m"), and pence
#: written "797p".
_GLUED_MONEY = re.compile(r"^(US|HK|A|C|S|NZ)\$(\d[\d,]*(?:\.\d+)?)$")
_GLUED_PENCE = re.compile(r"^(\d[\d,]*(?:\.\d+)?)p$")
#: Hundredths of a currency, written after the number: "56 pence" is 0.56 GBP.
_HUNDREDTHS = {"pence": "GBP", "p": "GBP"}
_CURRENCY_WORDS = {"dollars": "USD", "euros": "EUR", "pounds": "GBP"}
_CURRENCY_WORDS |= {"roubles": "RUB", "rubles": "RUB", "yen": "JPY", "yuan": "CNY"}
_CASUALTY_WORDS = word_set(
    """
    wounded injured killed dead missing captured displaced arrested detained
    hurt evacuated infected
    """
)
_MONTHS = frozenset(MONTHS)
_YEAR = re.compile(r"^(1[5-9]\d\d|20\d\d)s?$")
_YEAR_RANGE = re.compile(r"^(1[5-9]|20)\d\d[-\u2013]\d{2,4}$")
_RANGE_TOKEN = re.compile(r"^([\d,.]+)[-\u2013]([\d,.]+)$")
_YEAR_PREPOSITIONS = frozenset(
    ["in", "since", "by", "from", "until", "till", "of", "the", "before", "after"]
)
_RANGE_WORDS = frozenset({"to", "-", "\u2013", "and"})
#: Words before "X to Y" that make it a change from one figure to another ("rose
#: 32,000 to 1.41 million", "increased by 5% to 40%"), two figures, not a range.
_CHANGE_WORDS = word_set(
    """
    rise rises rose risen rising fall falls fell fallen falling increase increases
    increased increasing decrease decreases decreased decreasing climb climbed
    climbs jump jumped jumps grow grew grown grows slump slumped drop dropped drops
    cut cuts slip slipped slips gain gained gains lose lost loses soar soared
    plunge plunged surge surged decline declined declines edge edged up down
    widen widened narrow narrowed
    """
)
#: "X to Y" whose ends differ more than this is two figures: ranges keep a scale.
_RANGE_MAX_RATIO = 10.0
#: Words before a year-like number that make it a count: "about 2000 soldiers".
_COUNT_OPENERS = frozenset(
    ["about", "around", "some", "nearly", "almost", "over", "than", "least", "to"]
)
_PRONOUN_ONE = frozenset(
    ["no", "any", "every", "each", "this", "that", "the", "which", "someone"]
)


@dataclass(frozen=True)
class _Figure:
    """A number found in a clause: token indices (in the Doc) and its bounds."""

    start: int
    end: int
    low: float | None
    high: float | None
    is_date: bool = False
    #: A currency written in the number's own token ("HK$327", "797p").
    unit: str | None = None


def find_quantities(clause: Span) -> tuple[Quantity, ...]:
    """Every figure in the clause, in order of appearance."""
    found: list[Quantity] = []
    index = clause.start
    while index < clause.end:
        figure = _figure_at(clause, index)
        if figure is None:
            index += 1
            continue
        quantity = _quantity_of(clause, figure)
        if quantity is not None:
            found.append(quantity)
        index = figure.end
    return tuple(found)


def outside_periods(
    quantities: tuple[Quantity, ...], dates: tuple[DateMention, ...]
) -> tuple[Quantity, ...]:
    """The figures that are not the length of a period a date names: in "the last
    three months of 2004" or "two months ago" the period places the claim in time
    (a date), it is not a figure the claim asserts. A length of time on its own
    ("for 700 years", "a three year programme") is a figure."""
    periods = [d.text.lower() for d in dates if _ANCHORS & set(d.text.lower().split())]
    return tuple(
        q
        for q in quantities
        if q.unit not in _TIME_UNIT_NAMES
        or not any(q.text.lower() in period for period in periods)
    )


def _figure_at(clause: Span, index: int) -> _Figure | None:
    token = clause.doc[index]
    special = (
        _glued_money(clause, index) or _fraction(clause, index) or _vague(clause, index)
    )
    if special is not None:
        return special
    ranged = _RANGE_TOKEN.match(token.text)
    if ranged and not _YEAR_RANGE.match(token.text):
        low, high = parse_number([ranged[1]]), parse_number([ranged[2]])
        return _Figure(index, index + 1, low, high)
    if not is_number_word(token.text) or is_scale_word(token.text):
        return None
    if _YEAR.match(token.text) and _is_split_year_range(clause, index):
        return _Figure(index, index + 3, None, None, is_date=True)
    end = _number_end(clause, index)
    value = parse_number([t.text for t in clause.doc[index:end]])
    if value is None:
        return None
    return _with_range(clause, _Figure(index, end, value, value))


def _vague(clause: Span, index: int) -> _Figure | None:
    """ "thousands" (at least 1,000), "several hundred" (at least 200)."""
    word = clause.doc[index].lower_
    if word in VAGUE_AMOUNTS:
        return _Figure(index, index + 1, VAGUE_AMOUNTS[word], None)
    if word == "several" and index + 1 < clause.end:
        following = clause.doc[index + 1].text
        scale = parse_number([following])
        if scale is not None and is_scale_word(following):
            return _Figure(index, index + 2, 2 * scale, None)
    return None


#: Fractions written as words, in their own unit ("a fifth" is 0.2).
_FRACTIONS = {"half": 0.5, "quarter": 0.25, "third": 1 / 3, "fifth": 0.2}
_FRACTIONS |= {"two-thirds": 2 / 3, "three-quarters": 0.75, "tenth": 0.1}
#: Words before a fraction word that make it an amount: "nearly a quarter", "by a
#: fifth", "almost half"; not "the first quarter" or "a third consecutive month".
_FRACTION_OPENERS = word_set(
    "a almost nearly about around than by over under just roughly some one"
)


def _fraction(clause: Span, index: int) -> _Figure | None:
    """ "a fifth" (0.2), "two-thirds", "one in four" (0.25), "twice" (2 times)."""
    if clause.doc[index].lower_ == "twice":
        return _Figure(index, index + 1, 2.0, 2.0, unit="times")
    return (
        _fraction_word(clause, index)
        or _plural_fraction(clause, index)
        or _one_in(clause, index)
    )


def _fraction_word(clause: Span, index: int) -> _Figure | None:
    """ "nearly a quarter", "by a fifth", "almost half", "half a million"."""
    doc = clause.doc
    word = doc[index].lower_
    if word not in _FRACTIONS:
        return None
    if word == "half" and index + 2 < clause.end and doc[index + 1].lower_ == "a":
        scale = parse_number([doc[index + 2].text])
        if scale is not None and is_scale_word(doc[index + 2].text):
            return _Figure(index, index + 3, scale / 2, scale / 2)
    previous = doc[index - 1].lower_ if index > clause.start else ""
    following = doc[index + 1] if index + 1 < clause.end else None
    modifies = following is not None and (
        following.pos_ == "NOUN"
        or (following.pos_ == "ADJ" and following.lower_ not in _TIME_WORDS)
    )
    if (previous not in _FRACTION_OPENERS and "-" not in word) or modifies:
        return None
    value = _FRACTIONS[word]
    start = index - 1 if previous == "a" else index  # "more than a quarter"
    return _Figure(start, index + 1, value, value, unit="fraction")


def _one_in(clause: Span, index: int) -> _Figure | None:
    """ "one in four": a share, 0.25."""
    doc = clause.doc
    if index + 2 >= clause.end or doc[index + 1].lower_ != "in":
        return None
    part = parse_number([doc[index].text])
    whole = parse_number([doc[index + 2].text])
    if part is None or not whole or not is_number_word(doc[index + 2].text):
        return None
    return _Figure(index, index + 3, part / whole, part / whole, unit="fraction")


_DENOMINATORS = {"halves": 2, "thirds": 3, "quarters": 4, "fifths": 5, "tenths": 10}
_TIME_WORDS = frozenset(["last", "next", "this", "previous"])


def _plural_fraction(clause: Span, index: int) -> _Figure | None:
    """ "two-thirds" or "three quarters", as spaCy splits them."""
    doc = clause.doc
    end = index + 1
    if end < clause.end and doc[end].text == "-":
        end += 1
    if end >= clause.end or doc[end].lower_ not in _DENOMINATORS:
        return None
    part = parse_number([doc[index].text])
    if part is None or not doc[index].is_alpha:
        return None
    share = part / _DENOMINATORS[doc[end].lower_]
    return _Figure(index, end + 1, share, share, unit="fraction")


def _glued_money(clause: Span, index: int) -> _Figure | None:
    """ "HK$327" (with the "m" or "bn" after it) and "797p" (7.97 GBP)."""
    text = clause.doc[index].text
    pence = _GLUED_PENCE.match(text)
    if pence is not None:
        value = parse_number([pence[1]])
        return None if value is None else _money(index, index + 1, value / 100, "GBP")
    glued = _GLUED_MONEY.match(text)
    if glued is None:
        return None
    value, end = parse_number([glued[2]]), index + 1
    if end < clause.end and is_abbreviated_scale(clause.doc[end].text):
        value = parse_number([glued[2], clause.doc[end].text])
        end += 1
    return (
        None if value is None else _money(index, end, value, _CURRENCY[f"{glued[1]}$"])
    )


def _money(start: int, end: int, value: float, currency: str) -> _Figure:
    return _Figure(start, end, value, value, unit=currency)


def _is_split_year_range(clause: Span, index: int) -> bool:
    """ "1950-53" as three tokens."""
    doc = clause.doc
    return (
        index + 2 < clause.end
        and doc[index + 1].text in {"-", "\u2013"}
        and bool(re.match(r"^\d{2}(\d{2})?$", doc[index + 2].text))
    )


def _number_end(clause: Span, index: int) -> int:
    end = index + 1
    doc = clause.doc
    while end < clause.end and (
        is_number_word(doc[end].text)
        or (doc[end].text == "-" and end + 1 < clause.end and _is_spelled(doc[end + 1]))
    ):
        end += 1
    if end < clause.end and _abbreviated_scale_at(clause, index, end):
        end += 1
    return end


def _abbreviated_scale_at(clause: Span, start: int, index: int) -> bool:
    """Whether "m", "bn" or "k" at ``index`` multiplies the number before it: always
    for "bn" and "tn"; for "m" and "k" when the figure is money ("£933 m") or counts
    a plural noun ("1.4 m workers"), not in "a 5 m wall"."""
    doc = clause.doc
    word = doc[index].lower_.rstrip(".")
    if not is_abbreviated_scale(word) or not doc[index - 1].like_num:
        return False
    if word in UNAMBIGUOUS_SCALES:
        return True
    money = start > clause.start and doc[start - 1].text in _CURRENCY
    after = index + 1
    counts = after < clause.end and (
        doc[after].tag_ == "NNS" or doc[after].lower_ in _CURRENCY_WORDS
    )
    return money or counts


def _is_spelled(token: Token) -> bool:
    return token.is_alpha and is_number_word(token.text)


def _with_range(clause: Span, figure: _Figure) -> _Figure:
    """Extends "10,000 to 12,000" and "between 5 and 7" into one interval."""
    doc = clause.doc
    joint = figure.end
    if joint + 1 >= clause.end or doc[joint].lower_ not in _RANGE_WORDS:
        return figure
    before = figure.start - 1
    if before > clause.start and doc[before].text in _CURRENCY:
        before -= 1  # "between £40m and £50m"
    if doc[joint].lower_ == "and" and doc[before].lower_ != "between":
        return figure
    second = joint + 1
    if doc[second].text in _CURRENCY and second + 1 < clause.end:
        second += 1  # "£40m-£50m"
    if not is_number_word(doc[second].text) or is_scale_word(doc[second].text):
        return figure
    end = _number_end(clause, second)
    high = parse_number([t.text for t in doc[second:end]])
    if high is None or figure.low is None or high < figure.low:
        return figure
    if doc[joint].lower_ == "to" and _is_change(clause, figure, high):
        return figure
    return _Figure(figure.start, end, figure.low, high)


def _is_change(clause: Span, figure: _Figure, high: float) -> bool:
    """ "rose 32,000 to 1.41 million", "from 4.6% to 4.7%": two figures."""
    assert figure.low is not None
    if high > _RANGE_MAX_RATIO * max(figure.low, 1e-9):
        return True
    doc = clause.doc
    before = [t.lower_ for t in doc[max(clause.start, figure.start - 3) : figure.start]]
    return any(word in _CHANGE_WORDS for word in before)


def _quantity_of(clause: Span, figure: _Figure) -> Quantity | None:
    if figure.is_date or _is_date_part(clause, figure) or _is_in_name(clause, figure):
        return None
    doc = clause.doc
    qualifier, start = _qualifier(clause, figure)
    qualifier = qualifier or _trailing_bound(clause, figure)
    if figure.high is None and (figure.low is None or qualifier is None):
        qualifier = "vague"
    unit, counted_from, scale = _unit(clause, figure)
    if scale != 1.0:
        figure = _Figure(
            figure.start,
            figure.end,
            None if figure.low is None else figure.low * scale,
            None if figure.high is None else figure.high * scale,
        )
    low, high = _bounds(figure, qualifier)
    counted = None if unit else _counted(doc[figure.end - 1], counted_from)
    return Quantity(
        text=doc[start:counted_from].text if unit else doc[start : figure.end].text,
        low=low,
        high=high,
        qualifier=qualifier,
        unit=unit,
        counted=counted,
    )


#: "14 or less", "65 or over": a bound written after the number.
_TRAILING_BOUNDS = {"less": "at_most", "fewer": "at_most", "under": "at_most"}
_TRAILING_BOUNDS |= {"below": "at_most", "more": "at_least", "over": "at_least"}
_TRAILING_BOUNDS |= {"above": "at_least"}


def _trailing_bound(clause: Span, figure: _Figure) -> str | None:
    doc = clause.doc
    if figure.end + 1 >= clause.end or doc[figure.end].lower_ != "or":
        return None
    return _TRAILING_BOUNDS.get(doc[figure.end + 1].lower_)


def _bounds(figure: _Figure, qualifier: str | None) -> tuple[float | None, ...]:
    if qualifier in _LOW_ONLY:
        return figure.low, None
    if qualifier in _HIGH_ONLY:
        return None, figure.high
    return figure.low, figure.high


def _qualifier(clause: Span, figure: _Figure) -> tuple[str | None, int]:
    """The qualifier right before the figure (and its currency sign), and where the
    quantity's text starts."""
    doc = clause.doc
    lead = figure.start
    if lead > clause.start and doc[lead - 1].text in _CURRENCY:
        lead -= 1  # "more than $1.8bn"
    for width in (3, 2, 1):
        start = lead - width
        if start < clause.start:
            continue
        phrase = doc[start:lead].text.lower()
        if phrase == "up to" and start > clause.start and _moves(doc[start - 1]):
            continue  # "went up to 5.5%": the value it reached, not a bound
        for words, meaning in _QUALIFIERS:
            if phrase == words:
                return meaning, start
    return None, lead


def _moves(token: Token) -> bool:
    return token.lower_ in _CHANGE_WORDS or token.lower_ in _MOTION_VERBS


_MOTION_VERBS = frozenset(["went", "go", "goes", "going", "gone", "moved", "shot"])


def _unit(clause: Span, figure: _Figure) -> tuple[str | None, int, float]:
    """A unit after (or a currency before) the figure, where its text ends, and what
    the written number is multiplied by in that unit (0.01 for pence)."""
    doc = clause.doc
    if figure.unit is not None:
        return figure.unit, figure.end, 1.0
    after = figure.end
    if after < clause.end and doc[after].lower_ in _HUNDREDTHS:
        return _HUNDREDTHS[doc[after].lower_], after + 1, 0.01
    if after < clause.end and doc[after].text == "-":
        after += 1  # "3-year war"
    if after < clause.end:
        word = doc[after].lower_
        unit = (
            _TIME_UNITS.get(word)
            or _PERCENT.get(word)
            or _CURRENCY_WORDS.get(word)
            or _MULTIPLES.get(word)
        )
        if word == "per" and not _follows(doc, after, "cent"):
            unit = None  # "5 per day" is a rate, not a percentage
        if unit is not None:
            end = after + 2 if word == "per" else after + 1
            return unit, min(end, clause.end), 1.0
    before = figure.start - 1
    if before >= clause.start and doc[before].text in _CURRENCY:
        return _CURRENCY[doc[before].text], figure.end, 1.0
    return None, figure.end, 1.0


def _follows(doc: Doc, index: int, word: str) -> bool:
    return index + 1 < len(doc) and doc[index + 1].lower_ == word


def _counted(number: Token, after: int) -> str | None:
    """What is counted: the head noun ("soldiers"), or a participle ("wounded")."""
    doc = number.doc
    head = number.head
    if number.dep_ in {"nummod", "quantmod", "compound"} and head.pos_ == "NOUN":
        return _noun_with_participles(head)
    if after < len(doc) and doc[after].lower_ in _CASUALTY_WORDS:
        return _with_alternatives(doc[after])
    for child in number.children:
        if child.lower_ == "of":
            objects = [c for c in child.children if c.dep_ == "pobj"]
            if objects:
                return objects[0].text
    return None


def _noun_with_participles(noun: Token) -> str:
    """ "soldiers killed or wounded" keeps the participles that say what happened."""
    following = noun.doc[noun.i + 1] if noun.i + 1 < len(noun.doc) else None
    if following is not None and following.lower_ in _CASUALTY_WORDS:
        return f"{noun.text} {_with_alternatives(following)}"
    return noun.text


def _with_alternatives(word: Token) -> str:
    doc = word.doc
    if word.i + 2 < len(doc) and doc[word.i + 1].lower_ in {"or", "and"}:
        other = doc[word.i + 2]
        if other.lower_ in _CASUALTY_WORDS:
            return doc[word.i : word.i + 3].text
    return word.text


def _is_in_name(clause: Span, figure: _Figure) -> bool:
    """ "BBC Radio 4", "Chapter 11", "the Rover 25": a number right after a
    capitalised word (not a month, not at the clause's start) names something."""
    if figure.start <= clause.start or figure.unit is not None:
        return False
    previous = clause.doc[figure.start - 1]
    return (
        previous.is_alpha
        and previous.is_title
        and previous.i > previous.sent.start
        and previous.lower_ not in _MONTHS
        and previous.text not in _CURRENCY
    )


def _is_date_part(clause: Span, figure: _Figure) -> bool:
    """Years ("since 2021", "the 1950-53 war", "between 2005 and 2007") and days
    of a month are dates."""
    if _is_year_range(clause, figure):
        return True
    if figure.end - figure.start != 1:
        return False
    token = clause.doc[figure.start]
    if _YEAR_RANGE.match(token.text):
        return True
    if _YEAR.match(token.text):
        return _year_context(clause, token)
    return _is_day_of_month(clause, figure) or _is_pronoun_one(clause, token)


def _is_year_range(clause: Span, figure: _Figure) -> bool:
    doc = clause.doc
    ends = (doc[figure.start].text, doc[figure.end - 1].text)
    return figure.end - figure.start == 3 and all(_YEAR.match(end) for end in ends)


def _is_pronoun_one(clause: Span, token: Token) -> bool:
    """ "no one", "each one", "one of the biggest" are not figures."""
    doc = clause.doc
    previous = doc[token.i - 1].lower_ if token.i > clause.start else ""
    following = doc[token.i + 1].lower_ if token.i + 1 < clause.end else ""
    return token.lower_ == "one" and (previous in _PRONOUN_ONE or following == "of")


def _year_context(clause: Span, token: Token) -> bool:
    doc = clause.doc
    previous = doc[token.i - 1].lower_ if token.i > clause.start else ""
    following = doc[token.i + 1] if token.i + 1 < clause.end else None
    counts_things = following is not None and following.tag_ == "NNS"
    if counts_things and "," not in token.text and previous not in _COUNT_OPENERS:
        return True  # "2003 results", "the 2005 elections": a year naming a period
    return previous in _YEAR_PREPOSITIONS or previous in _MONTHS or not counts_things


def _is_day_of_month(clause: Span, figure: _Figure) -> bool:
    doc = clause.doc
    if figure.end - figure.start != 1 or figure.low is None or figure.low > 31:
        return False
    previous = doc[figure.start - 1].lower_ if figure.start > clause.start else ""
    following = doc[figure.end].lower_ if figure.end < clause.end else ""
    return previous.rstrip(".") in _MONTHS or following.rstrip(".") in _MONTHS
