"""What a figure counts, and how two figures relate."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.corroborate.compare import Comparer, interval, overlaps, relate
from pipeline.corroborate.figures import read_figures
from pipeline.corroborate.records import FigureRecord
from schemas import Claim, Entity, Quantity

TOLERANCE = 0.12


def claim(text: str, *quantities: Quantity) -> Claim:
    return Claim(
        claim_id="c",
        article_id="a",
        sentence_index=0,
        text=text,
        quantities=quantities,
        entities=(Entity(text="North Korean", label="NORP"),),
    )


@pytest.mark.parametrize(
    ("text", "quantity", "category"),
    [
        ("Ukraine captured two wounded soldiers.", "two", "captured:soldier"),
        ("Two soldiers who were captured by Ukraine.", "Two", "captured:soldier"),
        ("300 soldiers have been killed and more.", "300", "killed:soldier"),
        (
            "200 troops in Kursk have been killed or wounded.",
            "200",
            "killed_or_wounded:soldier",
        ),
        ("Pyongyang had sent 10,000 troops to Russia.", "10,000", "deployed:soldier"),
        ("He shared a video of the two captured soldiers.", "two", "count:soldier"),
        ("Russia announced the capture of two villages.", "two", "captured:villag"),
        (
            "Kyiv captured two soldiers and said Pyongyang was sending troops.",
            "two",
            "captured:soldier",
        ),
    ],
)
def test_what_a_figure_counts(text: str, quantity: str, category: str) -> None:
    after = text.split(quantity, 1)[1].split()
    nouns = {"soldiers", "troops", "villages"}
    counted = next(w.rstrip(".") for w in after if w.rstrip(".") in nouns)
    value = {"two": 2, "Two": 2}.get(quantity) or float(quantity.replace(",", ""))
    (figure,) = read_figures(
        claim(text, Quantity(text=quantity, low=value, high=value, counted=counted))
    )
    assert figure.category == category


def test_a_second_figure_takes_its_noun_and_subject_from_the_first() -> None:
    text = "300 North Korean soldiers were killed and another 2,700 injured."
    killed = Quantity(text="300", low=300, high=300, counted="soldiers")
    wounded = Quantity(text="2,700", low=2700, high=2700, counted="injured")
    figures = read_figures(claim(text, killed, wounded))
    assert [f.category for f in figures] == ["killed:soldier", "wounded:soldier"]
    assert [sorted(f.subject) for f in figures] == [["north kore"], ["north kore"]]


def figure(
    low: float | None,
    high: float | None = None,
    *,
    qualifier: str | None = None,
    fate: str = "killed_or_wounded",
    speaker: str | None = None,
    hedged: bool = False,
    when: str | None = None,
    claim_id: str = "c1",
    time: float = 0.0,
) -> FigureRecord:
    high = low if high is None and qualifier not in {"more_than", "at_least"} else high
    quantity: dict[str, Any] = Quantity(
        text=f"{low}", low=low, high=high, qualifier=qualifier, counted="soldiers"
    ).model_dump()
    return FigureRecord(
        claim_id=claim_id,
        index=0,
        article_id=f"a-{claim_id}",
        source=f"s-{claim_id}",
        cluster_id="k",
        speaker=None if speaker is None else {"name": speaker, "type": "person"},
        quantity=quantity,
        when=when,
        dated=when is not None and when[:1].isdigit(),
        category=f"{fate}:soldier",
        fate=fate,
        subject=["north kore"],
        context=[],
        hedged=hedged or qualifier == "approx",
        time=time,
        seq=1,
    )


@pytest.mark.parametrize(
    ("first", "second", "relation"),
    [
        (figure(300, qualifier="approx"), figure(320), "consistent"),
        (figure(300, qualifier="at_least"), figure(300), "consistent"),
        (figure(1000, 3000), figure(2500), "consistent"),
        (
            figure(300, fate="killed"),
            figure(3000, qualifier="more_than"),
            "different_scope",
        ),
        (
            figure(2700, fate="wounded"),
            figure(200, qualifier="approx"),
            "different_scope",
        ),
        (
            figure(200, speaker="Volodymyr Zelenskyy"),
            figure(3000, speaker="President Zelenskyy", claim_id="c2"),
            "update",
        ),
        (
            figure(200, when="2024-12-01"),
            figure(3000, when="2025-01-10"),
            "different_scope",
        ),
        (
            figure(3000, qualifier="more_than", hedged=True),
            figure(1000, 3000, hedged=True),
            "estimate_spread",
        ),
        (figure(200, qualifier="approx"), figure(1000, 3000), "estimate_spread"),
        (figure(300), figure(900), "conflict"),
        (figure(200, when="last month"), figure(3000, when="this week"), "conflict"),
    ],
)
def test_relations(first: FigureRecord, second: FigureRecord, relation: str) -> None:
    assert relate(first, second, tolerance=TOLERANCE)[0] == relation


def test_a_different_scope_is_never_a_conflict() -> None:
    for value in (10, 300, 3000, 30000):
        killed = figure(value, fate="killed")
        both = figure(1000, 3000, claim_id="c2")
        assert relate(killed, both, tolerance=TOLERANCE)[0] == "different_scope"


def test_open_ranges_touching_at_their_bound_do_not_overlap() -> None:
    more = interval(Quantity(text="x", low=3000, qualifier="more_than"), tolerance=0)
    upto = interval(Quantity(text="x", low=1000, high=3000), tolerance=0)
    least = interval(Quantity(text="x", low=3000, qualifier="at_least"), tolerance=0)
    assert not overlaps(more, upto)
    assert overlaps(least, upto)


def test_a_comparison_reads_well_and_has_a_stable_id() -> None:
    first = figure(3000, qualifier="more_than", speaker="Zelenskyy", hedged=True)
    second = figure(1000, 3000, hedged=True, claim_id="c2", time=1.0)
    second["speaker"] = {"name": "South Korean reports", "type": "unknown"}
    compare = Comparer(tolerance=TOLERANCE).compare
    comparison = compare(first, second)
    assert comparison.ratio == 1.5
    assert comparison.explanation.startswith("3000 killed or wounded (Zelenskyy) vs")
    assert "do not overlap; both are estimates" in comparison.explanation
    assert compare(second, first).comparison_id == (comparison.comparison_id)


def test_a_figure_written_again_is_compared_as_written_now() -> None:
    """A comparer keeps each figure's published form; a claim decided again (after
    a crash) writes its figure anew, with a new place in the decision order."""
    compare = Comparer(tolerance=TOLERANCE).compare
    later = figure(300, claim_id="c2", time=1.0)
    assert compare(figure(100), later).first.quantity.low == 100
    again = figure(200)
    again["seq"] = 7
    comparison = compare(again, later)
    assert comparison.first.quantity.low == 200
    assert comparison.ratio == 1.5
