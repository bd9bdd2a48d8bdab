"""The grouping of a window does not depend on the order its claims arrived in.

The seed articles, with their claims, are decided in file order, reversed and
shuffled. Each claim's cluster is followed through ``merged_into`` to the cluster
that holds it at the end: the grouping, and the names of its clusters, are the
same in every order, and every published pointer leads to a live cluster. The
five seeds are one story in every order.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.claims import extract_claims
from pipeline.corroborate import CorroborateSettings, Corroborator, heir
from pipeline.state import OrderedKeys
from schemas import EnrichedArticle, Story
from schemas.corroborate import ClaimCluster
from tests.unit.dedupe.test_dedupe_seeds import dedupe_in_order, ingest_seeds

SEEN_AT = datetime(2025, 1, 13, tzinfo=UTC)


class Replay:
    """The articles decided in one order: every claim's cluster at the end, and
    the latest record of every story."""

    def __init__(self, articles: list[EnrichedArticle]) -> None:
        corroborator = Corroborator({}, OrderedKeys(), settings=CorroborateSettings())
        self.latest: dict[str, ClaimCluster] = {}
        self.stories: dict[str, Story] = {}
        self.placed: dict[str, str] = {}
        for article in articles:
            result = corroborator.corroborate(article, seen_at=SEEN_AT)
            self.latest.update((c.cluster_id, c) for c in result.clusters)
            self.stories.update((s.story_id, s) for s in result.stories)
            for claim in result.article.claims:
                assert claim.cluster_id is not None
                self.placed[claim.claim_id] = claim.cluster_id
        self.final = {claim: heir(self.latest, c) for claim, c in self.placed.items()}

    def grouping(self) -> set[frozenset[str]]:
        groups: dict[str, set[str]] = {}
        for claim, cluster_id in self.final.items():
            groups.setdefault(cluster_id, set()).add(claim)
        return {frozenset(g) for g in groups.values()}


@pytest.fixture(scope="module")
def claimed() -> list[EnrichedArticle]:
    root = Path(__file__).resolve().parents[3] / "seeds"
    articles = dedupe_in_order(ingest_seeds(root))
    return [
        a.model_copy(update={"claims": claims})
        for a, claims in zip(articles, extract_claims(articles), strict=True)
    ]


@pytest.fixture(scope="module")
def replays(claimed: list[EnrichedArticle]) -> list[Replay]:
    shuffled = random.Random(7).sample(claimed, len(claimed))
    return [Replay(order) for order in (claimed, claimed[::-1], shuffled)]


def test_three_orders_give_one_grouping(replays: list[Replay]) -> None:
    first, *others = replays
    assert len(first.grouping()) < len(first.final), "nothing was grouped"
    for other in others:
        assert other.grouping() == first.grouping()


def test_three_orders_give_the_same_names(replays: list[Replay]) -> None:
    first, *others = replays
    for other in others:
        assert other.final == first.final


def test_the_live_clusters_list_the_same_members(replays: list[Replay]) -> None:
    def live(replay: Replay) -> dict[str, tuple[int, int, frozenset[str]]]:
        return {
            c.cluster_id: (
                c.member_count,
                c.source_count,
                frozenset(m.claim_id for m in c.members),
            )
            for c in replay.latest.values()
            if c.merged_into is None
        }

    first, *others = replays
    for other in others:
        assert live(other) == live(first)


def test_the_seeds_are_one_story_of_five_independent_sources(
    replays: list[Replay],
) -> None:
    for replay in replays:
        (story,) = [s for s in replay.stories.values() if s.merged_into is None]
        assert story.article_count == story.independent_sources == 5
        assert story.first_report is not None
        names = {heir(replay.latest, c) for c in story.clusters}
        assert names == set(story.clusters)  # published as they are now
    ids = {
        r.stories[s].story_id
        for r in replays
        for s in r.stories
        if not r.stories[s].merged_into
    }
    assert len(ids) == 1  # named after its earliest report in every order


def test_a_merge_is_published_as_a_pointer_to_a_live_cluster(
    replays: list[Replay],
) -> None:
    pointers = [c for r in replays for c in r.latest.values() if c.merged_into]
    assert pointers, "no order merged two clusters"
    for replay in replays:
        for cluster in replay.latest.values():
            if cluster.merged_into is not None:
                assert not cluster.members
                heir_ = replay.latest[heir(replay.latest, cluster.cluster_id)]
                assert heir_.merged_into is None
                assert heir_.members


def test_every_state_entry_leaves_with_the_window(
    claimed: list[EnrichedArticle],
) -> None:
    state: dict[str, object] = {}
    expiry = OrderedKeys()
    corroborator = Corroborator(state, expiry, settings=CorroborateSettings())
    for article in claimed[::-1]:
        corroborator.corroborate(article, seen_at=SEEN_AT)
    assert any(isinstance(v, dict) and "merged_into" in v for v in state.values()), (
        "reversed, the seeds merge clusters"
    )
    # A later article moves the window past the seeds.
    later = datetime(2025, 2, 13, tzinfo=UTC)
    late = claimed[0].model_copy(update={"article_id": "late", "claims": []})
    story = corroborator.corroborate(late, seen_at=later).article.story_id
    corroborator.expire(now=later)
    assert set(state) == {
        "seq",
        "watermark",
        "a:late",
        f"y:{story}",
        f"z:{story}|{late.source}",
    }


def _copy(article: EnrichedArticle, n: int, published: datetime) -> EnrichedArticle:
    """The article carried by another outlet, published at another time."""
    article_id = f"{article.article_id}-{n}"
    claims = tuple(
        c.model_copy(update={"claim_id": f"{c.claim_id}-{n}", "article_id": article_id})
        for c in article.claims
    )
    update = {
        "article_id": article_id,
        "source": f"outlet-{n}",
        "published_at": published,
        "claims": claims,
    }
    return article.model_copy(update=update)


def test_no_order_of_publication_or_arrival_merges_clusters_into_each_other(
    claimed: list[EnrichedArticle],
) -> None:
    """Copies of the seeds published at other times, arriving in any order, as
    when partitions reorder a feed. A claim may then found a cluster under the id
    of one that another claim of its own article has just absorbed: the two must
    not end up pointing at each other (a kill loop on four partitions once
    published such a pair)."""
    rng = random.Random(11)
    base = datetime(2025, 1, 12, tzinfo=UTC)
    merged = 0
    for _ in range(20):
        copies = [
            _copy(a, n, base + timedelta(minutes=rng.randrange(600)))
            for n in range(4)
            for a in claimed
        ]
        replay = Replay(rng.sample(copies, len(copies)))  # heir raises on a loop
        merged += sum(c.merged_into is not None for c in replay.latest.values())
    assert merged, "no order merged two clusters"


class _Writes(dict[str, object]):
    """A dict store that counts the writes to each key."""

    def __init__(self, items: dict[str, object]) -> None:
        super().__init__(items)
        self.writes: Counter[str] = Counter()

    def __setitem__(self, key: str, value: object) -> None:
        self.writes[key] += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.writes[key] += 1
        super().__delitem__(key)

    def pop(self, key: str, *default: object) -> object:
        self.writes[key] += key in self
        return super().pop(key, *default)


def test_one_sweep_writes_each_key_once_and_leaves_what_one_by_one_leaves(
    claimed: list[EnrichedArticle],
) -> None:
    """Articles that share clusters, posting lists and a story, forgotten in one
    sweep or one at a time, leave the same state; the sweep writes each key once."""
    base = datetime(2025, 1, 12, tzinfo=UTC)
    copies = [_copy(a, n, base + timedelta(hours=n)) for n in range(4) for a in claimed]
    state: dict[str, object] = {}
    expiry = OrderedKeys()
    corroborator = Corroborator(state, expiry, settings=CorroborateSettings())
    for article in copies:
        corroborator.corroborate(article, seen_at=SEEN_AT)
    # The window moves past the first two outlets' copies only.
    now = base + timedelta(hours=CorroborateSettings().window_hours + 1.5)
    state["watermark"] = now.timestamp()
    ends = []
    for limit in (1, None):
        store = _Writes(copy.deepcopy(state))
        forgetting = Corroborator(
            store, OrderedKeys(expiry), settings=CorroborateSettings()
        )
        if limit is None:
            assert forgetting.expire(now=now) == 2 * len(claimed)
            assert max(store.writes.values()) == 1
        else:
            while forgetting.expire(now=now, limit=limit):
                pass
            assert max(store.writes.values()) > 1  # the test shares keys
        ends.append(dict(store))
    assert ends[0] == ends[1]
    assert any(key.startswith("k:") for key in ends[0])  # later copies stay
