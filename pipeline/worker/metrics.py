"""The worker's Prometheus metrics, served at ``/metrics`` on its web port.

Every metric lives in ``REGISTRY`` rather than prometheus_client's global one, so the
worker serves exactly what this module declares and a test can hold the Grafana
dashboard to it. Metrics are recorded in the worker process only: pool processes
return results and the parent times the pool call, so no multiprocess mode is needed.

The stage label is the worker stage that consumed or published a record: ``ingest``,
``fingerprint``, ``dedupe`` (the decider), ``claims``, ``corroborate``. docs/metrics.md
describes each metric.
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

from pipeline.flow import Output
from pipeline.topics import CLAIMED, DEDUPED, ENRICHED
from schemas import DeadLetter, EnrichedArticle

#: The classic text format (0.0.4), which every Prometheus version reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

STAGES = ("ingest", "fingerprint", "dedupe", "claims", "corroborate")
#: The stages that compute in the process pool, a batch at a time; the others
#: (deciders) handle one record at a time and have no batch time.
POOLED_STAGES = ("ingest", "fingerprint", "claims")

#: The header that carries the raw record's Kafka timestamp (ms since the epoch)
#: from stage to stage, for the end-to-end latency. Each stage copies it from the
#: record it consumed onto every record it publishes.
RAW_TIMESTAMP_HEADER = "newsline-raw-timestamp-ms"

#: Seconds, 1 ms to 30 s: a decision takes milliseconds, a batch of hard pages
#: can take a good part of the per-article cap (20 s by default).
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
#: Seconds, 50 ms to an hour: a backlog after an outage is part of what this shows.
END_TO_END_BUCKETS = (
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    1800.0,
    3600.0,
)
#: How often the event loop's delay is sampled (``probe_loop``).
LOOP_PROBE_S = 0.1
CLAIM_BUCKETS = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 100.0)

#: The sample names each metric type exposes, after its family name.
_SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
}

# A ``_created`` series beside every counter and histogram doubles what Prometheus
# stores for a start time it already knows from process_start_time_seconds.
disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated upstream
REGISTRY = CollectorRegistry()
# RSS and CPU of the worker: memory growth of idle agents is a known faust problem.
ProcessCollector(registry=REGISTRY)

RECORDS_IN = Counter(
    "newsline_records_in",
    "Records a stage consumed from its input topic.",
    ["stage"],
    registry=REGISTRY,
)
RECORDS_OUT = Counter(
    "newsline_records_out",
    "Records a stage published, by output topic (name without the deployment prefix).",
    ["stage", "topic"],
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "newsline_dead_letters",
    "Dead letters a stage published, by error_type.",
    ["stage", "error_type"],
    registry=REGISTRY,
)
BATCH_SECONDS = Histogram(
    "newsline_stage_batch_seconds",
    "Time a pooled stage spent computing one batch in the process pool.",
    ["stage"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
ARTICLE_SECONDS = Histogram(
    "newsline_stage_article_seconds",
    "Time a stage spent per article: a decider's own time, or a pooled stage's"
    " batch time shared equally among the batch's articles.",
    ["stage"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
FORGOTTEN = Counter(
    "newsline_forgotten_articles",
    "Articles a decider forgot once they left its window (their state deleted).",
    ["stage"],
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "newsline_consumer_lag_records",
    "Records not yet processed on this worker's assigned partitions of an input"
    " topic: high watermark minus committed offset.",
    ["topic"],
    registry=REGISTRY,
)
DUPLICATES = Counter(
    "newsline_duplicates",
    "Articles the dedupe decider found to duplicate an earlier one, by kind.",
    ["kind"],
    registry=REGISTRY,
)
REPEATED_SENTENCES = Counter(
    "newsline_repeated_sentences",
    "Sentences the dedupe decider found already seen in an earlier article.",
    registry=REGISTRY,
)
CLAIMS = Counter(
    "newsline_claims",
    "Claims the claims stage extracted.",
    registry=REGISTRY,
)
CLAIMS_PER_ARTICLE = Histogram(
    "newsline_claims_per_article",
    "Claims the claims stage extracted from one article.",
    buckets=CLAIM_BUCKETS,
    registry=REGISTRY,
)
END_TO_END_SECONDS = Histogram(
    "newsline_end_to_end_seconds",
    "From the raw record's Kafka timestamp to the finished article being handed to"
    " the producer for articles.enriched.",
    buckets=END_TO_END_BUCKETS,
    registry=REGISTRY,
)

LOOP_DELAY_SECONDS = Histogram(
    "newsline_event_loop_delay_seconds",
    "How late the worker's event loop woke a task that slept"
    f" {LOOP_PROBE_S:g} s: time it spent on other work without a pause. Every"
    " agent of the worker waits that long.",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)


async def probe_loop(period_s: float = LOOP_PROBE_S) -> None:
    """Observe the event loop's delays until cancelled."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + period_s
        await asyncio.sleep(period_s)
        LOOP_DELAY_SECONDS.observe(max(0.0, loop.time() - due))


def _declare_series() -> None:
    # Series that exist at zero from the start: rate() and absent() then work from
    # the first scrape, not from the first event.
    for stage in STAGES:
        RECORDS_IN.labels(stage)
        ARTICLE_SECONDS.labels(stage)
    for stage in POOLED_STAGES:
        BATCH_SECONDS.labels(stage)
    for stage in ("dedupe", "corroborate"):
        FORGOTTEN.labels(stage)
    for kind in ("exact", "near"):
        DUPLICATES.labels(kind)


_declare_series()


