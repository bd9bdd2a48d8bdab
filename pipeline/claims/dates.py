"""Time expressions, resolved against the article's publication time when known.

Mentions come from the model's DATE entities. Resolution is by rule, so that it is
fast and deterministic: weekdays ("on Saturday") are the latest such day on or
before publication; "last month" is the month before; "January 9" takes the year
that puts it on or before publication. Explicit years resolve with no anchor;
relative ones stay unresolved (value None) when published_at is unknown.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from spacy.tokens import Span

from schemas import DateMention

_WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_DAY = re.compile(
    rf"\b({_MONTH_NAMES})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? (\d{{4}}))?"
)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}) ({_MONTH_NAMES})\b(?:,? (\d{{4}}))?")
_MONTH_YEAR = re.compile(rf"\b({_MONTH_NAMES}) (\d{{4}})\b")
_MONTH_ONLY = re.compile(rf"^(?:in |early |late |mid-?)?({_MONTH_NAMES})$")
_YEAR_RANGE = re.compile(r"\b((?:1[5-9]|20)\d\d)[-\u2013](\d{2}|\d{4})\b")
_YEAR = re.compile(r"\b((?:1[5-9]|20)\d\d)\b(?!s)")
_AGO = re.compile(
    r"\b(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)"
    r" (day|week|month|year)s? ago\b"
)
_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_SMALL |= {"six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def find_dates(clause: Span, *, published: datetime | None) -> tuple[DateMention, ...]:
    """The clause's time expressions, each with its ISO value when resolvable."""
    anchor = published.date() if published is not None else None
    return tuple(
        DateMention(text=entity.text, value=resolve_date(entity.text, anchor=anchor))
        for entity in clause.ents
        if entity.label_ == "DATE"
    )


def resolve_date(text: str, *, anchor: date | None) -> str | None:
    """An ISO 8601 value (day, month, year or year interval) for a time expression."""
    lowered = text.lower().removeprefix("the ").strip()
    for resolve in (_absolute, _relative):
        try:
            value = resolve(lowered, anchor)
        # Arithmetic past the calendar's ends (an anchor in year 1, "9999999 days
        # ago") has no date to give: the mention stays unresolved.
        except (OverflowError, ValueError):
            return None
        if value is not None:
            return value
    return None


def _absolute(text: str, anchor: date | None) -> str | None:
    if (match := _MONTH_DAY.search(text)) and (match[3] or anchor):
        return _day(
            int(match[3]) if match[3] else None,
            _MONTHS[match[1]],
            int(match[2]),
            anchor,
        )
    if (match := _DAY_MONTH.search(text)) and (match[3] or anchor):
        return _day(
            int(match[3]) if match[3] else None,
            _MONTHS[match[2]],
            int(match[1]),
            anchor,
        )
    if match := _MONTH_YEAR.search(text):
        return f"{match[2]}-{_MONTHS[match[1]]:02d}"
    if match := _YEAR_RANGE.search(text):
        end = match[2] if len(match[2]) == 4 else match[1][:2] + match[2]
        return f"{match[1]}/{end}"
    if match := _YEAR.search(text):
        return match[1]
    return None


def _day(year: int | None, month: int, day: int, anchor: date | None) -> str | None:
    if year is None and anchor is not None:
        year = anchor.year
        if (month, day) > (anchor.month, anchor.day + 7):
            year -= 1  # "January 9" in a February article is this January
    try:
        return date(year or 1, month, day).isoformat() if year else None
    except ValueError:
        return None


def _relative(text: str, anchor: date | None) -> str | None:
    if anchor is None:
        return None
    for name in _WEEKDAYS:
        if re.search(rf"\b{name}\b", text):
            back = (anchor.weekday() - _WEEKDAYS.index(name)) % 7
            return (anchor - timedelta(days=back)).isoformat()
    if match := _MONTH_ONLY.match(text):
        month = _MONTHS[match[1]]
        year = anchor.year if month <= anchor.month else anchor.year - 1
        return f"{year}-{month:02d}"
    return _calendar_relative(text, anchor)


def _calendar_relative(text: str, anchor: date) -> str | None:
    named = {
        "today": anchor.isoformat(),
        "yesterday": (anchor - timedelta(days=1)).isoformat(),
        "this month": f"{anchor.year}-{anchor.month:02d}",
        "last month": _month_before(anchor),
        "this year": str(anchor.year),
        "last year": _year(anchor.year - 1),
        "this week": _iso_week(anchor),
        "last week": _iso_week(anchor - timedelta(days=7)),
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
