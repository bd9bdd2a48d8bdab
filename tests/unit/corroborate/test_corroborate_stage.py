"""Corroborator decisions on dict stores: grouping, independent sources,
idempotence, expiry."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pipeline.corroborate import CorroborateSettings, Corroboration, Corroborator, heir
from pipeline.state import OrderedKeys
from schemas import (
    Claim,
    DateMention,
    DuplicateVerdict,
    EnrichedArticle,
    Entity,
    Quantity,
    Sentence,
    SentenceRef,
    Speaker,
)
from schemas.corroborate import ClaimCluster
from tests.unit.stores import TableLikeStore

SETTINGS = CorroborateSettings()
T0 = datetime(2025, 1, 12, 12, tzinfo=UTC)

NK = Entity(text="North Korean", label="NORP")
UKRAINE = Entity(text="Ukraine", label="GPE")
RUSSIA = Entity(text="Russia", label="GPE")


def two_soldiers(text: str = "two") -> Quantity:
    return Quantity(text=text, low=2, high=2, counted="soldiers")


def claim(
    text: str,
    *,
    quantities: tuple[Quantity, ...] = (),
    entities: tuple[Entity, ...] = (NK, UKRAINE),
    speaker: str | None = None,
    hedged: bool = False,
    dates: tuple[DateMention, ...] = (),
) -> Claim:
    """A claim whose article and index are set when it is put in an article."""
    who = Speaker(name=speaker, type="person") if speaker else None
    return Claim(
        claim_id="unset",
        article_id="unset",
        sentence_index=0,
        text=text,
        speaker=who,
        quantities=quantities,
        entities=entities,
        hedged=hedged,
        dates=dates,
    )


ArticleFactory = Callable[..., EnrichedArticle]


@pytest.fixture
def article_factory() -> ArticleFactory:
    """An article whose sentences are its claims' texts, in order."""

    def make(
        article_id: str,
        *claims: Claim,
        source: str | None = None,
        published_at: datetime | None = T0,
        duplicate_of: str | None = None,
        repeats: dict[int, SentenceRef] | None = None,
    ) -> EnrichedArticle:
        sentences, placed, start = [], [], 0
        for index, item in enumerate(claims):
            end = start + len(item.text)
            ref = (repeats or {}).get(index)
            sentences.append(
                Sentence(
                    index=index, text=item.text, start=start, end=end, repeat_of=ref
                )
            )
            claim_id = hashlib.sha256(f"{article_id}|{index}".encode()).hexdigest()[:16]
            placed.append(
                item.model_copy(
                    update={
                        "claim_id": claim_id,
                        "article_id": article_id,
                        "sentence_index": index,
                    }
                )
            )
            start = end + 1
        text = " ".join(c.text for c in claims)
        duplicate = (
            DuplicateVerdict(kind="near", of=duplicate_of, similarity=0.9)
            if duplicate_of
            else DuplicateVerdict()
        )
        return EnrichedArticle(
            article_id=article_id,
            source=source or f"outlet-{article_id}",
            published_at=published_at,
            text=text,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            sentences=tuple(sentences),
            duplicate=duplicate,
            claims=tuple(placed),
        )

    return make


class Desk:
    """A corroborator over dict stores, deciding articles as the agent does."""

    def __init__(self, state: MutableMapping[str, Any] | None = None) -> None:
        self.state: MutableMapping[str, Any] = {} if state is None else state
        self.expiry = OrderedKeys()
        self.corroborator = Corroborator(self.state, self.expiry, settings=SETTINGS)

    def __call__(
        self, article: EnrichedArticle, *, seen_at: datetime = T0
    ) -> Corroboration:
        return self.corroborator.corroborate(article, seen_at=seen_at)


@pytest.fixture
def desk() -> Desk:
    return Desk()


def cluster_ids(*results: Corroboration) -> list[str | None]:
    """Each claim's cluster now: merges the given results (in the order they were
    decided) published followed."""
    return [i for placed in _placed(results) for i in placed]


