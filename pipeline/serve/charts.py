"""Each source's figure for one measure, as a range on one axis.

A story's figure comparisons name what both figures count ("killed:soldier"); every
figure of a measure becomes a bar from its low to its high end. An open end ("more
than 3,000") runs to the edge of the axis, a single value is a dot, and an "about"
figure gets whiskers as far as corroboration stretches it. Laid out here, in pixels,
so the template only draws, and a test can check where things land.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from schemas import FigureClaim, FigureComparison

#: Drawing area of one chart, in pixels; the labels sit left of it.
WIDTH = 520
ROW = 26
#: Room past the largest figure, so that an open end visibly goes on.
HEADROOM = 1.15
#: About this many ticks on an axis, at round values.
TICKS = 5


@dataclass(frozen=True)
class Bar:
    """One source's figure: where it is drawn and what it says."""

    source: str
    article_id: str
    sentence_index: int | None
    speaker: str | None
    text: str
    x_low: float
    x_high: float
    open_low: bool
    open_high: bool
    whisker_low: float | None = None
    whisker_high: float | None = None

    @property
    def point(self) -> bool:
        return self.x_low == self.x_high and not (self.open_low or self.open_high)


@dataclass(frozen=True)
class MeasureChart:
    """The figures of one measure, with the axis they are drawn on."""

    counted: str
    unit: str | None
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]
    disagreeing: bool

    @property
    def height(self) -> int:
        return ROW * (len(self.bars) + 1)


def measure_charts(
    comparisons: Iterable[FigureComparison],
    *,
    approx_tolerance: float = 0.12,
    sentence_of: dict[str, int] | None = None,
) -> list[MeasureChart]:
    """A chart per measure with two figures or more; disagreeing measures first."""
    figures: dict[str, dict[tuple[str, str], FigureClaim]] = {}
    disagreeing: set[str] = set()
    for comparison in comparisons:
        found = figures.setdefault(comparison.counted, {})
        # A source that gives the same figure twice is drawn once.
        for figure in (comparison.first, comparison.second):
            found.setdefault((figure.source, figure.quantity.text), figure)
        if comparison.relation != "consistent":
            disagreeing.add(comparison.counted)
    charts = [
        _chart(
            counted,
            list(found.values()),
            counted in disagreeing,
            approx_tolerance,
            sentence_of or {},
        )
        for counted, found in figures.items()
        if len(found) >= 2
    ]
    charts.sort(key=lambda c: (not c.disagreeing, c.counted))
    return charts


def _chart(
    counted: str,
    figures: list[FigureClaim],
    disagreeing: bool,
    tolerance: float,
    sentence_of: dict[str, int],
) -> MeasureChart:
    values = [v for f in figures for v in (f.quantity.low, f.quantity.high) if v]
    step = _step(max(values, default=1.0) * HEADROOM / TICKS)
    top = step * math.ceil(max(values, default=1.0) * HEADROOM / step)
    bottom = min(0.0, min(values, default=0.0))

    def x(value: float) -> float:
        return round((value - bottom) / (top - bottom) * WIDTH, 1)

    bars = []
    for figure in sorted(figures, key=lambda f: (_centre(f), f.source)):
        low, high = figure.quantity.low, figure.quantity.high
        approx = figure.quantity.qualifier == "approx"
        bars.append(
            Bar(
                source=figure.source,
                article_id=figure.article_id,
                sentence_index=sentence_of.get(figure.claim_id),
                speaker=figure.speaker.name if figure.speaker else None,
                text=figure.quantity.text,
                x_low=x(low) if low is not None else 0.0,
                x_high=x(high) if high is not None else float(WIDTH),
                open_low=low is None,
                open_high=high is None,
                whisker_low=x(low * (1 - tolerance)) if approx and low else None,
                whisker_high=x(high * (1 + tolerance)) if approx and high else None,
            )
        )
    count = round((top - bottom) / step)
    ticks = tuple(
        (x(bottom + i * step), _tick(bottom + i * step)) for i in range(count + 1)
    )
    unit = next((f.quantity.unit for f in figures if f.quantity.unit), None)
    return MeasureChart(counted, unit, tuple(bars), ticks, disagreeing)


def _step(rough: float) -> float:
    """A round tick step near ``rough``: 1, 2 or 5 times a power of ten."""
    if rough <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _centre(figure: FigureClaim) -> float:
    low, high = figure.quantity.low, figure.quantity.high
    if low is not None and high is not None:
        return (low + high) / 2
    return low if low is not None else high if high is not None else 0.0


def _tick(value: float) -> str:
    """A short axis label: 2,500, 1.2m, 3.4bn."""
    for size, suffix in ((1e9, "bn"), (1e6, "m")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.3g}"
