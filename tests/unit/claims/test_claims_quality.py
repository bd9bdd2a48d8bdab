"""The claims stage's quality gate on real news: floors under what
bench/claims_bbc.py measures on the labelled BBC articles (bench/labels/bbc-claims,
rules in docs/labelling.md), on both its splits, so a change that loses quality
fails here rather than in a reader's hands. Raise a floor when a change lifts its
figure on both splits; never lower one to let a change through."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import CORPORA, ROOT

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

#: A little under the figures measured when each floor was last raised.
FLOORS: dict[str, dict[str, float]] = {
    "dev": {
        "claim precision": 0.85,
        "claim recall": 0.90,
        "speaker right": 0.81,
        "speaker type right": 0.84,
        "figure precision": 0.88,
        "figure recall": 0.89,
        "money recall": 0.91,
        "date accuracy": 0.84,
        "hedged agrees": 0.92,
    },
    # politics-290, an opinion piece with some 190 readers' comments under it, is
    # over half of the held-out split's sentences. Its comments are boilerplate
    # since ingest marks comment blocks: no claims, hence none of the figures and
    # dates the labels count in them (recall here), and far fewer false claims.
    "held-out": {
        "claim precision": 0.86,
        "claim recall": 0.82,
        "speaker right": 0.68,
        "speaker type right": 0.94,
        "figure precision": 0.94,
        "figure recall": 0.69,
        "money recall": 0.85,
        "date accuracy": 0.65,
        "hedged agrees": 0.91,
    },
}
#: Ceilings for the shares that must stay low.
CEILINGS: dict[str, dict[str, float]] = {
    "dev": {"speaker missing": 0.13, "speaker spurious": 0.11},
    "held-out": {"speaker missing": 0.26, "speaker spurious": 0.07},
}


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, float]]:
    if not (CORPORA / "bbc-news").is_dir():
        pytest.skip("the BBC News corpus is not beside the repository")
    out = tmp_path_factory.mktemp("quality") / "claims.json"
    bench = ROOT / "bench" / "claims_bbc.py"
    subprocess.run([sys.executable, str(bench), "--json", str(out)], check=True)
    figures: dict[str, dict[str, float]] = json.loads(out.read_text())
    return figures


@pytest.mark.parametrize("split", ["dev", "held-out"])
def test_every_figure_holds_its_floor(
    measured: dict[str, dict[str, float]], split: str
) -> None:
    below = {
        name: (measured[split][name], floor)
        for name, floor in FLOORS[split].items()
        if not measured[split][name] >= floor
    }
    assert not below, f"{split}: under the floor (measured, floor): {below}"


@pytest.mark.parametrize("split", ["dev", "held-out"])
def test_speaker_misses_stay_under_their_ceilings(
    measured: dict[str, dict[str, float]], split: str
) -> None:
    above = {
        name: (measured[split][name], ceiling)
        for name, ceiling in CEILINGS[split].items()
        if not measured[split][name] <= ceiling
    }
    assert not above, f"{split}: over the ceiling (measured, ceiling): {above}"


def test_the_labels_cover_forty_articles(measured: dict[str, dict[str, float]]) -> None:
    # A floor met on fewer articles (labels lost, the corpus moved) proves little.
    assert measured["dev"]["articles"] + measured["held-out"]["articles"] >= 40
    assert measured["held-out"]["articles"] >= 10
