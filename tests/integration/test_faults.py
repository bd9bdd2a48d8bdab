"""Faults on a real broker: a killed worker, a broker restart, a rebalance, a burst.

Each run replays a stream of 2,000 real-sentence articles with designed exact and
near copies and bad records (tests/integration/streams.py), and checks DESIGN.md's
invariants: every article_id ends on articles.enriched or articles.deadletter,
redelivered copies are identical, and the verdicts are those of a run without the
fault. With one partition per topic the pipeline decides in file order, as
``newsline extract`` does, so its records must equal extract's exactly: the crash
and broker-restart runs check that. A rebalance needs several partitions, and then
the order in which articles reach the deciders varies from run to run, with or
without a fault, and so do verdicts at the margin: which of two copies came first,
which of two similar clusters a claim joins. The rebalance run checks the verdicts
in a form that does not depend on that order (a word-for-word copy of a claim
always joins its original's cluster, whichever came first).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.broker import start_broker, stop_broker
from pipeline.extract import extract
from pipeline.kafka import ensure_topics
from pipeline.replay import replay
from pipeline.results import Offsets, Results, collect, output_offsets
from pipeline.settings import Settings
from pipeline.supervise import WorkerProcess
from pipeline.topics import DEADLETTER, ENRICHED, topic_name
from schemas import Claim, DeadLetter, EnrichedArticle
from schemas.corroborate import ClaimCluster, FigureComparison
from tests.integration.conftest import free_port
from tests.integration.streams import Stream, write_stream

COUNT = 2_000
BURST = 5_000
TIMEOUT = 420.0

# Each run streams thousands of articles through a worker on two cores.
pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

Workers = Callable[[Settings], WorkerProcess]


@dataclass(frozen=True)
class Reference:
    """What ``newsline extract`` makes of a stream: a run without any fault."""

    enriched: dict[str, EnrichedArticle]
    claims: dict[str, Claim]
    clusters: dict[str, dict[str, object]]
    comparisons: dict[str, FigureComparison]
    dead: set[str]


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> Stream:
    return write_stream(tmp_path_factory.mktemp("stream") / "stream.jsonl", COUNT)


@pytest.fixture(scope="module")
def reference(stream: Stream, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    out = tmp_path_factory.mktemp("reference")
    extract(Settings(), [stream.path], out, show_progress=False)

    def lines(name: str) -> list[str]:
        return (out / f"{name}.jsonl").read_text().splitlines()

    enriched = map(EnrichedArticle.model_validate_json, lines("articles.enriched"))
    claims = map(Claim.model_validate_json, lines("claims"))
    clusters = map(ClaimCluster.model_validate_json, lines("claims.clusters"))
    comparisons = map(FigureComparison.model_validate_json, lines("claims.conflicts"))
    dead = map(DeadLetter.model_validate_json, lines("articles.deadletter"))
    return Reference(
        enriched={a.article_id: a for a in enriched},
        claims={c.claim_id: c for c in claims},
        clusters={c.cluster_id: _timeless(c) for c in clusters},
        comparisons={c.comparison_id: c for c in comparisons},
        dead={d.article_id for d in dead if d.article_id},
    )


def _timeless(cluster: ClaimCluster) -> dict[str, object]:
    # Wall-clock fields; every stream article has a publication time, but a
    # cluster's first_seen may still come from the clock (see ClaimCluster).
    return cluster.model_dump(exclude={"first_seen", "updated"})


# --- the faults -------------------------------------------------------------------


async def test_worker_killed_mid_stream(
    settings_factory: Callable[..., Settings],
    worker_factory: Workers,
    stream: Stream,
    reference: Reference,
) -> None:
    settings = settings_factory(topic_partitions=1)
    worker = worker_factory(settings)
    since = await _mark(settings)
    await replay(settings, [stream.path], show_progress=False)
    done_at_kill = await _until_outcomes(settings, since, COUNT // 3, worker)
    worker.kill()
    restarted = worker_factory(settings)

    results = await _all_outcomes(settings, since, stream, restarted)
    assert done_at_kill < COUNT, "the worker finished before it could be killed"
    _assert_same_as_reference(results, reference)
    assert restarted.alive()


async def test_broker_restart_mid_stream(
    settings_factory: Callable[..., Settings],
    worker_factory: Workers,
    stream: Stream,
    reference: Reference,
    tmp_path: Path,
) -> None:
    config = Settings().broker.model_copy(
        update={
            "data_dir": tmp_path / "broker",
            "port": free_port(),
            "controller_port": free_port(),
        }
    )
    # The launcher runs its own event loop to probe the broker: not on this one.
    info = await asyncio.to_thread(start_broker, config)
    try:
        settings = settings_factory(
            topic_partitions=1, kafka_bootstrap_servers=info.bootstrap
        )
        worker = worker_factory(settings)
        since = await _mark(settings)
        await replay(settings, [stream.path], show_progress=False)
        await _until_outcomes(settings, since, COUNT // 4, worker)
        await asyncio.to_thread(stop_broker, config)
        await asyncio.sleep(20)
        await asyncio.to_thread(start_broker, config)

        results = await _all_outcomes(settings, since, stream, worker)
        _assert_same_as_reference(results, reference)
        assert worker.alive(), worker.log_tail()
    finally:
        await asyncio.to_thread(stop_broker, config)


async def test_worker_joins_and_leaves_mid_stream(
    settings_factory: Callable[..., Settings],
    worker_factory: Workers,
    stream: Stream,
    reference: Reference,
    tmp_path: Path,
) -> None:
    # Four partitions, as faust gives partition N of every topic to one worker:
    # with one, the second worker would only keep standby tables.
    settings = settings_factory(topic_partitions=4)
    first = worker_factory(settings)
    since = await _mark(settings)
    await replay(settings, [stream.path], show_progress=False)
    await _until_outcomes(settings, since, COUNT // 5, first)
    second = worker_factory(
        settings.model_copy(
            update={"data_dir": tmp_path / "second", "web_port": free_port()}
        )
    )
    await _until_outcomes(settings, since, COUNT * 3 // 5, first)
    assert second.stop() == 0, second.log_tail()

    results = await _all_outcomes(settings, since, stream, first)
    _assert_verdicts_match(results, stream, reference)
    assert _assigned(second), second.log_tail(80)
    assert first.alive()


async def test_burst_keeps_memory_bounded(
    settings_factory: Callable[..., Settings],
    worker_factory: Workers,
    tmp_path: Path,
) -> None:
    burst = write_stream(tmp_path / "burst.jsonl", BURST, prefix="b")
    settings = settings_factory(topic_partitions=4)
    worker = worker_factory(settings)
    since = await _mark(settings)
    await replay(settings, [burst.path], show_progress=False)
    # Warm: the pool has loaded its models and the first batches have gone through.
    await _until_outcomes(settings, since, BURST // 10, worker)
    assert worker.process is not None
    warm = _group_rss_mb(worker.process.pid)

    samples = [warm]
    sampler = asyncio.create_task(_sample(worker.process.pid, samples))
    try:
        results = await _all_outcomes(settings, since, burst, worker)
    finally:
        sampler.cancel()
    peak = max(samples)
    print(f"burst of {BURST}: worker RSS {warm:.0f} MB warm, {peak:.0f} MB peak")
    assert set(results.dead) == burst.bad
    # The backlog waits in Kafka, not in the worker: while 4,500 articles wait,
    # the worker holds about what it held with a few hundred behind it.
    assert peak - warm < 400, (warm, peak)


# --- helpers ----------------------------------------------------------------------


async def _mark(settings: Settings) -> Offsets:
    await ensure_topics(settings)
    return await output_offsets(settings)


async def _outcomes(settings: Settings, since: Offsets) -> int:
    """Records on the enriched and dead-letter topics since ``since``."""
    now = await output_offsets(settings)
    wanted = {topic_name(settings, ENRICHED), topic_name(settings, DEADLETTER)}
    return sum(end - since.get(p, 0) for p, end in now.items() if p.topic in wanted)


async def _until_outcomes(
    settings: Settings, since: Offsets, count: int, worker: WorkerProcess
) -> int:
    deadline = time.monotonic() + TIMEOUT
    while (done := await _outcomes(settings, since)) < count:
        assert worker.alive(), worker.log_tail()
        assert time.monotonic() < deadline, f"only {done} outcomes\n{worker.log_tail()}"
        await asyncio.sleep(0.5)
    return done


async def _all_outcomes(
    settings: Settings, since: Offsets, stream: Stream, worker: WorkerProcess
) -> Results:
    results = await collect(
        settings, since, expect=stream.ids, timeout=TIMEOUT, settle_s=3.0
    )
    missing = set(stream.ids) - results.done()
    assert not missing, f"{len(missing)} lost, e.g. {sorted(missing)[:5]}\n" + (
        worker.log_tail()
    )
    assert not results.changed, f"redelivered copies differ: {sorted(results.changed)}"
    assert set(results.dead) == stream.bad
    print(
        f"{len(results.enriched)} enriched, {len(results.dead)} dead letters,"
        f" {len(results.claims)} claims; {results.copies} redelivered copies"
    )
    return results


def _assert_same_as_reference(results: Results, reference: Reference) -> None:
    assert results.enriched.keys() == reference.enriched.keys()
    differ = [i for i, a in reference.enriched.items() if results.enriched[i] != a]
    assert not differ, f"{len(differ)} articles differ from extract, e.g. {differ[:3]}"
    assert results.claims == reference.claims
    assert results.comparisons == reference.comparisons
    latest = {key: _timeless(cluster) for key, cluster in results.clusters.items()}
    assert latest == reference.clusters
    assert set(results.dead) == reference.dead


def _assert_verdicts_match(
    results: Results, stream: Stream, reference: Reference
) -> None:
    """The verdicts, in a form that does not depend on the order of decisions:
    which of two copies came first is not fixed, that one of them did is."""
    assert results.enriched.keys() == reference.enriched.keys()
    for copy, original in stream.exact.items():
        pair = {copy, original}
        kinds = sorted(_kind(results, i) for i in pair)
        assert kinds == ["exact", "none"], (copy, original, kinds)
        flagged = next(i for i in pair if _kind(results, i) == "exact")
        assert results.enriched[flagged].duplicate.of in pair
    for copy, original in stream.near.items():
        expected = sorted(_kind(reference, i) for i in (copy, original))
        got = sorted(_kind(results, i) for i in (copy, original))
        assert got == expected, (copy, original, got, expected)
    # A sentence seen k times has k - 1 later copies, in whatever order they came.
    assert _repeats(results) == _repeats(reference)
    # A claim and its word-for-word copy share a cluster, whichever came first.
    for copy, original in stream.exact.items():
        ours = [c.cluster_id for c in results.enriched[copy].claims]
        theirs = [c.cluster_id for c in results.enriched[original].claims]
        assert ours == theirs, (copy, original)
    texts = {i: [c.text for c in a.claims] for i, a in reference.enriched.items()}
    assert {i: [c.text for c in a.claims] for i, a in results.enriched.items()} == (
        texts
    )


def _repeats(results: Results | Reference) -> int:
    return sum(
        sentence.repeat_of is not None
        for article in results.enriched.values()
        for sentence in article.sentences
    )


def _kind(results: Results | Reference, article_id: str) -> str:
    return results.enriched[article_id].duplicate.kind or "none"


def _assigned(worker: WorkerProcess) -> bool:
    """Whether the worker's log shows it was given partitions to consume."""
    return (
        re.search(r"consuming [1-9]\d* partitions", worker.log_path.read_text())
        is not None
    )


async def _sample(group: int, samples: list[float]) -> None:
    while True:
        samples.append(_group_rss_mb(group))
        await asyncio.sleep(0.5)


def _group_rss_mb(group: int) -> float:
    """Resident memory of a process group (the worker and its pool), in MB."""
    return sum(_rss_kb(pid) for pid in _members(group)) / 1024


def _members(group: int) -> Iterator[int]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == group:  # pgrp, after state and ppid
                yield int(entry)


def _rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
