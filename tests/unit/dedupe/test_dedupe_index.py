"""DedupeIndex decisions on dict stores: duplicates, repeats, idempotence, expiry."""

from __future__ import annotations

import random
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pipeline.dedupe import DedupeIndex, fingerprint
from pipeline.dedupe.fingerprint import words
from pipeline.rejection import Rejection
from pipeline.settings import DedupeSettings
from pipeline.state import OrderedKeys
from schemas import DuplicateVerdict, EnrichedArticle, SentenceRef
from schemas.dedupe import DedupeRequest
from tests.unit.conftest import ArticleFactory
from tests.unit.stores import TableLikeStore

SETTINGS = DedupeSettings()
T0 = datetime(2024, 11, 1, 12, tzinfo=UTC)


class Decider:
    """An index over dict stores, deciding articles as the decide agent does."""

    def __init__(self, state: MutableMapping[str, Any] | None = None) -> None:
        self.state: MutableMapping[str, Any] = {} if state is None else state
        self.expiry = OrderedKeys()
        self.index = DedupeIndex(self.state, self.expiry, settings=SETTINGS)

    def __call__(
        self, article: EnrichedArticle, *, seen_at: datetime = T0
    ) -> EnrichedArticle:
        result = self.attempt(article, seen_at=seen_at)
        assert isinstance(result, EnrichedArticle), result
        return result

    def attempt(
        self, article: EnrichedArticle, *, seen_at: datetime = T0
    ) -> EnrichedArticle | Rejection:
        request = DedupeRequest(
            article=article, fingerprint=fingerprint(article, settings=SETTINGS)
        )
        return self.index.decide(request, seen_at=seen_at)


@pytest.fixture
def decide() -> Decider:
    return Decider()


def random_words(count: int, *, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"w{rng.randrange(1_000_000)}" for _ in range(count)]


def true_jaccard(first: str, second: str) -> float:
    def shingles(text: str) -> set[tuple[str, ...]]:
        tokens = words(text)
        return {tuple(tokens[i : i + 5]) for i in range(len(tokens) - 4)}

    a, b = shingles(first), shingles(second)
    return len(a & b) / len(a | b)


def pair_with_jaccard(shared: int, *, seed: int, total: int = 400) -> tuple[str, str]:
    """Two texts of ``total`` words whose first ``shared`` words are the same.

    They share the shingles inside the common prefix: ``shared - 4`` of
    ``total - 4`` each, so the Jaccard is (shared-4) / (2(total-4) - (shared-4)).
    """
    common = random_words(shared, seed=seed)
    first = common + random_words(total - shared, seed=seed + 1)
    second = common + random_words(total - shared, seed=seed + 2)
    return " ".join(first), " ".join(second)


BODY = " ".join(random_words(300, seed=1))


def test_exact_copy(decide: Decider, article_factory: ArticleFactory) -> None:
    decide(article_factory(BODY, article_id="first"))
    copy = decide(article_factory(BODY, article_id="copy"))
    assert copy.duplicate == DuplicateVerdict(kind="exact", of="first", similarity=1.0)


def test_unrelated_articles(decide: Decider, article_factory: ArticleFactory) -> None:
    first = decide(article_factory(BODY, article_id="first"))
    other_text = " ".join(random_words(300, seed=2))
    other = decide(article_factory(other_text, article_id="other"))
    assert first.duplicate == other.duplicate == DuplicateVerdict()


@pytest.mark.parametrize("seed", [10, 20, 30])
@pytest.mark.parametrize(
    ("shared", "jaccard", "kind"), [(379, 0.9, "near"), (301, 0.6, None)]
)
def test_threshold_edges(
    decide: Decider,
    article_factory: ArticleFactory,
    shared: int,
    jaccard: float,
    kind: str | None,
    seed: int,
) -> None:
    first, second = pair_with_jaccard(shared, seed=seed)
    assert true_jaccard(first, second) == pytest.approx(jaccard, abs=0.005)
    decide(article_factory(first, article_id="first"))
    verdict = decide(article_factory(second, article_id="second")).duplicate
    assert verdict.kind == kind
    if kind:
        assert verdict.of == "first"
        assert verdict.similarity is not None
        assert verdict.similarity == pytest.approx(jaccard, abs=0.1)
        assert verdict.similarity >= SETTINGS.threshold


