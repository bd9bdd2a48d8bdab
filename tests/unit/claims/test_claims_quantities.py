"""Figures as intervals: pipeline.claims.quantities on hand-written text."""

from __future__ import annotations

import pytest

from pipeline.claims import load_model
from pipeline.claims.numbers import parse_number
from pipeline.claims.quantities import find_quantities
from schemas import Quantity


def quantities(text: str) -> tuple[Quantity, ...]:
    return find_quantities(load_model()(text)[:])


def only(text: str) -> Quantity:
    [quantity] = quantities(text)
    return quantity


def test_spelled_count_is_an_exact_interval_with_its_noun() -> None:
    quantity = only("Ukraine captured two soldiers in the Kursk region.")
    assert (quantity.low, quantity.high, quantity.counted) == (2, 2, "soldiers")
    assert quantity.qualifier is None


def test_count_before_adjectives_counts_the_head_noun() -> None:
    quantity = only("Ukraine captured two wounded North Korean soldiers.")
    assert (quantity.low, quantity.high, quantity.counted) == (2, 2, "soldiers")


def test_range_with_to() -> None:
    quantity = only("Pyongyang had sent 10,000 to 12,000 troops to Russia.")
    assert (quantity.low, quantity.high, quantity.counted) == (10000, 12000, "troops")


def test_range_with_hyphen_in_one_token() -> None:
    quantity = only("Officials said 1,000-3,000 soldiers were lost.")
    assert (quantity.low, quantity.high) == (1000, 3000)


def test_between_x_and_y() -> None:
    quantity = only("Between 40 and 50 villages were shelled overnight.")
    assert (quantity.low, quantity.high) == (40, 50)


@pytest.mark.parametrize(
    ("text", "low", "qualifier"),
    [
        ("More than 3,000 soldiers had been killed or wounded.", 3000, "more_than"),
        ("At least 300 soldiers have been killed.", 300, "at_least"),
        ("They deployed over 10,000 soldiers to the front.", 10000, "more_than"),
    ],
)
def test_lower_bounds_have_no_upper_bound(
    text: str, low: float, qualifier: str
) -> None:
    quantity = quantities(text)[0]
    assert (quantity.low, quantity.high, quantity.qualifier) == (low, None, qualifier)


def test_upper_bounds_have_no_lower_bound() -> None:
    quantity = only("Fewer than 50 people attended the hearing.")
    assert (quantity.low, quantity.high, quantity.qualifier) == (None, 50, "less_than")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Approximately 300 soldiers have been killed.", 300),
        ("Around 200 troops have been killed or wounded in battle.", 200),
    ],
)
def test_approximate_figures(text: str, value: float) -> None:
    quantity = only(text)
    assert (quantity.low, quantity.high, quantity.qualifier) == (value, value, "approx")


def test_participle_is_what_is_counted() -> None:
    found = quantities("300 soldiers had been killed in fighting with 2,700 wounded.")
    assert [(q.low, q.counted) for q in found] == [(300, "soldiers"), (2700, "wounded")]


def test_killed_or_wounded_stays_in_the_counted_phrase() -> None:
    quantity = only("Estimates range from 1,000 to 3,000 soldiers killed or wounded.")
    assert (quantity.low, quantity.high) == (1000, 3000)
    assert quantity.counted == "soldiers killed or wounded"


@pytest.mark.parametrize(
    "text",
    [
        "The soldier stated that he was born in 2005.",
        "He had been serving in the army since 2021.",
        "It was the first such conflict since the 1950-53 Korean War.",
        "The soldiers were captured on January 9 in the Kursk region.",
    ],
)
def test_years_and_days_are_not_figures(text: str) -> None:
    assert quantities(text) == ()


def test_durations_keep_their_time_unit() -> None:
    quantity = only("Russia invaded almost three years ago.")
    assert (quantity.low, quantity.unit, quantity.qualifier) == (3, "years", "approx")
    assert quantity.counted is None


def test_hyphenated_duration() -> None:
    quantity = only("It is an almost 3-year war against its neighbour.")
    assert (quantity.low, quantity.unit) == (3, "years")


@pytest.mark.parametrize(
    ("text", "low"),
    [
        ("Dozens of soldiers were captured.", 24),
        ("Thousands of supporters gathered.", 1000),
        ("Several hundred people had gathered on foot.", 200),
    ],
)
def test_vague_amounts_have_only_the_least_they_can_mean(text: str, low: float) -> None:
    quantity = only(text)
    assert (quantity.low, quantity.high, quantity.qualifier) == (low, None, "vague")


