"""Stories: articles that report one event, decided with the clusters."""

from __future__ import annotations

from datetime import timedelta

from pipeline.corroborate import Corroboration
from schemas import Claim, Entity, Story
from tests.unit.corroborate.test_corroborate_stage import (
    CAPTURE,
    PARAPHRASES,
    T0,
    UNRELATED,
    ArticleFactory,
    Desk,
    article_factory,
    claim,
    desk,
)

__all__ = ["article_factory", "desk"]  # fixtures

#: A second fact both reports state, in their own words.
INTERPRETERS = "The prisoners do not speak Ukrainian, English or Russian."
INTERPRETERS_AGAIN = "The soldiers speak no Ukrainian, English or Russian."


def background(number: int) -> Claim:
    text, *names = UNRELATED[number]
    return claim(str(text), entities=tuple(n for n in names if isinstance(n, Entity)))


def live(result: Corroboration) -> list[Story]:
    return [s for s in result.stories if s.merged_into is None]


def test_two_reports_of_one_event_are_one_story(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    first = desk(article_factory("a", claim(CAPTURE), claim(INTERPRETERS)))
    second = desk(
        article_factory("b", claim(PARAPHRASES[0]), claim(INTERPRETERS_AGAIN))
    )
    (story,) = live(second)
    assert first.article.story_id is not None
    assert second.article.story_id == story.story_id
    assert {a.article_id for a in story.articles} == {"a", "b"}
    assert (story.article_count, story.source_count, story.independent_sources) == (
        2,
        2,
        2,
    )
    assert story.first_report is not None
    assert len(story.clusters) == 2


def test_one_shared_fact_is_not_a_story(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    first = desk(article_factory("a", claim(CAPTURE), background(1)))
    second = desk(article_factory("b", claim(PARAPHRASES[0]), background(2)))
    assert first.article.story_id != second.article.story_id


def test_facts_shared_outside_the_leads_are_background(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    # Two articles of one topic, each leading with its own news, that restate the
    # same two background facts lower down.
    first = desk(
        article_factory(
            "a", background(1), background(2), claim(CAPTURE), claim(INTERPRETERS)
        )
    )
    second = desk(
        article_factory(
            "b",
            background(0),
            claim("Parliament passed the budget after a late-night vote."),
            claim(PARAPHRASES[0]),
            claim(INTERPRETERS_AGAIN),
        )
    )
    assert first.article.story_id != second.article.story_id


def test_reports_days_apart_are_two_stories(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    later = T0 + timedelta(days=2, hours=1)
    first = desk(article_factory("a", claim(CAPTURE), claim(INTERPRETERS)))
    second = desk(
        article_factory(
            "b",
            claim(PARAPHRASES[0]),
            claim(INTERPRETERS_AGAIN),
            published_at=later,
        ),
        seen_at=later,
    )
    assert first.article.story_id != second.article.story_id


def test_a_duplicate_is_in_the_story_but_not_an_independent_source(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    desk(article_factory("a", claim(CAPTURE), claim(INTERPRETERS)))
    copy = desk(
        article_factory(
            "b", claim(CAPTURE), claim(INTERPRETERS), duplicate_of="a", source="wire"
        )
    )
    (story,) = live(copy)
    assert (story.article_count, story.source_count, story.independent_sources) == (
        2,
        2,
        1,
    )
    assert [a.independent for a in story.articles] == [True, False]


def test_a_redelivered_article_names_the_same_story(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    article = article_factory("a", claim(CAPTURE), claim(INTERPRETERS))
    first = desk(article)
    desk(article_factory("b", claim(PARAPHRASES[0]), claim(INTERPRETERS_AGAIN)))
    again = desk(article)
    assert again.article.story_id == first.article.story_id
    (story,) = live(again)
    assert story.article_count == 2  # not counted twice


def test_a_late_report_joins_two_stories_into_one(
    desk: Desk, article_factory: ArticleFactory
) -> None:
    # a and b report different halves; c reports both, and so links them.
    a = desk(article_factory("a", claim(CAPTURE), claim(INTERPRETERS)))
    b = desk(article_factory("b", background(0), claim(UNRELATED_THIRD), background(2)))
    c = desk(
        article_factory(
            "c",
            claim(PARAPHRASES[0]),
            background(0),
            claim(INTERPRETERS_AGAIN),
            claim(UNRELATED_THIRD),
        )
    )
    assert a.article.story_id != b.article.story_id
    (story,) = live(c)
    assert {x.article_id for x in story.articles} == {"a", "b", "c"}
    merged = [s for s in c.stories if s.merged_into is not None]
    assert [s.merged_into for s in merged] == [story.story_id]
    assert not merged[0].articles


UNRELATED_THIRD = "Pyongyang has not commented on the capture of the two men."