def same_places(*results: Corroboration) -> bool:
    """Whether the claims of each result are, in order, in the same clusters now."""
    first, *others = _placed(results)
    return all(placed == first for placed in others)


def live(result: Corroboration) -> list[ClaimCluster]:
    """The clusters a result published that are not merged into another."""
    return [c for c in result.clusters if c.merged_into is None]


def _placed(results: tuple[Corroboration, ...]) -> list[list[str | None]]:
    latest = {c.cluster_id: c for r in results for c in r.clusters}
    return [
        [
            None if c.cluster_id is None else heir(latest, c.cluster_id)
            for c in r.article.claims
        ]
        for r in results
    ]


CAPTURE = "Ukraine captured two wounded North Korean soldiers in Russia's Kursk region."
PARAPHRASES = [
    "Ukrainian forces have captured two injured North Korean soldiers in Kursk.",
    "Two wounded North Korean soldiers were captured by Ukraine in the Kursk region.",
    "Kyiv said it had seized two North Korean troops who were wounded in Kursk.",
]
UNRELATED = [
    (
        "Ukraine is willing to exchange captured North Korean soldiers for prisoners.",
        NK,
        UKRAINE,
    ),
    (
        "President Biden's foreign policy legacy includes the withdrawal from "
        "Afghanistan.",
        Entity(text="Biden", label="PERSON"),
        Entity(text="Afghanistan", label="GPE"),
    ),
    (
        "Russia announced the capture of two villages in the Donetsk region.",
        RUSSIA,
        Entity(text="Donetsk", label="GPE"),
    ),
]


@pytest.mark.parametrize("text", PARAPHRASES)
def test_paraphrases_join_one_cluster(
    desk: Desk, article_factory: ArticleFactory, text: str
) -> None:
    first = desk(article_factory("a", claim(CAPTURE, quantities=(two_soldiers(),))))
    second = desk(article_factory("b", claim(text, quantities=(two_soldiers(),))))
    assert same_places(first, second)
    (cluster,) = live(second)
    assert sorted(m.article_id for m in cluster.members) == ["a", "b"]
    assert cluster.independent_sources == 2


@pytest.mark.parametrize(("text", "names"), [(t, tuple(e)) for t, *e in UNRELATED])
def test_different_facts_stay_apart(
    desk: Desk, article_factory: ArticleFactory, text: str, names: tuple[Entity, ...]
) -> None:
    quantities = (
        (Quantity(text="two", low=2, high=2, counted="villages"),)
        if "villages" in text
        else ()
    )
    first = desk(article_factory("a", claim(CAPTURE, quantities=(two_soldiers(),))))
    other = desk(
        article_factory("b", claim(text, quantities=quantities, entities=names))
    )
    assert not same_places(first, other)
    assert [len(c.members) for c in other.clusters] == [1]


JOBS = "US firms added {n} jobs in {month}, the Labor Department said."


@pytest.mark.parametrize(
    ("month", "value", "joined"),
    [("January", "2005-01", True), ("January", None, True), ("October", None, False)],
)
def test_claims_about_other_months_state_other_facts(
    desk: Desk,
    article_factory: ArticleFactory,
    month: str,
    value: str | None,
    joined: bool,
) -> None:
    def jobs(n: int, month: str, value: str | None = None) -> Claim:
        return claim(
            JOBS.format(n=f"{n:,}", month=month),
            quantities=(Quantity(text=f"{n:,}", low=n, high=n, counted="jobs"),),
            entities=(Entity(text="the Labor Department", label="ORG"),),
            dates=(DateMention(text=month, value=value),),
        )

    first = desk(article_factory("a", jobs(146_000, "January", "2005-01")))
    second = desk(article_factory("b", jobs(157_000, month, value)))
    assert same_places(first, second) is joined


def killed(n: int) -> Quantity:
    return Quantity(text=str(n), low=n, high=n, counted="soldiers")


