"""Amounts and percentages compared like with like, and what is never compared."""

from __future__ import annotations

import pytest

from pipeline.corroborate.compare import interval, relate
from schemas import DateMention, Entity, Quantity
from schemas.corroborate import FigureComparison
from tests.unit.corroborate.test_corroborate_figures import figure
from tests.unit.corroborate.test_corroborate_stage import (
    ArticleFactory,
    Desk,
    article_factory,
    claim,
    desk,
)

__all__ = ["article_factory", "desk"]  # fixtures

YUKOS = (Entity(text="Yugansk", label="ORG"), Entity(text="Baikal", label="ORG"))


def money(text: str, value: float, unit: str) -> Quantity:
    return Quantity(text=text, low=value, high=value, unit=unit)


def paid(usd: str, gbp: str) -> str:
    return f"Baikal paid 260.75bn roubles ({usd}; {gbp}) for Yugansk at the auction."


def compared(
    desk: Desk, article_factory: ArticleFactory, first: object, second: object
) -> tuple[FigureComparison, ...]:
    desk(article_factory("a", first))
    return desk(article_factory("b", second)).comparisons


def test_a_conversion_is_not_a_second_figure(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    # The dollars agree; the pounds are the same dollars at another day's rate.
    first = claim(
        paid("$9.37bn", "£4.8bn"),
        quantities=(money("$9.37bn", 9.37e9, "USD"), money("£4.8bn", 4.8e9, "GBP")),
        entities=YUKOS,
    )
    second = claim(
        paid("$9.4bn", "£5.1bn"),
        quantities=(money("$9.4bn", 9.4e9, "USD"), money("£5.1bn", 5.1e9, "GBP")),
        entities=YUKOS,
    )
    (comparison,) = compared(desk, article_factory, first, second)
    assert comparison.counted == "measure:USD"
    assert comparison.relation == "consistent"  # $9.4bn is $9.35bn to $9.45bn


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("£1.3bn", 1.25e9, 1.35e9),
        ("29%", 28.5, 29.5),
        ("146,000", 146_000, 146_000),
        ("about 300", 264, 336),
    ],
)
def test_a_rounded_figure_spans_its_last_digit(
    text: str, low: float, high: float
) -> None:
    digits = "".join(c for c in text if c.isdigit() or c == ".")
    value = float(digits) * (1e9 if "bn" in text else 1)
    qualifier = "approx" if text.startswith("about") else None
    quantity = Quantity(text=text, low=value, high=value, qualifier=qualifier)
    span = interval(quantity, tolerance=0.12)
    assert span.low == pytest.approx(low)
    assert span.high == pytest.approx(high)


def jobs(text: str, value: float) -> Quantity:
    return Quantity(text=text, low=value, high=value, counted="jobs")


def test_an_expectation_against_an_outcome_is_its_own_relation(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    first = claim(
        "US firms were expected to add 190,000 jobs in January.",
        quantities=(jobs("190,000", 190_000),),
        entities=(),
    )
    second = claim(
        "US firms added only 146,000 jobs in January.",
        quantities=(jobs("146,000", 146_000),),
        entities=(),
    )
    (comparison,) = compared(desk, article_factory, first, second)
    assert comparison.relation == "expectation"


def test_figures_for_other_months_are_a_different_scope() -> None:
    january, march = figure(5.5), figure(5.2, claim_id="c2")
    january["periods"], march["periods"] = ["2005-01"], ["2005-03"]
    assert relate(january, march, tolerance=0.12)[0] == "different_scope"
    march["periods"] = ["2005-01"]
    assert relate(january, march, tolerance=0.12)[0] == "conflict"


def test_claims_about_other_months_are_never_a_conflict(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    rate = "The UK unemployment rate was {} in {}, official figures showed."
    first, second = (
        claim(
            rate.format(text, month),
            quantities=(money(text, value, "percent"),),
            entities=(),
            dates=(DateMention(text=month),),
        )
        for text, value, month in (("5.5%", 5.5, "January"), ("5.2%", 5.2, "March"))
    )
    relations = {c.relation for c in compared(desk, article_factory, first, second)}
    assert relations <= {"different_scope"}


def test_an_article_does_not_corroborate_itself(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    said = "voted to raise interest rates to 5%, the minutes showed."
    result = desk(
        article_factory(
            "a",
            claim(f"Paul Tucker {said}", quantities=(money("5%", 5, "percent"),)),
            claim(
                f"One member, Paul Tucker, {said}",
                quantities=(money("5%", 5, "percent"),),
            ),
        )
    )
    assert result.comparisons == ()


def test_a_kind_given_twice_in_one_claim_is_not_paired(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    score = "Moya won 6-2 7-6 to give Spain a 3-1 lead in the final."
    sets = tuple(
        Quantity(text=t, low=float(t), high=float(t), counted="lead")
        for t in ("6", "2", "7", "6")
    )
    comparisons = compared(
        desk,
        article_factory,
        claim(score, quantities=sets, entities=()),
        claim(score.replace("final", "Davis Cup final"), quantities=sets, entities=()),
    )
    assert comparisons == ()


def test_amounts_of_two_named_speakers_are_not_compared(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    said = "said its exposure to the disaster was {} ({}), in a statement."
    first = claim(
        said.format("120.7m euros", "$158.8m"),
        quantities=(money("120.7m euros", 120.7e6, "EUR"),),
        speaker="Deutsche Boerse",
        entities=(),
    )
    second = claim(
        said.format("less than 100m euros", "$136m"),
        quantities=(money("less than 100m euros", 100e6, "EUR"),),
        speaker="Munich Re",
        entities=(),
    )
    assert compared(desk, article_factory, first, second) == ()
