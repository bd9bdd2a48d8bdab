"""How two figures that count the same thing relate.

The order of the rules is the point: a different scope (another fate, other
months or years) is never a contradiction, an expectation against an outcome is
its own relation, agreement is checked before anything else that could excuse a
gap, and only a gap that nothing explains is a conflict. Every comparison is
kept, agreement included.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from pipeline.corroborate.cache import Memo
from pipeline.corroborate.figures import MEASURE, WIDER
from pipeline.corroborate.records import FigureRecord
from pipeline.corroborate.terms import entity_key, periods_overlap
from schemas import Quantity
from schemas.corroborate import FigureClaim, FigureComparison, Relation

_OPEN_LOW = {"more_than"}
_OPEN_HIGH = {"less_than"}
_ESTIMATES = {"approx", "vague"}


@dataclass(frozen=True)
class Interval:
    """A figure's range; an open end excludes its bound, None is unbounded."""

    low: float | None
    high: float | None
    low_open: bool = False
    high_open: bool = False

    @property
    def central(self) -> float | None:
        if self.low is not None and self.high is not None:
            return (self.low + self.high) / 2
        return self.low if self.low is not None else self.high


def interval(quantity: Quantity, *, tolerance: float) -> Interval:
    """The range a figure asserts: "about 300" stretches by ``tolerance``, and a
    rounded figure by half its last digit ("£1.3bn" is 1.25bn to 1.35bn)."""
    low, high = quantity.low, quantity.high
    if quantity.qualifier in _ESTIMATES:
        low = None if low is None else low * (1 - tolerance)
        high = None if high is None else high * (1 + tolerance)
    else:
        spread = _rounding(quantity.text)
        low = None if low is None else low * (1 - spread)
        high = None if high is None else high * (1 + spread)
    return Interval(
        low,
        high,
        low_open=quantity.qualifier in _OPEN_LOW,
        high_open=quantity.qualifier in _OPEN_HIGH,
    )


_NUMBER = re.compile(r"(\d[\d,]*)(?:\.(\d+))?")
_SCALED = re.compile(
    r"\d\s*(?:bn|m|k|tn|billion|million|trillion|thousand|%|per\s*cent)", re.I
)


def _rounding(text: str) -> float:
    """Half the last digit of a written figure, relative to it: a decimal is
    rounded at its last place, a whole number of millions, billions or per cent
    at its units ("29%" is 28.5% to 29.5%); a plain count ("146,000") is taken as
    exact."""
    found = _NUMBER.search(text)
    if found is None:
        return 0.0
    whole, places = found.group(1).replace(",", ""), found.group(2)
    value = float(f"{whole}.{places}" if places else whole)
    if value <= 0:
        return 0.0
    if places:
        return 0.5 / (10.0 ** len(places) * value)
    return 0.5 / value if _SCALED.search(text) else 0.0


def overlaps(a: Interval, b: Interval) -> bool:
    """Whether some value satisfies both ranges."""
    lows = [(x.low, x.low_open) for x in (a, b) if x.low is not None]
    highs = [(x.high, x.high_open) for x in (a, b) if x.high is not None]
    if not lows or not highs:
        return True
    low, low_open = max(lows, key=lambda bound: (bound[0], bound[1]))
    high, high_open = min(highs, key=lambda bound: (bound[0], not bound[1]))
    return low < high or (low == high and not (low_open or high_open))


def ratio(a: Interval, b: Interval) -> float | None:
    """Larger over smaller central value (an open range counts at its bound)."""
    if a.central is None or b.central is None:
        return None
    large, small = max(a.central, b.central), min(a.central, b.central)
    return round(large / small, 3) if small > 0 else None


def relate(
    first: FigureRecord, second: FigureRecord, *, tolerance: float
) -> tuple[Relation, str]:
    """The relation of two figures, and the reason in words."""
    return _relate(first, second, *_intervals(first, second, tolerance))


def _relate(
    first: FigureRecord, second: FigureRecord, a: Interval, b: Interval
) -> tuple[Relation, str]:
    if first["fate"] != second["fate"]:
        narrow, wide = sorted((first, second), key=lambda f: f["fate"] not in WIDER)
        return "different_scope", f"{_what(narrow)} is only part of {_what(wide)}"
    periods, others = first.get("periods") or [], second.get("periods") or []
    if (
        periods
        and others
        and not periods_overlap(frozenset(periods), frozenset(others))
    ):
        return "different_scope", "they are for different months or years"
    if first.get("expected", False) != second.get("expected", False):
        agree = "matches" if overlaps(a, b) else "differs from"
        return "expectation", f"the outcome {agree} what was expected"
    if overlaps(a, b):
        return "consistent", "the figures agree"
    return _gap(first, second)