def test_masked_numbers_join_and_are_compared(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    said = "North Korean soldiers have been killed in Kursk, officials said."
    first = desk(article_factory("a", claim(f"300 {said}", quantities=(killed(300),))))
    second = desk(article_factory("b", claim(f"900 {said}", quantities=(killed(900),))))
    assert same_places(first, second)
    (comparison,) = second.comparisons
    assert comparison.relation == "conflict"
    assert comparison.counted == "killed:soldier"
    assert comparison.ratio == 3.0
    assert (comparison.first.article_id, comparison.second.article_id) == ("a", "b")


def aircraft(n: int) -> Quantity:
    return Quantity(text=str(n), low=n, high=n, counted="aircraft")


@pytest.mark.parametrize(
    ("buyer", "compared"), [("Ryanair", True), ("Japan Airlines", False)]
)
def test_figures_of_other_actors_in_one_cluster_are_not_compared(
    desk: Desk, article_factory: ArticleFactory, buyer: str, compared: bool
) -> None:
    def order(who: str, n: int) -> Claim:
        return claim(
            f"{who} has placed a firm order for {n} of the new aircraft.",
            quantities=(aircraft(n),),
            entities=(Entity(text=who, label="ORG"),),
        )

    first = desk(article_factory("a", order("Ryanair", 70)))
    second = desk(article_factory("b", order(buyer, 30)))
    assert same_places(first, second)  # one kind of fact
    assert len(second.comparisons) == int(compared)


def test_a_bare_number_is_not_compared(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    def approved(n: int) -> Claim:
        bare = Quantity(text=str(n), low=n, high=n)
        return claim(f"Officials approved {n} of the proposals.", quantities=(bare,))

    desk(article_factory("a", approved(2)))
    second = desk(article_factory("b", approved(10)))
    assert second.comparisons == ()


def test_claims_of_one_article_may_share_a_cluster_but_count_once(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    result = desk(
        article_factory(
            "a",
            claim(CAPTURE, quantities=(two_soldiers(),)),
            claim(PARAPHRASES[0], quantities=(two_soldiers(),)),
        )
    )
    assert len(set(cluster_ids(result))) == 1
    (cluster,) = live(result)
    assert cluster.sources == ("outlet-a",)
    assert cluster.independent_sources == 1


def test_copies_do_not_count_as_independent(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    desk(article_factory("a", claim(CAPTURE, quantities=(two_soldiers(),))))
    repeat = SentenceRef(article_id="a", index=0)
    copied = desk(
        article_factory(
            "b", claim(CAPTURE, quantities=(two_soldiers(),)), repeats={0: repeat}
        )
    )
    duplicate = desk(
        article_factory(
            "c", claim(PARAPHRASES[0], quantities=(two_soldiers(),)), duplicate_of="a"
        )
    )
    own = desk(
        article_factory("d", claim(PARAPHRASES[1], quantities=(two_soldiers(),)))
    )
    assert len(set(cluster_ids(copied, duplicate, own))) == 1
    (cluster,) = live(own)
    independent = {m.article_id: m.independent for m in cluster.members}
    assert independent == {"a": True, "b": False, "c": False, "d": True}
    assert len(cluster.sources) == 4
    assert cluster.independent_sources == 2
    # A copy's figures are its original's: they are not compared again.
    assert copied.comparisons == duplicate.comparisons == ()


def test_a_redelivered_article_gets_its_first_answer(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    first_article = article_factory("a", claim(CAPTURE, quantities=(two_soldiers(),)))
    second_article = article_factory(
        "b", claim(PARAPHRASES[0], quantities=(two_soldiers(),))
    )
    desk(first_article)
    second = desk(second_article)
    again = desk(second_article, seen_at=T0 + timedelta(hours=2))
    assert again == second
    first_again = desk(first_article)
    assert same_places(second, first_again)
    (cluster,) = live(first_again)
    assert sorted(m.article_id for m in cluster.members) == ["a", "b"]  # never twice


def test_a_table_like_store_gives_the_same_decisions(
    article_factory: ArticleFactory,
) -> None:
    later = T0 + timedelta(hours=SETTINGS.window_hours + 1)
    steps = [
        (article_factory("a", claim(CAPTURE, quantities=(two_soldiers(),))), T0),
        (article_factory("b", claim(PARAPHRASES[0], quantities=(two_soldiers(),))), T0),
        (article_factory("a", claim(CAPTURE, quantities=(two_soldiers(),))), T0),
        (
            article_factory(
                "c",
                claim(PARAPHRASES[1], quantities=(two_soldiers("three"),)),
                published_at=later,
            ),
            later,
        ),
    ]
    on_dicts, on_table = Desk(), Desk(TableLikeStore())
    for article, seen_at in steps:
        assert on_table(article, seen_at=seen_at) == on_dicts(article, seen_at=seen_at)
    expire = [d.corroborator.expire(now=later) for d in (on_table, on_dicts)]
    assert expire == [2, 2]


def test_claims_past_the_window_are_not_joined_then_forgotten(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    old = desk(article_factory("gone", claim(CAPTURE, quantities=(two_soldiers(),))))
    now = T0 + timedelta(hours=SETTINGS.window_hours + 1)
    new = desk(
        article_factory(
            "new",
            claim(PARAPHRASES[0], quantities=(two_soldiers(),)),
            published_at=now,
        ),
        seen_at=now,
    )
    assert not same_places(old, new)
    assert new.comparisons == ()
    assert desk.corroborator.expire(now=now) == 1
    assert not [key for key in desk.state if "gone" in json.dumps(desk.state[key])]
    assert [key.rsplit("|", 1)[1] for key in desk.expiry] == ["new"]
    assert desk.corroborator.expire(now=now) == 0


def test_a_forgotten_cluster_left_in_posting_lists_changes_no_decision(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    """Forgetting leaves a dropped cluster's id in the posting lists it shares with
    a live cluster instead of rewriting them; lookups pass over it, so the next
    decisions are those of a window that never held it, and a list goes once no
    cluster in it is left."""
    text, *entities = UNRELATED[0]
    desk(article_factory("gone", claim(CAPTURE, quantities=(two_soldiers(),))))
    now = T0 + timedelta(hours=SETTINGS.window_hours + 1)
    exchange = article_factory(
        "exchange", claim(text, entities=tuple(entities)), published_at=now
    )
    desk(exchange, seen_at=now)
    (gone,) = desk.state["a:gone"]["clusters"]
    shared = [k for k in desk.state if k.startswith("t:") and gone in desk.state[k]]
    assert desk.corroborator.expire(now=now) == 1
    assert f"k:{gone}" not in desk.state
    left = [k for k in shared if gone in desk.state.get(k, [])]
    assert left  # the lists it shared with the live cluster were not rewritten
    assert all(len(desk.state[k]) > 1 for k in left)

    fresh = Desk()
    fresh(exchange, seen_at=now)
    for name, item in [("copy", CAPTURE), ("paraphrase", PARAPHRASES[0])]:
        later = article_factory(
            name, claim(item, quantities=(two_soldiers(),)), published_at=now
        )
        assert desk(later, seen_at=now) == fresh(later, seen_at=now)

    end = now + timedelta(hours=SETTINGS.window_hours + 1)
    other, *entities = UNRELATED[1]
    desk(
        article_factory(
            "other", claim(other, entities=tuple(entities)), published_at=end
        ),
        seen_at=end,
    )
    assert desk.corroborator.expire(now=end) == 3
    lists = [k for k in desk.state if k.startswith("t:")]
    assert not set(lists) & set(shared)
    assert all(all(f"k:{c}" in desk.state for c in desk.state[k]) for k in lists)


def test_a_list_goes_when_an_id_left_in_it_names_a_cluster_never_posted_there(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    """A copy of a forgotten cluster's founding text founds a cluster under the
    same id, without the terms its paraphrases had posted it under: a list left
    holding that id goes with the last cluster really posted there."""
    window = timedelta(hours=SETTINGS.window_hours)
    other, *entities = UNRELATED[1]
    soldiers = (two_soldiers(),)

    def at(name: str, when: datetime, *claims: Claim) -> Corroboration:
        return desk(article_factory(name, *claims, published_at=when), seen_at=when)

    at("one", T0, claim(CAPTURE, quantities=soldiers))
    at("two", T0 + timedelta(hours=1), claim(PARAPHRASES[0], quantities=soldiers))
    shelled = "Ukrainian forces have shelled a bridge in the Belgorod region."
    at("three", T0 + timedelta(hours=2), claim(shelled, entities=(UKRAINE,)))
    assert len(desk.state["t:forc"]) == 2  # the capture's cluster, and the shelling's
    late = T0 + window + timedelta(hours=1.5)
    at("tick", late, claim(other, entities=tuple(entities)))
    assert desk.corroborator.expire(now=late) == 2  # the capture's cluster goes
    assert len(desk.state["t:forc"]) == 2  # left as it is: the shelling is there
    at("again", late, claim(CAPTURE, quantities=soldiers))  # the same id, anew
    later = T0 + window + timedelta(hours=2.5)
    at("tock", later, claim(other, entities=tuple(entities)))
    assert desk.corroborator.expire(now=later) == 1  # the shelling goes
    assert "t:forc" not in desk.state


def test_a_cluster_outlives_its_first_member(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    desk(article_factory("a", claim(CAPTURE, quantities=(two_soldiers(),))))
    mid = T0 + timedelta(hours=SETTINGS.window_hours / 2)
    joined = desk(
        article_factory(
            "b", claim(PARAPHRASES[0], quantities=(two_soldiers(),)), published_at=mid
        ),
        seen_at=mid,
    )
    later = T0 + timedelta(hours=SETTINGS.window_hours + 1)
    third = desk(
        article_factory(
            "c", claim(PARAPHRASES[1], quantities=(two_soldiers(),)), published_at=later
        ),
        seen_at=later,
    )
    assert desk.corroborator.expire(now=later) == 1
    assert same_places(joined, third)
    fourth = desk(
        article_factory(
            "d", claim(PARAPHRASES[2], quantities=(two_soldiers(),)), published_at=later
        ),
        seen_at=later,
    )
    (cluster,) = live(fourth)
    assert [m.article_id for m in cluster.members] == ["b", "c", "d"]


def test_a_word_for_word_copy_joins_its_original_cluster(
    article_factory: ArticleFactory,
) -> None:
    # At the highest threshold only an identical profile would join by score; the
    # copy below differs in its entities (another outlet's tagger), so it reaches
    # the first cluster through its text alone, case and spacing aside.
    strict = Corroborator(
        {}, OrderedKeys(), settings=SETTINGS.model_copy(update={"threshold": 1.0})
    )
    first = strict.corroborate(article_factory("a", claim(CAPTURE)), seen_at=T0)
    copy = claim("  " + CAPTURE.upper().replace(" ", "  "), entities=(RUSSIA,))
    second = strict.corroborate(article_factory("b", copy), seen_at=T0)
    other = strict.corroborate(article_factory("c", claim(PARAPHRASES[0])), seen_at=T0)
    assert same_places(first, second)
    assert not same_places(first, other)


@pytest.mark.parametrize("texts", itertools.permutations([CAPTURE, *PARAPHRASES], 3))
def test_a_claim_that_refounds_a_cluster_its_article_just_absorbed(
    article_factory: ArticleFactory, texts: tuple[str, str, str]
) -> None:
    """``second`` names a cluster after its text, with ``third`` as a later member.
    An article published before both then links ``first`` to that cluster (through
    ``third``), which becomes a pointer to the cluster ``first`` founds; its copy
    of ``second`` comes next and, when its text orders before ``first``'s, takes
    the name back. The absorbed and the heir must not point at each other."""
    first, second, third = texts
    desk = Desk()
    hour = timedelta(hours=1)
    results = (
        desk(article_factory("named", claim(second), published_at=T0 + hour)),
        desk(article_factory("member", claim(third), published_at=T0 + 2 * hour)),
        desk(article_factory("early", claim(first), claim(second), published_at=T0)),
    )
    latest = {c.cluster_id: c for r in results for c in r.clusters}
    pointers = {c.cluster_id: c.merged_into for c in latest.values()}
    assert all(pointers.get(to) is None for to in pointers.values() if to), pointers
    for result in results:
        for placed in result.article.claims:
            assert placed.cluster_id is not None
            assert latest[heir(latest, placed.cluster_id)].members


def test_each_key_is_written_once_per_article(
    article_factory: ArticleFactory,
) -> None:
    # Three claims sharing their terms: the posting lists of those terms are
    # updated by each claim, and each must still reach the store (the changelog)
    # once, holding all three clusters.
    store = TableLikeStore()
    desk = Desk(store)
    villages = Quantity(text="two", low=2, high=2, counted="villages")
    claims = [
        claim(UNRELATED[2][0], quantities=(villages,), entities=UNRELATED[2][1:]),
        claim(CAPTURE, quantities=(two_soldiers(),)),
        claim(PARAPHRASES[2], quantities=(two_soldiers(),)),
    ]
    desk(article_factory("a", *claims))
    assert store.writes
    assert max(store.writes.values()) == 1
    shared = [k for k in store.data if k.startswith("t:") and len(store[k]) > 1]
    assert shared


def test_a_copy_does_not_rewrite_the_posting_lists_it_is_already_in(
    article_factory: ArticleFactory,
) -> None:
    store = TableLikeStore()
    desk = Desk(store)
    claims = [claim(CAPTURE), claim(UNRELATED[1][0], entities=UNRELATED[1][1:])]
    first = desk(article_factory("a", *claims))
    postings = {k: store.data[k] for k in store.data if k.startswith("t:")}
    store.writes.clear()
    copy = desk(article_factory("b", *claims, duplicate_of="a"))
    assert same_places(first, copy)
    assert postings
    assert not [k for k in store.writes if k.startswith(("t:", "x:"))]
    assert {k: store.data[k] for k in postings} == postings


def test_a_decision_in_steps_yields_once_per_claim_and_decides_the_same(
    article_factory: ArticleFactory,
) -> None:
    first = article_factory(
        "a", claim("North Korean troops fought in Kursk."), source="one"
    )
    second = article_factory(
        "b",
        claim("North Korean soldiers fought in Kursk."),
        claim("Ukraine said two soldiers were captured.", quantities=(two_soldiers(),)),
        claim("Russia denied it."),
        source="two",
    )
    at_once, stepped = Desk(), Desk()
    expected = [at_once(first), at_once(second)]

    found = []
    for article in (first, second):
        steps = stepped.corroborator.corroborate_steps(article, seen_at=T0)
        yields = 0
        while True:
            try:
                next(steps)
            except StopIteration as done:
                found.append(done.value)
                break
            yields += 1
        assert yields == len(article.claims)
    assert found == expected
    assert dict(stepped.state) == dict(at_once.state)
    # A redelivered article is answered from the store, in no step at all.
    again = stepped.corroborator.corroborate_steps(second, seen_at=T0)
    with pytest.raises(StopIteration):
        next(again)


def test_a_text_in_the_cluster_it_names_needs_no_index_entry(
    article_factory: ArticleFactory,
) -> None:
    # A claim founds the cluster its text names: no "x:" entry is written, and a
    # copy of the text still joins that cluster. A paraphrase in that cluster is
    # indexed, so that a copy of it finds the cluster too.
    store = TableLikeStore()
    desk = Desk(store)
    first = desk(article_factory("a", claim(CAPTURE), source="one"))
    assert not [k for k in store.writes if k.startswith("x:")]
    copy = desk(article_factory("b", claim(CAPTURE), source="two"))
    assert same_places(first, copy)
    store.writes.clear()
    desk(article_factory("c", claim(PARAPHRASES[0]), source="three"))
    joined = desk(article_factory("d", claim(PARAPHRASES[0]), source="four"))
    assert same_places(first, joined)
    assert [k for k in store.writes if k.startswith("x:")]
