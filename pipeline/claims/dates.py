"""Time expressions, resolved against the article's publication time when known.

Mentions come from the model's DATE entities. Resolution is by rule, so that it is
fast and deterministic, and it reads the clause's tense: in a clause about the past
a weekday ("on Saturday") is the latest such day on or before publication and
"January 9" the latest January 9; in one about the future ("will", "is due to",
"next") the first on or after it; with no tense to go by, a day and month without a
year take the year that puts them nearest publication. "last month" is the month
before, "next year" the year after. Explicit years resolve with no anchor; relative
ones stay unresolved (value None) when published_at is unknown. Named events ("the
11 September attacks") and programmes ("Today") are not dates.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal

from spacy.tokens import Span

from pipeline.calendar import MONTHS, WEEKDAYS
from schemas import DateMention

_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_DAY = re.compile(
    rf"\b({_MONTH_NAMES})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? (\d{{4}}))?"
)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}) ({_MONTH_NAMES})\b(?:,? (\d{{4}}))?")
_MONTH_YEAR = re.compile(rf"\b({_MONTH_NAMES}) (\d{{4}})\b")
_MONTH_ONLY = re.compile(rf"^(?:in |early |late |mid-?)?({_MONTH_NAMES})$")
_YEAR_RANGE = re.compile(
    r"\b((?:1[5-9]|20)\d\d)(?:[-\u2013]| and | to )(\d{2}|\d{4})\b"
)
_YEAR = re.compile(r"\b((?:1[5-9]|20)\d\d)\b(?!s)")
_AGO = re.compile(
    r"\b(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)"
    r" (day|week|month|year)s? ago\b"
)
_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_SMALL |= {"six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}

#: Which way from publication a date without a year lies: the clause's tense.
Tense = Literal["past", "future", "unknown"]
_FUTURE = re.compile(
    r"\b(?:will|'ll|shall|(?:is|are|was|were) (?:due|set|scheduled|expected)? ?to"
    r"|going to|plans? to|planned for|scheduled for|earmarked for|next|coming"
    r"|upcoming|forthcoming)\b",
    re.IGNORECASE,
)
_PAST_TAGS = frozenset({"VBD", "VBN"})
#: Nouns after a date that make it the name of an event or a programme.
_NAMING_NOUNS = frozenset(
    ["attack", "attacks", "bombing", "bombings", "programme", "program", "show"]
)


def find_dates(clause: Span, *, published: datetime | None) -> tuple[DateMention, ...]:
    """The clause's time expressions, each with its ISO value when resolvable."""
    anchor = published.date() if published is not None else None
    tense = clause_tense(clause)
    return tuple(
        DateMention(
            text=entity.text,
            value=resolve_date(entity.text, anchor=anchor, tense=tense),
        )
        for entity in clause.ents
        if entity.label_ == "DATE" and not _names_something(entity)
    )


def clause_tense(clause: Span) -> Tense:
    """Future when a future form is written ("will", "is due to", "next"); past when
    the main verb is; else unknown."""
    if _FUTURE.search(clause.text):
        return "future"
    return "past" if clause.root.tag_ in _PAST_TAGS else "unknown"


def _names_something(entity: Span) -> bool:
    """ "the 11 September attacks", "the Today programme", Radio 4's "Today"."""
    doc = entity.doc
    following = doc[entity.end].lower_ if entity.end < len(doc) else ""
    programme = entity.text == "Today" and entity.start > entity.sent.start
    return following in _NAMING_NOUNS or programme


def resolve_date(
    text: str, *, anchor: date | None, tense: Tense = "past"
) -> str | None:
    """An ISO 8601 value (day, month, year or year interval) for a time expression,
    read in a clause of the given tense."""
    lowered = text.lower().removeprefix("the ").strip()
    for resolve in (_absolute, _relative):
        try:
            value = resolve(lowered, anchor, tense)
        # Arithmetic past the calendar's ends (an anchor in year 1, "9999999 days
        # ago") has no date to give: the mention stays unresolved.
        except (OverflowError, ValueError):
            return None
        if value is not None:
            return value
    return None


def _absolute(text: str, anchor: date | None, tense: Tense) -> str | None:
    if (match := _MONTH_DAY.search(text)) and (match[3] or anchor):
        return _day(
            int(match[3]) if match[3] else None,
            MONTHS[match[1]],
            int(match[2]),
            anchor,
            tense,
        )
    if (match := _DAY_MONTH.search(text)) and (match[3] or anchor):
        return _day(
            int(match[3]) if match[3] else None,
            MONTHS[match[2]],
            int(match[1]),
            anchor,
            tense,
        )
    if match := _MONTH_YEAR.search(text):
        return f"{match[2]}-{MONTHS[match[1]]:02d}"
    if match := _YEAR_RANGE.search(text):
        end = match[2] if len(match[2]) == 4 else match[1][:2] + match[2]
        return f"{match[1]}/{end}"
    if match := _YEAR.search(text):
        return match[1]
    return None