@pytest.mark.parametrize(
    ("text", "low", "high", "unit"),
    [
        ("Sales rose by a fifth last year.", 0.2, 0.2, "fraction"),
        ("It has more than a quarter of the market.", 0.25, None, "fraction"),
        ("By 2014, one in four Turks will be young.", 0.25, 0.25, "fraction"),
        (
            "Debit cards account for two-thirds of transactions.",
            2 / 3,
            2 / 3,
            "fraction",
        ),
        ("Sweeps are held twice each year.", 2, 2, "times"),
        ("Nearly half a million children skip school.", 5e5, 5e5, None),
    ],
)
def test_fractions_and_multiples(
    text: str, low: float | None, high: float | None, unit: str | None
) -> None:
    quantity = quantities(text)[0]
    assert (quantity.low, quantity.high, quantity.unit) == (low, high, unit)


@pytest.mark.parametrize(
    "text",
    [
        "He told BBC Radio 4 that the deal was done.",
        "The firm filed for Chapter 11 protection.",
        "The firm published its 2003 results on Monday.",
        "Sales fell in the first quarter of the year.",
    ],
)
def test_numbers_in_names_and_years_before_a_noun_are_not_figures(text: str) -> None:
    assert quantities(text) == ()


def test_went_up_to_is_the_value_reached_not_a_bound() -> None:
    rate = only("The rate went up to 5.5% in May.")
    assert (rate.low, rate.high) == (5.5, 5.5)


def test_percent_and_money_have_units() -> None:
    percent, money = quantities("Prices rose 12 percent, costing $4.5 billion.")
    assert (percent.low, percent.unit) == (12, "percent")
    assert (money.low, money.unit) == (4_500_000_000, "USD")


@pytest.mark.parametrize(
    ("words", "value"),
    [
        (["twenty", "-", "five"], 25),
        (["two", "hundred"], 200),
        (["1.5", "million"], 1_500_000),
        (["2,700"], 2700),
        (["three", "thousand", "four", "hundred"], 3400),
    ],
)
def test_number_words(words: list[str], value: float) -> None:
    assert parse_number(words) == value


@pytest.mark.parametrize(
    ("text", "low", "unit"),
    [
        ("Its profit rose to $1.13bn last year.", 1.13e9, "USD"),
        ("Its profit rose to £933m last year.", 9.33e8, "GBP"),
        ("Profit fell 27% to $284m.", 2.84e8, "USD"),
        ("Baikal paid 260.75bn roubles for the unit.", 2.6075e11, "RUB"),
        ("Debt reached $27 billion in May.", 2.7e10, "USD"),
        ("Profit was HK$327m in the quarter.", 3.27e8, "HKD"),
        ("Profit was HK$327m (US$42m) in the quarter.", 4.2e7, "USD"),
        ("Shares closed at 797p on Friday.", 7.97, "GBP"),
        ("Shares were up 56 pence in early trade.", 0.56, "GBP"),
        ("The share price was down at 1218 pence.", 12.18, "GBP"),
    ],
)
def test_money_as_newsrooms_write_it_is_fully_scaled(
    text: str, low: float, unit: str
) -> None:
    [money] = [q for q in quantities(text) if q.unit == unit]
    assert (money.low, money.high) == (low, low)


def test_an_abbreviated_million_counts_a_plural_noun_but_not_a_length() -> None:
    assert only("The union said 1.4m workers would strike.").low == 1.4e6
    assert only("They built a 5 m wall around the site.").low == 5


@pytest.mark.parametrize(
    "text",
    [
        "The number out of work rose 32,000 to 1.41 million.",
        "The jobless rate rose from 4.6% to 4.7% in the quarter.",
        "The claimant count fell by 11,000 to 813,200.",
    ],
)
def test_a_change_from_one_figure_to_another_is_two_figures(text: str) -> None:
    assert [(q.low, q.high) for q in quantities(text)] == [
        (q.low, q.low) for q in quantities(text)
    ]
    assert len(quantities(text)) == 2


def test_a_bound_before_a_currency_sign_still_bounds_the_money() -> None:
    money = only("The deal could be worth more than $1.8bn.")
    assert (money.low, money.high, money.qualifier, money.unit) == (
        1.8e9,
        None,
        "more_than",
        "USD",
    )


@pytest.mark.parametrize(
    "text",
    [
        "The rate remains one of the lowest in the world.",
        "Aid will be given between 2005 and 2007.",
    ],
)
def test_one_of_and_a_span_of_years_are_not_figures(text: str) -> None:
    assert quantities(text) == ()


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("As many as 50,000 textile workers could lose their jobs.", None, 50000),
        ("The deal could be worth as much as $6bn.", None, 6e9),
        ("The rebate is up to a maximum of £500.", None, 500),
        ("One in four will be aged 14 or less.", None, 14),
        ("Pensioners aged 65 or over will get the rebate.", 65, None),
        ("Analysts valued the tracks at between £40m and £50m.", 4e7, 5e7),
    ],
)
def test_bounds_written_around_the_number(
    text: str, low: float | None, high: float | None
) -> None:
    figures = [(q.low, q.high) for q in quantities(text)]
    assert (low, high) in figures
