"""A worker's /metrics after the seeds went through it, on a real broker."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from pipeline.cli.supervise import WorkerProcess
from pipeline.clients.kafka import partitions_of, reader
from pipeline.clients.replay import replay
from pipeline.clients.results import collect, output_offsets
from pipeline.settings import Settings
from pipeline.topics import (
    CLAIMED,
    CLEAN,
    DEDUPE_LOG,
    DEDUPED,
    ENRICHED,
    RAW,
    TopicSpec,
)
from pipeline.worker.decider import EXPIRY_EVERY
from pipeline.worker.metrics import RAW_TIMESTAMP_HEADER
from tests.integration.streams import write_stream

TIMEOUT = 120.0
SEEDS = 5
STAGES = ("ingest", "fingerprint", "dedupe", "claims", "corroborate")
#: The topics the agents consume: the lag gauge reports each.
INPUTS = (RAW, CLEAN, DEDUPE_LOG, DEDUPED, CLAIMED)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> Samples:
    """Every sample the worker serves, keyed by name and labels."""
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode("utf-8")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_the_seeds(
    settings: Settings, worker: WorkerProcess, seeds_dir: Path
) -> None:
    since = await output_offsets(settings)
    report = await replay(settings, [seeds_dir])
    results = await collect(settings, since, expect=report.keys, timeout=TIMEOUT)
    assert results.done() == set(report.keys), worker.log_tail()
    assert len(report.keys) == SEEDS

    samples = await asyncio.to_thread(scrape, settings.web_port)
    print(
        {
            k: v
            for k, v in samples.items()
            if "end_to_end" in k[0]
            or "claims_per" in k[0]
            or "article_seconds_sum" in k[0]
            or "batch_seconds_sum" in k[0]
            or "records_out" in k[0]
        }
    )
    for stage in STAGES:
        assert value(samples, "newsline_records_in_total", stage=stage) == SEEDS
        count = value(samples, "newsline_stage_article_seconds_count", stage=stage)
        assert count == SEEDS, stage
    enriched = value(
        samples,
        "newsline_records_out_total",
        stage="corroborate",
        topic="articles.enriched",
    )
    assert enriched == SEEDS
    assert value(samples, "newsline_claims_total") == len(results.claims) > 0
    assert value(samples, "newsline_claims_per_article_count") == SEEDS
    assert value(samples, "newsline_stage_batch_seconds_count", stage="ingest") > 0
    assert value(samples, "newsline_end_to_end_seconds_count") == SEEDS
    assert value(samples, "newsline_repeated_sentences_total") > 0
    assert not any(name == "newsline_dead_letters_total" for name, _ in samples)
    assert await settled_lag(settings.web_port) == dict.fromkeys(
        (spec.name for spec in INPUTS), 0.0
    ), worker.log_tail()


async def settled_lag(port: int, *, timeout: float = 60.0) -> dict[str, float]:
    """The lag gauge once every input topic shows none, or as it is at ``timeout``.

    It is sampled every few seconds, and offsets are committed every few seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        samples = await asyncio.to_thread(scrape, port)
        lag = {
            dict(labels)["topic"]: found
            for (name, labels), found in samples.items()
            if name == "newsline_consumer_lag_records"
        }
        if (lag.keys() == {spec.name for spec in INPUTS} and not any(lag.values())) or (
            time.monotonic() > deadline
        ):
            return lag
        await asyncio.sleep(1.0)


async def test_enriched_articles_carry_the_raw_timestamp(
    settings: Settings, worker: WorkerProcess, seeds_dir: Path
) -> None:
    since = await output_offsets(settings)
    report = await replay(settings, [seeds_dir])
    results = await collect(settings, since, expect=report.keys, timeout=TIMEOUT)
    assert results.done() == set(report.keys), worker.log_tail()

    raw = await read_topic(settings, RAW)
    enriched = await read_topic(settings, ENRICHED)
    assert len(enriched) == SEEDS
    for key, (_, headers) in enriched.items():
        raw_timestamp_ms, _ = raw[key]
        assert headers[RAW_TIMESTAMP_HEADER] == str(raw_timestamp_ms).encode()


async def read_topic(
    settings: Settings, spec: TopicSpec
) -> dict[bytes | None, tuple[int, dict[str, bytes]]]:
    """Each record's timestamp (ms) and headers by key, the whole topic."""
    consumer = reader(settings)
    await consumer.start()
    found: dict[bytes | None, tuple[int, dict[str, bytes]]] = {}
    try:
        partitions = partitions_of(settings, spec)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    found[record.key] = (record.timestamp, dict(record.headers))
    finally:
        await consumer.stop()
    return found


#: Articles of the forgetting test, a minute apart in publication time, and the
#: deciders' window there: a quarter of an hour.
SPACED = 40
WINDOW_MINUTES = 15


async def test_the_deciders_forget_what_leaves_their_window(
    settings_factory: Callable[..., Settings],
    worker_factory: Callable[[Settings], WorkerProcess],
    tmp_path: Path,
) -> None:
    """Once the newest article is 39 minutes on, the 24 published more than a
    quarter of an hour before it have left both windows: the deciders forgot each
    of them (their tables' state deleted), and decided every article still."""
    window = {"window_hours": WINDOW_MINUTES / 60}
    # One partition: the deciders see the articles in publication order.
    settings = settings_factory(topic_partitions=1, dedupe=window, corroborate=window)
    worker = worker_factory(settings)
    spaced = write_stream(tmp_path / "spaced.jsonl", SPACED)
    # Then as many decisions again at the newest article's time, which move the
    # window no further: whatever the count of decisions so far, the deciders
    # forget what is due at least once more.
    newest = json.loads(spaced.path.read_bytes().splitlines()[-1])["published_at"]
    tail = write_stream(tmp_path / "tail.jsonl", EXPIRY_EVERY, prefix="t")
    lines = [json.loads(line) for line in tail.path.read_bytes().splitlines()]
    tail.path.write_text(
        "".join(json.dumps(r | {"published_at": newest}) + "\n" for r in lines)
    )
    since = await output_offsets(settings)
    report = await replay(settings, [spaced.path])
    results = await collect(settings, since, expect=report.keys, timeout=TIMEOUT)
    assert results.done() == set(report.keys), worker.log_tail()
    since = await output_offsets(settings)
    report = await replay(settings, [tail.path])
    more = await collect(settings, since, expect=report.keys, timeout=TIMEOUT)
    assert len(results.enriched) + len(more.enriched) == SPACED + EXPIRY_EVERY
    samples = await asyncio.to_thread(scrape, settings.web_port)
    for stage in ("dedupe", "corroborate"):
        forgotten = value(samples, "newsline_forgotten_articles_total", stage=stage)
        assert forgotten == SPACED - 1 - WINDOW_MINUTES, (stage, worker.log_tail())