def _day(
    year: int | None, month: int, day: int, anchor: date | None, tense: Tense
) -> str | None:
    if year is None and anchor is not None:
        year = _year_of(month, day, anchor, tense)
    try:
        return date(year or 1, month, day).isoformat() if year else None
    except ValueError:
        return None


def _year_of(month: int, day: int, anchor: date, tense: Tense) -> int:
    """The year a day and month without one fall in, seen from ``anchor``."""
    after = (month, day) > (anchor.month, anchor.day)
    if tense == "past":
        # "January 9" in a February article is this January; a week of slack
        # for a date the article gives loosely.
        late = (month, day) > (anchor.month, anchor.day + 7)
        return anchor.year - 1 if late else anchor.year
    if tense == "future":
        return (
            anchor.year
            if after or (month, day) == (anchor.month, anchor.day)
            else (anchor.year + 1)
        )
    # No tense to go by: the nearest such day ("a 23 March walkout" in February).
    candidates = [anchor.year - 1, anchor.year, anchor.year + 1]
    return min(
        candidates, key=lambda y: abs(_ordinal(y, month, day) - anchor.toordinal())
    )


def _ordinal(year: int, month: int, day: int) -> int:
    # 29 February of a year without one counts as 1 March for the distance.
    try:
        return date(year, month, day).toordinal()
    except ValueError:
        return date(year, month, 28).toordinal() + 1


def _relative(text: str, anchor: date | None, tense: Tense) -> str | None:
    if anchor is None:
        return None
    for name in WEEKDAYS:
        if re.search(rf"\b{name}\b", text):
            if tense == "future" or text.startswith("next "):
                ahead = (WEEKDAYS.index(name) - anchor.weekday()) % 7
                return (anchor + timedelta(days=ahead)).isoformat()
            back = (anchor.weekday() - WEEKDAYS.index(name)) % 7
            return (anchor - timedelta(days=back)).isoformat()
    if match := _MONTH_ONLY.match(text):
        return _month_of(MONTHS[match[1]], anchor, tense)
    return _calendar_relative(text, anchor)


def _month_of(month: int, anchor: date, tense: Tense) -> str:
    """ "in October": the latest October in the past, the next one in the future."""
    if tense == "future":
        year = anchor.year if month >= anchor.month else anchor.year + 1
    else:
        year = anchor.year if month <= anchor.month else anchor.year - 1
    return f"{_year(year)}-{month:02d}"


def _calendar_relative(text: str, anchor: date) -> str | None:
    named = {
        "today": anchor.isoformat(),
        "yesterday": (anchor - timedelta(days=1)).isoformat(),
        "this month": f"{anchor.year}-{anchor.month:02d}",
        "last month": _month_before(anchor),
        "this year": str(anchor.year),
        "last year": _year(anchor.year - 1),
        "next year": _year(anchor.year + 1),
        "next month": _month_after(anchor),
        "tomorrow": (anchor + timedelta(days=1)).isoformat(),
        "this week": _iso_week(anchor),
        "last week": _iso_week(anchor - timedelta(days=7)),
        "next week": _iso_week(anchor + timedelta(days=7)),
    }
    for phrase, value in named.items():
        if re.search(rf"\b{phrase}\b", text):
            return value
    if match := _AGO.search(text):
        return _ago(_SMALL.get(match[1]) or int(match[1]), match[2], anchor)
    return None


def _year(year: int) -> str:
    """A year as ISO 8601 writes it; raises ValueError outside years 1 to 9999."""
    if not date.min.year <= year <= date.max.year:
        raise ValueError(f"year {year} is outside the calendar")
    return str(year)


def _month_before(anchor: date) -> str:
    first = anchor.replace(day=1) - timedelta(days=1)
    return f"{first.year}-{first.month:02d}"


def _month_after(anchor: date) -> str:
    following = anchor.replace(day=28) + timedelta(days=4)
    return f"{_year(following.year)}-{following.month:02d}"


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _ago(count: int, unit: str, anchor: date) -> str:
    if unit == "year":
        return _year(anchor.year - count)
    if unit == "month":
        months = anchor.year * 12 + anchor.month - 1 - count
        return f"{_year(months // 12)}-{months % 12 + 1:02d}"
    days = count * (7 if unit == "week" else 1)
    return (anchor - timedelta(days=days)).isoformat()
