"""Bounded work per decision: a cluster's record stays small however many join it,
its counts stay exact as members come and go, and an article's claims are capped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson

from pipeline.corroborate import CorroborateSettings, Corroborator
from pipeline.corroborate.cache import Memo
from pipeline.corroborate.corroborator import publishable
from pipeline.corroborate.decision import bound
from pipeline.corroborate.records import (
    ClusterRecord,
    MemberRecord,
    article_key,
    cluster_key,
)
from pipeline.state import OrderedKeys
from schemas import Quantity
from schemas.corroborate import ClusterMember
from tests.unit.corroborate.test_corroborate_stage import (
    CAPTURE,
    SETTINGS,
    T0,
    ArticleFactory,
    article_factory,
    claim,
    killed,
)

__all__ = ["article_factory"]  # the fixture, shared with the corroborator's tests

OUTLETS = 7


def _desk(**settings: object) -> tuple[dict[str, object], Corroborator]:
    state: dict[str, object] = {}
    options = SETTINGS.model_copy(update=settings)
    return state, Corroborator(state, OrderedKeys(), settings=options)


def _cluster(state: dict[str, object]) -> ClusterRecord:
    """The one live cluster (copies with an earlier namer leave pointers behind)."""
    [record] = [
        v
        for k, v in state.items()
        if k.startswith("k:") and "merged_into" not in v  # type: ignore[operator]
    ]
    return record  # type: ignore[return-value]


def test_a_cluster_record_stays_bounded_and_its_counts_exact(
    article_factory: ArticleFactory,
) -> None:
    state, desk = _desk(max_members=8)
    sizes = []
    for number in range(300):
        article = article_factory(
            f"a{number}", claim(CAPTURE), source=f"outlet{number % OUTLETS}"
        )
        done = desk.corroborate(article, seen_at=T0)
        sizes.append(len(orjson.dumps(_cluster(state))))
    (published,) = done.clusters  # copies of its namer's text never rename it
    assert published.member_count == 300
    assert len(published.members) == 8
    assert published.members[0].article_id == "a0"  # its namer stays
    assert published.members[-1].article_id == "a299"
    assert published.source_count == published.independent_sources == OUTLETS
    assert len(published.sources) == OUTLETS
    # The thousandth copy of a wire story costs what the tenth did.
    assert sizes[-1] <= sizes[20] * 1.05


def test_counts_stay_exact_as_members_expire(article_factory: ArticleFactory) -> None:
    state, desk = _desk(max_members=4)
    step = timedelta(hours=1)
    for number in range(20):
        # Outlets a and b early only, c throughout: a and b leave, c stays.
        source = "c" if number % 2 or number >= 10 else "ab"[number % 4 // 2]
        moment = T0 + number * step
        article = article_factory(
            f"a{number}", claim(CAPTURE), source=source, published_at=moment
        )
        desk.corroborate(article, seen_at=moment)
    assert (_cluster(state)["count"], _cluster(state)["source_count"]) == (20, 3)
    # A later article moves the window past the first 12: a0..a11 leave.
    later = T0 + timedelta(hours=SETTINGS.window_hours + 11.5)
    desk.corroborate(
        article_factory("late", claim(CAPTURE), source="c", published_at=later),
        seen_at=later,
    )
    assert desk.expire(now=later) == 12
    cluster = _cluster(state)
    assert cluster["count"] == 9
    assert cluster["source_count"] == cluster["independent_sources"] == 1
    assert cluster["sources"] == ["c"]
    tallies = sorted(k for k in state if k.startswith("o:"))
    assert [k.rsplit("|", 1)[1] for k in tallies] == ["c"]


def test_an_articles_claims_are_capped_with_a_note(
    article_factory: ArticleFactory,
) -> None:
    _, desk = _desk(max_claims_per_article=3)
    claims = [
        claim(f"Officials said {n} boats were seen off the coast.") for n in range(5)
    ]
    done = desk.corroborate(article_factory("big", *claims), seen_at=T0)
    placed = [c.cluster_id for c in done.article.claims]
    assert all(placed[:3])
    assert placed[3:] == [None, None]
    [note] = done.article.notes
    assert note.kind == "corroboration_capped"
    assert note.detail.startswith("3 of 5 claims")
    # Redelivered, the same answer.
    assert desk.corroborate(article_factory("big", *claims), seen_at=T0) == done


def test_a_cluster_stored_before_counts_were_kept_is_counted_once(
    article_factory: ArticleFactory,
) -> None:
    state, desk = _desk()
    for number in range(3):
        article = article_factory(f"a{number}", claim(CAPTURE), source=f"s{number % 2}")
        desk.corroborate(article, seen_at=T0)
    old = dict(_cluster(state))
    for field in ("count", "sources", "source_count", "independent_sources"):
        del old[field]
    key = cluster_key(old["cluster_id"])  # type: ignore[arg-type]
    state[key] = old
    for stale in [k for k in state if k.startswith("o:")]:
        del state[stale]
    done = desk.corroborate(
        article_factory("a3", claim(CAPTURE), source="s2"), seen_at=T0
    )
    (published,) = done.clusters
    assert (published.member_count, published.source_count) == (4, 3)


def test_bound_keeps_the_first_and_latest_figures() -> None:
    settings = CorroborateSettings(max_peers=2, max_members=3)
    cluster = ClusterRecord(
        cluster_id="c",
        label="",
        first_seen=0.0,
        updated=0.0,
        members=[],
        count=0,
        sources=[],
        source_count=0,
        independent_sources=0,
        figures=[f"g{n}" for n in range(10)],
        terms=[],
    )
    bound(cluster, settings)
    assert cluster["figures"] == ["g0", "g1", "g8", "g9"]


def test_explanations_say_what_is_counted_in_words(
    article_factory: ArticleFactory,
) -> None:
    _, desk = _desk()
    people = tuple(
        Quantity(text=str(n), low=n, high=n, counted="people") for n in (120, 300)
    )
    text = "Officials said {} people attended the rally in the capital."
    desk.corroborate(
        article_factory("a", claim(text.format(120), quantities=people[:1])), seen_at=T0
    )
    done = desk.corroborate(
        article_factory("b", claim(text.format(300), quantities=people[1:])), seen_at=T0
    )
    [comparison] = done.comparisons
    assert comparison.explanation.startswith("120 people (outlet-a) vs 300 people")


def test_comparisons_stored_by_an_earlier_version_are_answered_the_same(
    article_factory: ArticleFactory,
) -> None:
    """Comparisons are kept as one JSON text; records that kept them as objects
    still answer a redelivered article."""
    state, desk = _desk()
    said = "North Korean soldiers have been killed in Kursk, officials said."
    for name, number in [("a", 300), ("b", 900)]:
        article = article_factory(
            name, claim(f"{number} {said}", quantities=(killed(number),))
        )
        done = desk.corroborate(article, seen_at=T0)
    assert len(done.comparisons) == 1
    record = state[article_key("b")]
    assert isinstance(record, dict)
    assert isinstance(record["comparisons"], str)
    as_objects = [c.model_dump(mode="json") for c in done.comparisons]
    state[article_key("b")] = {**record, "comparisons": as_objects}
    assert desk.corroborate(article, seen_at=T0).comparisons == done.comparisons


def test_a_member_decided_again_is_published_as_it_stands_now(
    article_factory: ArticleFactory,
) -> None:
    state, desk = _desk()
    desk.corroborate(article_factory("a", claim(CAPTURE)), seen_at=T0)
    cluster = _cluster(state)
    memo: Memo[tuple[Any, ...], ClusterMember] = Memo(8)
    assert publishable(cluster, memo).members[0].independent
    [listed] = cluster["members"]
    member = MemberRecord(**listed)
    member["member"] = {**listed["member"], "independent": False}
    changed = ClusterRecord(**cluster)
    changed["members"] = [member]
    assert not publishable(changed, memo).members[0].independent
