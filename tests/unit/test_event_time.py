"""Publication times the windows trust, and one that must not switch dedupe off."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.cli.extract import extract
from pipeline.dedupe import DedupeIndex, fingerprint
from pipeline.settings import DedupeSettings, EventTimeSettings, Settings
from pipeline.state import OrderedKeys
from pipeline.state.window import WATERMARK, event_time, implausible_time
from schemas import EnrichedArticle
from schemas.dedupe import DedupeRequest
from tests.unit.conftest import ArticleFactory

BOUNDS = EventTimeSettings()
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
JANUARY = datetime(2025, 1, 13, 8, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
YEAR_ONE = datetime(1, 1, 1, tzinfo=UTC)
TEXT = (
    "The ministry said on Monday that 14 ships had been seized in the strait.\n"
    "Officials told reporters the crews were held at the port for questioning.\n"
    "A spokesman added that the owners would be fined 2 million dollars each."
)


@pytest.mark.parametrize(
    ("published", "trusted"),
    [
        (JANUARY, True),
        (NOW + timedelta(hours=23), True),
        (NOW + timedelta(hours=25), False),
        (FAR_FUTURE, False),
        (datetime(1989, 12, 31, tzinfo=UTC), False),
        (YEAR_ONE, False),
    ],
)
def test_only_plausible_publication_times_are_trusted(
    article_factory: ArticleFactory, published: datetime, trusted: bool
) -> None:
    article = article_factory(TEXT, published_at=published)
    time = event_time(article, NOW, BOUNDS)
    note = implausible_time(article, NOW, BOUNDS)
    assert (time == published.timestamp()) is trusted
    assert (note is None) is trusted
    if note is not None:
        assert time is None
        assert note.kind == "published_at_ignored"
        assert published.isoformat() in note.detail
        assert "NEWSLINE_EVENT_TIME__" in note.detail


def test_an_article_without_a_publication_time_is_placed_at_its_arrival(
    article_factory: ArticleFactory,
) -> None:
    assert event_time(article_factory(TEXT), NOW, BOUNDS) == NOW.timestamp()


def _decide(index: DedupeIndex, article: EnrichedArticle) -> EnrichedArticle:
    settings = DedupeSettings()
    request = DedupeRequest(
        article=article, fingerprint=fingerprint(article, settings=settings)
    )
    decided = index.decide(request, seen_at=NOW)
    assert isinstance(decided, EnrichedArticle)
    return decided


@pytest.mark.parametrize("bad", [FAR_FUTURE, YEAR_ONE], ids=["9999", "year-1"])
def test_an_implausible_date_changes_no_later_verdict(
    article_factory: ArticleFactory, bad: datetime
) -> None:
    state: dict[str, object] = {}
    index = DedupeIndex(state, OrderedKeys(), settings=DedupeSettings())
    _decide(index, article_factory(TEXT, article_id="a", published_at=JANUARY))
    watermark = state[WATERMARK]
    other = _decide(
        index,
        article_factory(
            "Another text entirely, about the weather today.",
            article_id="b",
            published_at=bad,
        ),
    )
    assert state[WATERMARK] == watermark  # the window did not move
    assert other.published_at is None
    assert [n.kind for n in other.notes] == ["published_at_ignored"]
    again = _decide(index, article_factory(TEXT, article_id="c", published_at=JANUARY))
    assert (again.duplicate.kind, again.duplicate.of) == ("exact", "a")
    # Redelivered, the noted article gets its first outcome back.
    assert (
        _decide(
            index,
            article_factory(
                "Another text entirely, about the weather today.",
                article_id="b",
                published_at=bad,
            ),
        )
        == other
    )


def _corpus(path: Path, *dates: datetime) -> Path:
    other = (
        "The agency said on Saturday that 40 flights were cancelled last week.\n"
        "Airport officials told reporters that 3,000 passengers were stranded."
    )
    bodies = [TEXT, other, TEXT]
    records = [
        {
            "article_id": f"r{number}",
            "source": f"outlet{number}",
            "published_at": moment.isoformat(),
            "body": body,
        }
        for number, (body, moment) in enumerate(zip(bodies, dates, strict=True))
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


def _outputs(out: Path) -> tuple[dict[str, dict[str, object]], list[dict[str, object]]]:
    articles = [
        json.loads(line)
        for line in (out / "articles.enriched.jsonl").read_text().splitlines()
    ]
    clusters = [
        json.loads(line)
        for line in (out / "claims.clusters.jsonl").read_text().splitlines()
    ]
    return {a["article_id"]: a for a in articles}, clusters


@pytest.mark.slow
@pytest.mark.parametrize("bad", [FAR_FUTURE, YEAR_ONE], ids=["9999", "year-1"])
def test_through_extract_an_implausible_date_switches_nothing_off(
    tmp_path: Path, bad: datetime
) -> None:
    """A, then B dated 9999-12-31 (or year 1), then A again as another id."""
    plain = _corpus(tmp_path / "plain.jsonl", JANUARY, JANUARY, JANUARY)
    hostile = _corpus(tmp_path / "hostile.jsonl", JANUARY, bad, JANUARY)
    extract(Settings(), [plain], tmp_path / "plain", show_progress=False)
    extract(Settings(), [hostile], tmp_path / "hostile", show_progress=False)
    expected, expected_clusters = _outputs(tmp_path / "plain")
    articles, clusters = _outputs(tmp_path / "hostile")

    assert articles["r2"]["duplicate"] == expected["r2"]["duplicate"]
    assert articles["r2"]["duplicate"]["kind"] == "exact"
    assert articles["r1"]["published_at"] is None
    assert [n["kind"] for n in articles["r1"]["notes"]] == ["published_at_ignored"]
    # Its own claims are all there (a year-1 date used to drop every one).
    assert articles["r1"]["claims"]
    assert len(articles["r1"]["claims"]) == len(expected["r1"]["claims"])
    # Every claim of the copy still joins its original's cluster.
    assert [c["cluster_id"] for c in articles["r2"]["claims"]] == [
        c["cluster_id"] for c in articles["r0"]["claims"]
    ]
    assert articles["r0"]["claims"]
    grouped = sorted(len(c["members"]) for c in clusters if len(c["members"]) > 1)
    assert grouped == sorted(
        len(c["members"]) for c in expected_clusters if len(c["members"]) > 1
    )
