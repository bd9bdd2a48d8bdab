"""The figure comparisons gate on real news: what bench/comparisons_bbc.py counts
on the 186 labelled BBC articles. Two figures of one sentence (a currency
conversion) or of a sentence and its repeat are never compared, and conflicts stay
a small share: when comparisons of unlike figures creep in, most of them are
conflicts. Whether the comparisons make sense was read (docs/corroboration-
quality.md, "Comparisons")."""

from __future__ import annotations

import pytest

from tests.conftest import bbc_bench_figures

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

#: A little above the share measured when the comparisons were last read (2/51).
CONFLICT_SHARE_CEILING = 0.10


@pytest.fixture(scope="module")
def measured() -> dict[str, float]:
    return bbc_bench_figures("comparisons_bbc.py", "--show", "0")


def test_no_conversion_or_repeat_is_compared(measured: dict[str, float]) -> None:
    assert measured["within one sentence"] == 0, measured
    assert measured["a sentence and its repeat"] == 0, measured


def test_conflicts_stay_a_small_share(measured: dict[str, float]) -> None:
    assert measured["comparisons"] >= 40, measured  # money and rates are compared
    conflicts = measured.get("relation conflict", 0) / measured["comparisons"]
    assert conflicts <= CONFLICT_SHARE_CEILING, measured