def test_near_duplicate_points_at_the_earliest_match(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    tokens = BODY.split()
    edits = [tokens[:] for _ in range(3)]
    for copy, position in zip(edits, (50, 150, 250), strict=True):
        copy[position] = "changed"
    decide(article_factory(BODY, article_id="original"))
    for n, copy in enumerate(edits):
        verdict = decide(article_factory(" ".join(copy), article_id=f"copy{n}"))
        assert verdict.duplicate.kind == "near"
        assert verdict.duplicate.of == "original"


def test_exact_wins_over_near(decide: Decider, article_factory: ArticleFactory) -> None:
    tokens = BODY.split()
    tokens[100] = "changed"
    decide(article_factory(" ".join(tokens), article_id="near-first"))
    decide(article_factory(BODY, article_id="original"))
    verdict = decide(article_factory(BODY, article_id="copy")).duplicate
    assert (verdict.kind, verdict.of) == ("exact", "original")


def test_redelivery_gets_the_first_verdict(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    original = article_factory(BODY, article_id="original")
    first = decide(original)
    decide(article_factory(BODY, article_id="copy"))
    again = decide(original, seen_at=T0 + timedelta(hours=1))
    assert again == first
    assert again.duplicate == DuplicateVerdict()
    copy = decide(article_factory(BODY, article_id="copy"))
    assert copy.duplicate.of == "original"


def test_the_same_id_for_other_text_is_a_conflicting_id(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    line = "This sentence is long enough to be a repeat."
    decide(article_factory(f"{line}\n{BODY}", article_id="other"))
    first = decide(article_factory(f"{line}\n{BODY}\n{line}", article_id="x"))
    assert first.sentences[2].repeat_of is not None  # a verdict for index 2
    before = dict(decide.state)

    second = decide.attempt(article_factory("A short new text.", article_id="x"))

    assert isinstance(second, Rejection)
    assert (second.error_type, second.article_id) == ("conflicting_id", "x")
    assert "article_id 'x'" in second.reason
    assert "give each version of an article its own article_id" in second.reason
    assert dict(decide.state) == before  # the refused text left no trace


def test_both_versions_of_a_conflicting_id_keep_their_outcome_on_redelivery(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    first_version = article_factory(BODY, article_id="x")
    second_version = article_factory(
        " ".join(random_words(300, seed=5)), article_id="x"
    )
    first = decide(first_version)
    refused = decide.attempt(second_version)
    decide(article_factory(BODY, article_id="copy"))

    later = T0 + timedelta(hours=1)
    assert decide(first_version, seen_at=later) == first
    assert decide.attempt(second_version, seen_at=later) == refused


def test_a_record_stored_without_a_content_hash_is_taken_to_match(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    first = decide(article_factory(BODY, article_id="x"))
    stored = dict(decide.state["a:x"])
    del stored["content_hash"]  # as written before content hashes were kept
    decide.state["a:x"] = stored
    assert decide(article_factory("Other text.", article_id="x")).duplicate == (
        first.duplicate
    )


def test_an_article_is_never_its_own_duplicate_but_repeats_itself(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    line = "This sentence is long enough to be a repeat."
    text = f"{line}\n{BODY}\n{line}"
    first = decide(article_factory(text, article_id="a"))
    assert first.duplicate == DuplicateVerdict()
    said_again = SentenceRef(article_id="a", index=0)
    assert [s.repeat_of for s in first.sentences] == [None, None, said_again]
    assert decide(article_factory(text, article_id="a")) == first
    # The second saying does not take the sentence over from the first.
    later = decide(article_factory(f"{BODY}\n{line}", article_id="b"))
    assert later.sentences[1].repeat_of == SentenceRef(article_id="a", index=0)


@pytest.mark.parametrize(
    "twice_first", [True, False], ids=["twice-first", "once-first"]
)
def test_a_sentence_said_k_times_is_k_minus_one_repeats_in_any_order(
    article_factory: ArticleFactory, twice_first: bool
) -> None:
    line = "This sentence is long enough to be a repeat."
    twice = article_factory(f"{line}\n{BODY}\n{line}", article_id="twice")
    once = article_factory(f"Another opening line here.\n{line}", article_id="once")
    decide = Decider()
    decided = [decide(a) for a in ((twice, once) if twice_first else (once, twice))]
    assert sum(s.repeat_of is not None for a in decided for s in a.sentences) == 2


def test_repeated_sentences_point_at_the_first_occurrence(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    shared = "The ministry said the two soldiers were taken to Kyiv."
    decide(article_factory(f"Intro line here.\n{shared}", article_id="first"))
    quoted = '"the ministry said the two soldiers were taken to Kyiv"'
    later = decide(article_factory(f"{quoted}\n{BODY}\n{shared}", article_id="later"))
    expected = SentenceRef(article_id="first", index=1)
    assert [s.repeat_of for s in later.sentences] == [expected, None, expected]
    third = decide(article_factory(f"{shared}\nAnd more.", article_id="third"))
    assert third.sentences[0].repeat_of == expected


def test_short_and_boilerplate_sentences_are_never_repeats(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    lines = ["He denied it all.", "Subscribe to our newsletters for daily news alerts"]
    text = "\n".join(lines)
    decide(article_factory(text, article_id="a", boilerplate=frozenset({1})))
    later = decide(article_factory(text, article_id="b", boilerplate=frozenset({1})))
    assert all(s.repeat_of is None for s in later.sentences)


def test_a_table_like_store_gives_the_same_decisions(
    article_factory: ArticleFactory,
) -> None:
    later = T0 + timedelta(hours=SETTINGS.window_hours + 1)
    near = BODY.replace(BODY.split()[100], "changed", 1)
    shared = "The ministry said the two soldiers were taken to Kyiv."
    steps = [
        (article_factory(f"{shared}\n{BODY}", article_id="a", published_at=T0), T0),
        (article_factory(f"{shared}\n{BODY}", article_id="b"), T0),
        (article_factory(f"{shared}\n{near}", article_id="c"), T0),
        (article_factory(f"{shared}\n{BODY}", article_id="a", published_at=T0), T0),
        (article_factory(f"{shared}\n{near}", article_id="d"), later),
    ]
    on_dicts, on_table = Decider(), Decider(TableLikeStore())
    for article, seen_at in steps:
        assert on_table(article, seen_at=seen_at) == on_dicts(article, seen_at=seen_at)
    assert on_table.index.expire(now=later) == on_dicts.index.expire(now=later) == 3


# Window expiry


def mentions(state: MutableMapping[str, Any], article_id: str) -> list[str]:
    """Keys of ``state`` that name or hold ``article_id``."""
    found = []
    for key, value in state.items():
        held = value if isinstance(value, list) else [value]
        if key == f"a:{article_id}" or article_id in held:
            found.append(key)
    return found


def test_articles_past_the_window_are_ignored_then_forgotten(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    shared = "The ministry said the two soldiers were taken to Kyiv."
    old_text = f"{shared}\n{BODY}"
    decide(article_factory(old_text, article_id="old", published_at=T0))
    recent = T0 + timedelta(hours=30)
    decide(
        article_factory(
            "Recent news is here today, it says.",
            article_id="recent",
            published_at=recent,
        ),
        seen_at=recent,
    )
    now = T0 + timedelta(hours=SETTINGS.window_hours + 1)

    copy = decide(
        article_factory(old_text, article_id="copy", published_at=now), seen_at=now
    )

    assert copy.duplicate == DuplicateVerdict()
    assert copy.sentences[0].repeat_of is None
    assert mentions(decide.state, "old")  # ignored, not yet purged
    assert decide.index.expire(now=now) == 1
    assert mentions(decide.state, "old") == []
    assert mentions(decide.state, "recent")
    assert mentions(decide.state, "copy")
    assert len(decide.expiry) == 2
    assert decide.index.expire(now=now) == 0


def test_a_copy_takes_over_the_keys_of_an_expired_original(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    decide(article_factory(BODY, article_id="old", published_at=T0))
    later = T0 + timedelta(hours=SETTINGS.window_hours + 1)
    decide(article_factory(BODY, article_id="copy"), seen_at=later)
    decide.index.expire(now=later)
    third = decide(article_factory(BODY, article_id="third"), seen_at=later)
    assert third.duplicate.of == "copy"


def test_expiry_waits_for_the_wall_clock(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    decide(article_factory(BODY, article_id="old", published_at=T0))
    later = T0 + timedelta(hours=SETTINGS.window_hours + 1)
    text = " ".join(random_words(50, seed=3))
    decide(article_factory(text, article_id="new", published_at=later), seen_at=later)
    assert decide.index.expire(now=T0 + timedelta(hours=1)) == 0
    assert decide.index.expire(now=later) == 1


def test_a_far_future_date_does_not_expire_the_index(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    decide(article_factory(BODY, article_id="original", published_at=T0))
    typo = T0.replace(year=2099)
    text = " ".join(random_words(50, seed=4))
    decide(article_factory(text, article_id="typo", published_at=typo))
    assert decide.index.expire(now=T0 + timedelta(hours=2)) == 0
    copy = decide(
        article_factory(BODY, article_id="copy"), seen_at=T0 + timedelta(hours=2)
    )
    assert copy.duplicate.of == "original"


def test_without_a_publication_time_the_decision_time_counts(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    decide(article_factory(BODY, article_id="old"), seen_at=T0)
    later = T0 + timedelta(hours=SETTINGS.window_hours + 1)
    copy = decide(article_factory(BODY, article_id="copy"), seen_at=later)
    assert copy.duplicate == DuplicateVerdict()


def test_ordered_keys_iterate_in_ascending_order() -> None:
    store = OrderedKeys()
    for key in ["0000000003|x", "0000000001|y", "0000000002|z"]:
        store[key] = 0
    assert list(store.keys()) == sorted(store)
    assert list(store) == ["0000000001|y", "0000000002|z", "0000000003|x"]


def test_expiry_can_go_in_steps(
    decide: Decider, article_factory: ArticleFactory
) -> None:
    for n in range(3):
        text = " ".join(random_words(50, seed=20 + n))
        decide(article_factory(text, article_id=f"old{n}", published_at=T0))
    later = T0 + timedelta(hours=SETTINGS.window_hours + 1)
    decide(article_factory(BODY, article_id="new", published_at=later), seen_at=later)
    assert decide.index.expire(now=later, limit=2) == 2
    assert decide.index.expire(now=later, limit=2) == 1
    assert [key.rsplit("|", 1)[1] for key in decide.expiry] == ["new"]
