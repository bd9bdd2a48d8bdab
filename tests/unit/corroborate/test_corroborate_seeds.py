"""The seed corpus through ingest, dedupe, claims and corroborate, in file order."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.claims import extract_claims
from pipeline.corroborate import (
    CorroborateSettings,
    Corroboration,
    Corroborator,
    heir,
)
from pipeline.state import OrderedKeys
from pipeline.state.cached import CachedStore
from schemas import Claim
from schemas.corroborate import ClaimCluster, FigureComparison
from tests.unit.dedupe.test_dedupe_seeds import dedupe_in_order, ingest_seeds
from tests.unit.stores import TableLikeStore

SEEN_AT = datetime(2025, 1, 13, tzinfo=UTC)


class Outcome:
    def __init__(self) -> None:
        root = Path(__file__).resolve().parents[3] / "seeds"
        articles = dedupe_in_order(ingest_seeds(root))
        self.claimed = [
            a.model_copy(update={"claims": claims})
            for a, claims in zip(articles, extract_claims(articles), strict=True)
        ]
        corroborator = Corroborator({}, OrderedKeys(), settings=CorroborateSettings())
        self.clusters: dict[str, ClaimCluster] = {}
        self.comparisons: list[FigureComparison] = []
        self.claims: list[Claim] = []
        self.results: list[Corroboration] = []
        for article in self.claimed:
            result = corroborator.corroborate(article, seen_at=SEEN_AT)
            self.results.append(result)
            self.clusters.update((c.cluster_id, c) for c in result.clusters)
            self.comparisons += result.comparisons
            self.claims += result.article.claims
        # Each claim in the cluster that holds it at the end, merges followed.
        self.claims = [
            c.model_copy(update={"cluster_id": heir(self.clusters, c.cluster_id)})
            if c.cluster_id is not None
            else c
            for c in self.claims
        ]

    def cluster_of(self, start: str) -> ClaimCluster:
        (claim,) = [c for c in self.claims if c.text.startswith(start)][:1]
        assert claim.cluster_id is not None
        return self.clusters[claim.cluster_id]


@pytest.fixture(scope="module")
def outcome() -> Outcome:
    return Outcome()


@pytest.mark.parametrize("kept", [1, 16, 4096])
def test_a_cache_before_a_table_decides_as_a_dict_does(
    outcome: Outcome, kept: int
) -> None:
    """The worker reads its tables through a CachedStore: whatever it keeps or
    evicts, the decisions are those of a dict store (extract's)."""
    table = TableLikeStore()
    corroborator = Corroborator(
        CachedStore(table, kept), OrderedKeys(), settings=CorroborateSettings()
    )
    results = [corroborator.corroborate(a, seen_at=SEEN_AT) for a in outcome.claimed]
    assert results == outcome.results


def test_every_claim_has_a_cluster(outcome: Outcome) -> None:
    assert all(c.cluster_id for c in outcome.claims)


def test_the_capture_is_one_cluster_of_independent_sources(outcome: Outcome) -> None:
    cluster = outcome.cluster_of("Ukraine captured two wounded North Korean")
    capture_words = ("captured two", "captured 2")
    tellings = [c for c in outcome.claims if any(w in c.text for w in capture_words)]
    joined = [c for c in tellings if c.cluster_id == cluster.cluster_id]
    assert len(joined) >= 0.8 * len(tellings)
    assert cluster.independent_sources >= 3
    assert len(cluster.sources) > cluster.independent_sources - 1
    copies = [m for m in cluster.members if not m.independent]
    assert copies  # the repeated sentences of the second seed
    assert all(m.source.startswith("001") for m in copies)


@pytest.mark.parametrize(
    "start",
    [
        "President Joe Biden's foreign policy legacy",
        "Sir John Sawers raised concerns",
        "Amid these developments, Russia announced the capture of two villages",
        "The move by an agency within the Department of Homeland Security",
    ],
)
def test_unrelated_claims_stay_alone(outcome: Outcome, start: str) -> None:
    assert len(outcome.cluster_of(start).members) == 1


def test_the_offer_is_not_the_capture(outcome: Outcome) -> None:
    offer = outcome.cluster_of("Ukraine is willing to exchange captured")
    capture = outcome.cluster_of("Ukraine captured two wounded North Korean")
    assert offer.cluster_id != capture.cluster_id


def casualty_comparisons(outcome: Outcome) -> list[FigureComparison]:
    fates = ("killed", "wounded", "killed_or_wounded")
    return [c for c in outcome.comparisons if c.counted.split(":")[0] in fates]


#: The seeds' casualty figures as written: killed, or wounded, alone ...
NARROW = {"approximately 300", "at least 300", "300", "2,700", "around 2,700"}
#: ... and killed or wounded together.
ESTIMATES = {"more than 3,000", "1,000 to 3,000", "around 200"}


def test_killed_against_killed_or_wounded_is_a_different_scope(
    outcome: Outcome,
) -> None:
    mixed = [
        c
        for c in casualty_comparisons(outcome)
        if {c.first.quantity.text, c.second.quantity.text} & NARROW
        and {c.first.quantity.text, c.second.quantity.text} & ESTIMATES
    ]
    assert len(mixed) >= 3
    assert {c.relation for c in mixed} == {"different_scope"}
    assert "conflict" not in {c.relation for c in casualty_comparisons(outcome)}


def test_the_casualty_estimates_are_spread_not_contradicted(outcome: Outcome) -> None:
    pairs = {
        frozenset({c.first.quantity.text, c.second.quantity.text}): c
        for c in casualty_comparisons(outcome)
    }
    spread = pairs[frozenset({"more than 3,000", "1,000 to 3,000"})]
    assert spread.relation == "estimate_spread"
    assert spread.ratio == pytest.approx(1.5)
    among = [c for key, c in pairs.items() if key <= ESTIMATES]
    assert len(among) == 3
    assert {c.relation for c in among} == {"estimate_spread"}


def test_the_spy_agency_figures_agree(outcome: Outcome) -> None:
    killed = [
        c
        for c in casualty_comparisons(outcome)
        if c.counted.startswith("killed:") and c.first.quantity.low == 300
    ]
    assert killed
    assert {c.relation for c in killed} == {"consistent"}
