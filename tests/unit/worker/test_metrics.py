"""The worker's metrics: the helpers, and the Grafana dashboard held to them."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from pipeline.corroborate import Corroboration
from pipeline.deadletter import Origin
from pipeline.flow import Output, route_corroborated, route_ingest, route_rejection
from pipeline.rejection import Rejection
from pipeline.topics import CLAIMED, DEDUPED
from pipeline.worker import metrics
from schemas import Claim, EnrichedArticle
from schemas.enriched import DuplicateVerdict, SentenceRef
from tests.unit.conftest import ArticleFactory

GRAFANA = Path(__file__).resolve().parents[3] / "deploy" / "grafana"
METRIC_NAME = re.compile(r"\b(?:newsline|process)_[a-z0-9_]+\b")


def sample(name: str, **labels: str) -> float:
    """A sample's value now; 0 for a series not yet created."""
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (GRAFANA / "newsline-dashboard.json").read_text(encoding="utf-8")
    )
    return loaded


def queries(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of the dashboard, variables' queries included."""
    exprs = [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]
    variables = dashboard["templating"]["list"]
    return exprs + [v["definition"] for v in variables if v["type"] == "query"]


def test_dashboard_uses_only_metrics_the_worker_exports(
    dashboard: dict[str, Any],
) -> None:
    used = {name for query in queries(dashboard) for name in METRIC_NAME.findall(query)}
    assert used, "no metric found in the dashboard"
    assert used <= metrics.metric_names(), used - metrics.metric_names()


def test_dashboard_shows_every_newsline_metric(dashboard: dict[str, Any]) -> None:
    used = {name for query in queries(dashboard) for name in METRIC_NAME.findall(query)}
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
    unused = {
        family.name
        for family in metrics.REGISTRY.collect()
        if family.name.startswith("newsline_")
        and not any(
            family.name + suffix in used for suffix in suffixes.get(family.type, ("",))
        )
    }
    assert unused == set()


def test_dashboard_panels_query_the_datasource_variable(
    dashboard: dict[str, Any],
) -> None:
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
    for query in queries(dashboard):
        for opening, closing in ("()", "{}", "[]"):
            assert query.count(opening) == query.count(closing), query


def test_prometheus_example_scrapes_the_metrics_path() -> None:
    config = yaml.safe_load((GRAFANA / "prometheus.yml").read_text(encoding="utf-8"))
    [job] = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"]


def test_exposition_is_the_prometheus_text_format() -> None:
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    assert families["newsline_records_in"].documentation
    assert families["newsline_stage_article_seconds"].type == "histogram"
    ingest = {"stage": "ingest"}
    assert any(s.labels == ingest for s in families["newsline_records_in"].samples)


def test_counts_in_and_batch_time_per_article() -> None:
    before_in = sample("newsline_records_in_total", stage="fingerprint")
    before = sample("newsline_stage_article_seconds_count", stage="fingerprint")
    before_sum = sample("newsline_stage_article_seconds_sum", stage="fingerprint")
    batches = sample("newsline_stage_batch_seconds_count", stage="fingerprint")
    metrics.count_in("fingerprint", 4)
    metrics.observe_batch("fingerprint", 2.0, size=4)
    assert sample("newsline_records_in_total", stage="fingerprint") == before_in + 4
    assert sample("newsline_stage_batch_seconds_count", stage="fingerprint") == (
        batches + 1
    )
    after = sample("newsline_stage_article_seconds_count", stage="fingerprint")
    assert after == before + 4
    after_sum = sample("newsline_stage_article_seconds_sum", stage="fingerprint")
    assert after_sum == pytest.approx(before_sum + 2.0)


def test_outputs_are_counted_per_topic_and_dead_letters_per_error_type(
    article_factory: ArticleFactory,
) -> None:
    article = article_factory("One line.", article_id="counted")
    clean = route_ingest(article, value=b"", key=None, origin=Origin())
    letter = route_rejection(
        "ingest",
        Rejection("no text", "no_text"),
        value=b"x",
        key=None,
        origin=Origin(),
    )
    out = ("newsline_records_out_total", {"stage": "ingest"})
    before_clean = sample(out[0], **out[1], topic="articles.clean")
    before_dead = sample(out[0], **out[1], topic="articles.deadletter")
    before_letters = sample(
        "newsline_dead_letters_total", stage="ingest", error_type="no_text"
    )
    for outputs in (clean, clean, letter):
        metrics.record_outputs("ingest", outputs, raw_timestamp_ms=None, now_s=0.0)
    assert sample(out[0], **out[1], topic="articles.clean") == before_clean + 2
    assert sample(out[0], **out[1], topic="articles.deadletter") == before_dead + 1
    letters = sample(
        "newsline_dead_letters_total", stage="ingest", error_type="no_text"
    )
    assert letters == before_letters + 1


def test_dedupe_verdicts_count_duplicates_and_repeated_sentences(
    article_factory: ArticleFactory,
) -> None:
    article = article_factory("First line.\nSecond line.\nThird.", article_id="dup")
    repeat = SentenceRef(article_id="earlier", index=0)
    sentences = tuple(
        s.model_copy(update={"repeat_of": repeat if s.index < 2 else None})
        for s in article.sentences
    )
    near = DuplicateVerdict(kind="near", of="earlier", similarity=0.9)
    decided = article.model_copy(update={"sentences": sentences, "duplicate": near})
    before_near = sample("newsline_duplicates_total", kind="near")
    before_exact = sample("newsline_duplicates_total", kind="exact")
    before_repeats = sample("newsline_repeated_sentences_total")
    outputs = (Output(DEDUPED, decided.article_id, decided),)
    metrics.record_outputs("dedupe", outputs, raw_timestamp_ms=None, now_s=0.0)
    assert sample("newsline_duplicates_total", kind="near") == before_near + 1
    assert sample("newsline_duplicates_total", kind="exact") == before_exact
    assert sample("newsline_repeated_sentences_total") == before_repeats + 2


def claim(index: int) -> Claim:
    return Claim(
        claim_id=f"c{index}", article_id="claimed", sentence_index=index, text="x"
    )


def test_claims_are_counted_per_article(article_factory: ArticleFactory) -> None:
    article = article_factory("A.\nB.\nC.", article_id="claimed")
    claimed = article.model_copy(update={"claims": (claim(0), claim(2))})
    before = sample("newsline_claims_total")
    articles = sample("newsline_claims_per_article_count")
    at_most_two = sample("newsline_claims_per_article_bucket", le="2.0")
    outputs = (Output(CLAIMED, claimed.article_id, claimed),)
    metrics.record_outputs("claims", outputs, raw_timestamp_ms=None, now_s=0.0)
    assert sample("newsline_claims_total") == before + 2
    assert sample("newsline_claims_per_article_count") == articles + 1
    assert sample("newsline_claims_per_article_bucket", le="2.0") == at_most_two + 1


def test_end_to_end_latency_runs_from_the_raw_timestamp(
    article_factory: ArticleFactory,
) -> None:
    finished = route_corroborated_article(article_factory("Done.", article_id="e2e"))
    count = sample("newsline_end_to_end_seconds_count")
    total = sample("newsline_end_to_end_seconds_sum")
    metrics.record_outputs(
        "corroborate", finished, raw_timestamp_ms=1_000_000, now_s=1_002.5
    )
    # A producer clock ahead of the worker's gives 0, never a negative time.
    metrics.record_outputs(
        "corroborate", finished, raw_timestamp_ms=2_000_000, now_s=1_999.0
    )
    # Without a known raw timestamp nothing is observed.
    metrics.record_outputs("corroborate", finished, raw_timestamp_ms=None, now_s=9.0)
    assert sample("newsline_end_to_end_seconds_count") == count + 2
    assert sample("newsline_end_to_end_seconds_sum") == pytest.approx(total + 2.5)


def route_corroborated_article(article: EnrichedArticle) -> tuple[Output, ...]:
    """The corroborate outputs of an article without claims: only itself."""
    return route_corroborated(
        Corroboration(article=article, clusters=(), comparisons=())
    )


@pytest.mark.parametrize(
    ("headers", "timestamp_s", "expected"),
    [
        ([(metrics.RAW_TIMESTAMP_HEADER, b"1700000000123")], 1.0, 1_700_000_000_123),
        ({metrics.RAW_TIMESTAMP_HEADER: b"42"}, 1.0, 42),
        ([("other", b"7")], 1_700_000_000.5, 1_700_000_000_500),
        (None, 1_700_000_000.5, 1_700_000_000_500),
        ([(metrics.RAW_TIMESTAMP_HEADER, b"not a number")], 2.0, 2000),
        (None, None, None),
        ([], -0.001, None),
    ],
)
def test_raw_timestamp_is_the_carried_header_else_the_records_own(
    headers: metrics.Headers, timestamp_s: float | None, expected: int | None
) -> None:
    assert metrics.raw_timestamp_ms(headers, timestamp_s) == expected


def test_raw_timestamp_headers_carry_it_to_the_next_stage() -> None:
    headers = metrics.raw_timestamp_headers(1_700_000_000_123)
    assert metrics.raw_timestamp_ms(list(headers), 5.0) == 1_700_000_000_123
    assert metrics.raw_timestamp_headers(None) == ()


@dataclass(frozen=True)
class TP:
    topic: str
    partition: int


@dataclass
class FakeConsumer:
    """A consumer's assignment, high watermarks and positions."""

    highwaters: dict[TP, int | None]
    positions: dict[TP, int] = field(default_factory=dict)

    def assignment(self) -> set[TP]:
        return set(self.highwaters)

    def highwater(self, tp: TP) -> int | None:
        return self.highwaters[tp]

    async def position(self, tp: TP) -> int | None:
        return self.positions.get(tp)


async def test_lag_is_highwater_minus_committed_per_topic() -> None:
    raw0, raw1, raw2 = (TP("p.articles.raw", n) for n in range(3))
    clean, unfetched = TP("p.articles.clean", 0), TP("p.articles.clean", 1)
    changelog = TP("newsline-dedupe-state-changelog", 0)
    consumer = FakeConsumer(
        highwaters={
            raw0: 10,
            raw1: 5,
            raw2: 0,
            clean: 7,
            unfetched: None,
            changelog: 9,
        },
        positions={raw2: 0, clean: 7},
    )
    committed = {raw0: 4, raw1: 5, changelog: 1}
    topics = {"p.articles.raw": "articles.raw", "p.articles.clean": "articles.clean"}
    lag = await metrics.sample_lag(consumer, committed, topics)
    # raw: 6 + 0 + 0 (nothing committed yet: from its position); clean: none left.
    assert lag == {"articles.raw": 6, "articles.clean": 0}


def test_lag_gauge_forgets_topics_no_longer_consumed() -> None:
    metrics.set_lag({"articles.raw": 3, "articles.clean": 1})
    metrics.set_lag({"articles.raw": 2})
    assert sample("newsline_consumer_lag_records", topic="articles.raw") == 2
    found = metrics.REGISTRY.get_sample_value(
        "newsline_consumer_lag_records", {"topic": "articles.clean"}
    )
    assert found is None


async def test_the_loop_probe_sees_a_blocked_event_loop() -> None:
    count = "newsline_event_loop_delay_seconds_count"
    total = "newsline_event_loop_delay_seconds_sum"
    before = sample(count), sample(total)
    probe = asyncio.create_task(metrics.probe_loop(0.01))
    await asyncio.sleep(0.05)
    time.sleep(0.3)  # the loop does nothing else meanwhile
    await asyncio.sleep(0.05)
    probe.cancel()
    assert sample(count) > before[0]
    assert sample(total) - before[1] >= 0.25
