"""Faults on a real broker: a broker restart, a rebalance, a burst.

Each run replays a stream of 2,000 real-sentence articles with designed exact and
near copies and bad records (tests/integration/streams.py), and checks DESIGN.md's
invariants: every article_id ends on articles.enriched or articles.deadletter,
redelivered copies are identical, and the verdicts are those of a run without the
fault. With one partition per topic the pipeline decides in file order, as
``newsline extract`` does, so its records must equal extract's exactly: the
broker-restart run checks that. Killed workers are the kill loops' subject
(test_kills.py) and the cluster runs' (test_cluster_faults.py). A rebalance needs
several partitions, and then
the order in which articles reach the deciders varies from run to run, with or
without a fault, and so do verdicts at the margin: which of two copies came first,
which of two similar clusters a claim joins. The rebalance run checks the verdicts
in a form that does not depend on that order (a word-for-word copy of a claim
always joins its original's cluster, whichever came first).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.measure import free_port, group_rss_mb
from pipeline.cli.supervise import WorkerProcess
from pipeline.clients.replay import replay
from pipeline.devbroker import start_broker, stop_broker
from pipeline.settings import Settings
from tests.integration.outcomes import (
    Reference,
    all_outcomes,
    assert_order_free,
    assert_same_as_reference,
    mark,
    until_outcomes,
)
from tests.integration.streams import FAULT_RUN as COUNT
from tests.integration.streams import Stream, write_stream

BURST = 5_000

# Each run streams thousands of articles through a worker on two cores.
pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

Workers = Callable[[Settings], WorkerProcess]


# --- the faults -------------------------------------------------------------------


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
        since = await mark(settings)
        await replay(settings, [stream.path], show_progress=False)
        await until_outcomes(settings, since, COUNT // 4, worker)
        await asyncio.to_thread(stop_broker, config)
        await asyncio.sleep(20)
        await asyncio.to_thread(start_broker, config)

        results = await all_outcomes(settings, since, stream, worker)
        assert_same_as_reference(results, reference)
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
    since = await mark(settings)
    await replay(settings, [stream.path], show_progress=False)
    await until_outcomes(settings, since, COUNT // 5, first)
    second = worker_factory(
        settings.model_copy(
            update={"data_dir": tmp_path / "second", "web_port": free_port()}
        )
    )
    await until_outcomes(settings, since, COUNT * 3 // 5, first)
    assert second.stop() == 0, second.log_tail()

    results = await all_outcomes(settings, since, stream, first)
    assert_order_free(results, stream, reference)
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
    since = await mark(settings)
    await replay(settings, [burst.path], show_progress=False)
    # Warm: the pool has loaded its models and the first batches have gone through.
    await until_outcomes(settings, since, BURST // 10, worker)
    assert worker.process is not None
    warm = group_rss_mb(worker.process.pid)

    samples = [warm]
    sampler = asyncio.create_task(_sample(worker.process.pid, samples))
    try:
        results = await all_outcomes(settings, since, burst, worker)
    finally:
        sampler.cancel()
    peak = max(samples)
    print(f"burst of {BURST}: worker RSS {warm:.0f} MB warm, {peak:.0f} MB peak")
    assert set(results.dead) == burst.bad
    # The backlog waits in Kafka, not in the worker: while 4,500 articles wait,
    # the worker holds about what it held with a few hundred behind it.
    assert peak - warm < 400, (warm, peak)


# --- helpers ----------------------------------------------------------------------


def _assigned(worker: WorkerProcess) -> bool:
    """Whether the worker's log shows it was given partitions to consume."""
    return (
        re.search(r"consuming [1-9]\d* partitions", worker.log_path.read_text())
        is not None
    )


async def _sample(group: int, samples: list[float]) -> None:
    """The worker's process group (it and its pool) every half second."""
    while True:
        samples.append(group_rss_mb(group))
        await asyncio.sleep(0.5)
