"""Each source's figure for one measure, laid out on one axis."""

from __future__ import annotations

from pipeline.serve.charts import WIDTH, measure_charts
from schemas import FigureClaim, FigureComparison, Quantity
from schemas.corroborate import Relation


def _figure(
    source: str, text: str, low: float | None, high: float | None, **kw: str
) -> FigureClaim:
    return FigureClaim(
        claim_id=f"{source}-{text}",
        article_id=source,
        source=source,
        cluster_id="k",
        quantity=Quantity(text=text, low=low, high=high, **kw),  # type: ignore[arg-type]
    )


def _compare(
    counted: str, relation: Relation, a: FigureClaim, b: FigureClaim
) -> FigureComparison:
    return FigureComparison(
        comparison_id=f"{a.claim_id}/{b.claim_id}",
        relation=relation,
        counted=counted,
        first=a,
        second=b,
        explanation="",
    )


def test_ranges_points_and_open_ends_land_on_one_axis() -> None:
    range_ = _figure("a", "1,000 to 3,000", 1000, 3000)
    open_ = _figure("b", "more than 3,000", 3000, None, qualifier="more_than")
    about = _figure("c", "around 200", 200, 200, qualifier="approx")
    comparisons = [
        _compare("killed:soldier", "estimate_spread", range_, open_),
        _compare("killed:soldier", "estimate_spread", range_, about),
    ]
    (chart,) = measure_charts(comparisons, approx_tolerance=0.1)
    bars = {bar.source: bar for bar in chart.bars}
    assert [bar.source for bar in chart.bars] == ["c", "a", "b"]  # by value
    assert bars["a"].x_low < bars["a"].x_high < bars["b"].x_high == WIDTH
    assert bars["a"].x_high == bars["b"].x_low  # 3,000 is one place
    assert bars["b"].open_high
    assert not bars["a"].open_high
    assert bars["c"].point
    assert bars["c"].whisker_low is not None
    assert bars["c"].whisker_low < bars["c"].x_low < bars["c"].whisker_high  # type: ignore[operator]
    labels = [label for _, label in chart.ticks]
    assert labels[0] == "0"
    assert all(label.endswith("00") for label in labels[1:])
    assert chart.disagreeing


def test_disagreeing_measures_come_first_and_one_figure_is_no_chart() -> None:
    two = _figure("a", "two", 2, 2)
    also_two = _figure("b", "2", 2, 2)
    charts = measure_charts(
        [
            _compare("captured:soldier", "consistent", two, also_two),
            _compare(
                "wounded:soldier",
                "conflict",
                _figure("a", "5", 5, 5),
                _figure("b", "9", 9, 9),
            ),
            _compare("killed:soldier", "consistent", two, two),
        ]
    )
    assert [(c.counted, c.disagreeing) for c in charts] == [
        ("wounded:soldier", True),
        ("captured:soldier", False),
    ]


def test_a_source_giving_one_figure_twice_is_drawn_once() -> None:
    first = _figure("a", "300", 300, 300)
    again = FigureClaim(**{**first.model_dump(), "claim_id": "other"})
    (chart,) = measure_charts(
        [
            _compare(
                "killed:soldier", "conflict", first, _figure("b", "900", 900, 900)
            ),
            _compare(
                "killed:soldier", "conflict", again, _figure("b", "900", 900, 900)
            ),
        ]
    )
    assert sorted(bar.source for bar in chart.bars) == ["a", "b"]