def exposition() -> tuple[bytes, str]:
    """The registry in the Prometheus text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE


def metric_names() -> set[str]:
    """Every sample name the registry can expose (``_total``, ``_bucket``...),
    including those of labelled metrics that have no sample yet."""
    return {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in _SAMPLE_SUFFIXES.get(family.type, ("",))
    }


def count_in(stage: str, records: int) -> None:
    """``records`` consumed by ``stage``."""
    RECORDS_IN.labels(stage).inc(records)


def observe_batch(stage: str, seconds: float, *, size: int) -> None:
    """A pooled batch of ``size`` articles that took ``seconds`` in the pool."""
    BATCH_SECONDS.labels(stage).observe(seconds)
    # Pool processes run the batch's articles side by side, so no article's own time
    # is known in the parent; each gets an equal share.
    per_article = ARTICLE_SECONDS.labels(stage)
    for _ in range(size):
        per_article.observe(seconds / size)


def count_forgotten(stage: str, articles: int) -> None:
    """``articles`` forgotten by the decider of ``stage``."""
    FORGOTTEN.labels(stage).inc(articles)


def observe_article(stage: str, seconds: float) -> None:
    """One article that took ``seconds`` in ``stage``."""
    ARTICLE_SECONDS.labels(stage).observe(seconds)


def record_outputs(
    stage: str,
    outputs: Sequence[Output],
    *,
    raw_timestamp_ms: int | None,
    now_s: float,
) -> None:
    """Count what ``stage`` published for one consumed record, and what it found.

    ``raw_timestamp_ms`` is the Kafka timestamp of the raw record the outputs
    descend from, when known; ``now_s`` the publishing time (``time.time()``).
    """
    for topic, records in Tally(out.topic.name for out in outputs).items():
        RECORDS_OUT.labels(stage, topic).inc(records)
    for out in outputs:
        record = out.record
        if isinstance(record, DeadLetter):
            DEAD_LETTERS.labels(stage, record.error_type).inc()
        elif isinstance(record, EnrichedArticle):
            _record_article(out, record, raw_timestamp_ms, now_s)


def _record_article(
    out: Output, article: EnrichedArticle, raw_timestamp_ms: int | None, now_s: float
) -> None:
    # Each topic is written by one stage, so the topic says which verdicts are new.
    if out.topic == DEDUPED:
        _record_verdicts(article)
    elif out.topic == CLAIMED:
        CLAIMS.inc(len(article.claims))
        CLAIMS_PER_ARTICLE.observe(len(article.claims))
    elif out.topic == ENRICHED and raw_timestamp_ms is not None:
        # Clocks of producer and worker may disagree by a little; never negative.
        END_TO_END_SECONDS.observe(max(0.0, now_s - raw_timestamp_ms / 1000))


def _record_verdicts(article: EnrichedArticle) -> None:
    kind = article.duplicate.kind
    if kind is not None:
        DUPLICATES.labels(kind).inc()
    repeats = sum(1 for sentence in article.sentences if sentence.repeat_of is not None)
    if repeats:
        REPEATED_SENTENCES.inc(repeats)


Headers = Sequence[tuple[str, bytes]] | Mapping[str, bytes] | None


def raw_timestamp_ms(headers: Headers, timestamp_s: float | None) -> int | None:
    """The raw record's Kafka timestamp for a consumed record, in ms: the header a
    stage copied from its input, else the record's own timestamp (at ingest, the
    raw record's). None when neither is known."""
    carried = _header(headers, RAW_TIMESTAMP_HEADER)
    if carried is not None and carried.isdigit():
        return int(carried)
    # Old message formats report -1 for "no timestamp".
    if timestamp_s is None or timestamp_s <= 0:
        return None
    return round(timestamp_s * 1000)


def raw_timestamp_headers(timestamp_ms: int | None) -> tuple[tuple[str, bytes], ...]:
    """The headers that carry ``timestamp_ms`` on to the next stage."""
    if timestamp_ms is None:
        return ()
    return ((RAW_TIMESTAMP_HEADER, str(timestamp_ms).encode("ascii")),)


def _header(headers: Headers, name: str) -> bytes | None:
    if not headers:
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return next((value for key, value in pairs if key == name), None)


class LagSource(Protocol):
    """What lag sampling needs of faust's consumer (``app.consumer``)."""

    def assignment(self) -> Iterable[Any]: ...

    def highwater(self, tp: Any) -> int | None: ...

    async def position(self, tp: Any) -> int | None: ...


async def sample_lag(
    consumer: LagSource, committed: Mapping[Any, int | None], topics: Mapping[str, str]
) -> dict[str, int]:
    """Records not yet processed per input topic, over the assigned partitions.

    ``committed`` maps a partition to its committed offset (the next record to
    process); a partition without one yet counts from the consumer's position.
    ``topics`` maps a full topic name to the name it is reported under; other
    assigned topics (table changelogs) are left out. A partition whose high
    watermark is not known yet (nothing fetched) is left out too.
    """
    lag: dict[str, int] = {}
    for tp in consumer.assignment():
        name = topics.get(tp.topic)
        end = consumer.highwater(tp) if name is not None else None
        if name is None or end is None:
            continue
        done = committed.get(tp)
        if done is None:
            done = await consumer.position(tp)
        if done is not None:
            lag[name] = lag.get(name, 0) + max(0, end - done)
    return lag


def set_lag(lag: Mapping[str, int]) -> None:
    """Replace the lag gauge: a topic whose partitions moved away has no series."""
    CONSUMER_LAG.clear()
    for topic, records in lag.items():
        CONSUMER_LAG.labels(topic).set(records)