def _gap(first: FigureRecord, second: FigureRecord) -> tuple[Relation, str]:
    """What explains two figures that do not overlap, if anything does."""
    if same_speaker(first["speaker"], second["speaker"]):
        return "update", "a later figure from the same speaker"
    if first["dated"] and second["dated"] and first["when"] != second["when"]:
        return "different_scope", "they are for different dates"
    estimates = sum([first["hedged"], second["hedged"]])
    if estimates:
        which = "both are estimates" if estimates == 2 else "one is an estimate"
        return "estimate_spread", f"the ranges do not overlap; {which}"
    return "conflict", "the figures do not overlap"


class Comparer:
    """Publishes comparisons of figures, building each figure's published form and
    range once: in a big story the first figures are compared with every new one,
    and building them again each time cost most of a decision."""

    def __init__(self, *, tolerance: float, memo: int = 4096) -> None:
        self._tolerance = tolerance
        self._views: Memo[tuple[Any, ...], tuple[FigureClaim, Interval]] = Memo(memo)

    def compare(self, first: FigureRecord, second: FigureRecord) -> FigureComparison:
        """The published comparison of an earlier and a later figure."""
        (first_claim, a), (second_claim, b) = self._view(first), self._view(second)
        relation, reason = _relate(first, second, a, b)
        return FigureComparison(
            comparison_id=comparison_id(first, second),
            relation=relation,
            counted=_wider(first["category"], second["category"]),
            first=first_claim,
            second=second_claim,
            ratio=ratio(a, b),
            explanation=f"{_told(first)} vs {_told(second)}: {reason}",
        )

    def _view(self, figure: FigureRecord) -> tuple[FigureClaim, Interval]:
        # A figure record is written once; its key and its place in the decision
        # order name it (a redelivered claim decided again gets a new seq).
        key = (figure["claim_id"], figure["index"], figure["cluster_id"], figure["seq"])
        return self._views.get(key, lambda: self._build(figure))

    def _build(self, figure: FigureRecord) -> tuple[FigureClaim, Interval]:
        claim = figure_claim(figure)
        return claim, interval(claim.quantity, tolerance=self._tolerance)


def _intervals(
    first: FigureRecord, second: FigureRecord, tolerance: float
) -> tuple[Interval, Interval]:
    return (
        interval(_quantity(first), tolerance=tolerance),
        interval(_quantity(second), tolerance=tolerance),
    )


def comparison_id(first: FigureRecord, second: FigureRecord) -> str:
    """The same two figures give the same id, whichever arrived first."""
    ends = sorted(f"{f['claim_id']}#{f['index']}" for f in (first, second))
    return hashlib.sha256("|".join(ends).encode()).hexdigest()[:32]


def same_speaker(first: dict[str, Any] | None, second: dict[str, Any] | None) -> bool:
    """Both said by one named speaker ("Zelenskyy", "President Volodymyr Zelenskyy")."""
    if first is None or second is None:
        return False
    a, b = entity_key(first["name"]).split(), entity_key(second["name"]).split()
    if not a or not b:
        return False
    people = first["type"] == second["type"] == "person"
    return a == b or (people and a[-1] == b[-1])


def figure_claim(figure: FigureRecord) -> FigureClaim:
    return FigureClaim(
        claim_id=figure["claim_id"],
        article_id=figure["article_id"],
        source=figure["source"],
        cluster_id=figure["cluster_id"],
        speaker=figure["speaker"],
        quantity=figure["quantity"],
        when=figure["when"],
    )


def _told(figure: FigureRecord) -> str:
    speaker = figure["speaker"]
    who = speaker["name"] if speaker else figure["source"]
    what = " ".join(filter(None, [figure["quantity"]["text"], _what(figure)]))
    return f"{what} ({who})"


def _what(figure: FigureRecord) -> str:
    """What a figure counts, in words: its fate, or the counted noun as written
    (categories hold stems: "peopl"); nothing for an amount or a percentage."""
    fate, _, kind = figure["category"].partition(":")
    if fate == MEASURE:
        return ""
    if fate != "count":
        return fate.replace("_", " ")
    return str(figure["quantity"].get("counted") or kind)


def _wider(first: str, second: str) -> str:
    return first if first.startswith("killed_or_wounded") else second


def _quantity(figure: FigureRecord) -> Quantity:
    return Quantity.model_construct(**figure["quantity"])
