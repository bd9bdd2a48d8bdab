"""bench/throughput.py's sampling: workers started on a broker, their progress read
from Kafka end offsets and their CPU and memory from /proc, every ``SAMPLE_S``.

Kept apart from the runs (throughput_runs.py) so that what a run does and how it is
watched can be read on their own.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import TopicPartition
from measure import Usage, free_port, group_usage, machine_busy_s, usage

from pipeline.cli.supervise import WorkerProcess
from pipeline.clients.kafka import partitions_of, reader
from pipeline.settings import Settings
from pipeline.topics import CLEAN, DEADLETTER, ENRICHED, TopicSpec

#: Seconds between samples of progress, CPU and memory.
SAMPLE_S = 0.5
#: A phase that takes longer fails, with the first worker's log tail to say why.
PHASE_TIMEOUT_S = 420.0


@dataclass(frozen=True)
class Broker:
    """Where the brokers are; the pid and log folder when the broker is ours."""

    bootstrap: str
    pid: int | None = None
    log_dirs: Path | None = None


@dataclass(frozen=True)
class Memory:
    """Resident memory in MB: median over a steady window, and peak."""

    steady: float
    peak: float

    def __str__(self) -> str:
        if not self.peak:
            return "not measured"
        return f"{self.steady:,.0f} MB steady, {self.peak:,.0f} MB peak"


@dataclass(frozen=True)
class Cpu:
    """CPU milliseconds per article, and cores the workers and broker kept busy."""

    main_ms: float
    pool_ms: float
    broker_ms: float
    cores: float
    machine_cores: float

    @property
    def total_ms(self) -> float:
        return self.main_ms + self.pool_ms + self.broker_ms

    def __str__(self) -> str:
        return (
            f"{self.total_ms:,.0f} ms (pool {self.pool_ms:,.0f}, worker main"
            f" {self.main_ms:,.0f}, broker {self.broker_ms:,.0f}); {self.cores:.2f}"
            f" cores busy, of {self.machine_cores:.2f} busy on the machine"
        )


@dataclass(frozen=True)
class Snapshot:
    """One sample: seconds since the workers started, progress and usage."""

    t: float
    outcomes: int
    clean: int
    main: Usage
    pool: Usage
    broker: Usage
    #: CPU seconds the whole machine has spent busy, all cores together.
    machine_s: float


def _outcomes(snap: Snapshot) -> float:
    return snap.outcomes


def _main_cpu(snap: Snapshot) -> float:
    return snap.main.cpu_s


def _pool_cpu(snap: Snapshot) -> float:
    return snap.pool.cpu_s


def _broker_cpu(snap: Snapshot) -> float:
    return snap.broker.cpu_s


def _machine_cpu(snap: Snapshot) -> float:
    return snap.machine_s


@dataclass
class Trace:
    """The snapshots of a phase, and figures read off them."""

    snaps: list[Snapshot] = field(default_factory=list)

    def at(self, t: float, value: Callable[[Snapshot], float]) -> float:
        """``value`` at time ``t``, interpolated between snapshots."""
        for before, after in zip(self.snaps, self.snaps[1:], strict=False):
            if after.t >= t:
                share = (t - before.t) / max(after.t - before.t, 1e-9)
                return value(before) + (value(after) - value(before)) * share
        return value(self.snaps[-1])

    def time_of(self, count: float, *, clean: bool = False) -> float:
        """When outcomes (or cleaned articles) first reached ``count``."""
        for before, after in zip(self.snaps, self.snaps[1:], strict=False):
            n0, n1 = (
                (before.clean, after.clean)
                if clean
                else (before.outcomes, after.outcomes)
            )
            if n1 >= count:
                share = (count - n0) / max(n1 - n0, 1)
                return before.t + (after.t - before.t) * max(share, 0.0)
        return self.snaps[-1].t

    def outcomes_at(self, t: float) -> float:
        """Outcomes out by time ``t``."""
        return self.at(t, _outcomes)

    def rate(self, spans: Sequence[tuple[float, float]]) -> float:
        """Outcomes per second over the spans."""
        done = sum(self.outcomes_at(b) - self.outcomes_at(a) for a, b in spans)
        seconds = sum(b - a for a, b in spans)
        return done / seconds if seconds > 0 else math.nan

    def cpu(self, start: float, end: float) -> Cpu:
        """CPU per article and cores used over [start, end]."""
        done = max(self.outcomes_at(end) - self.outcomes_at(start), 1.0)
        main, pool, broker, machine = (
            self.at(end, part) - self.at(start, part)
            for part in (_main_cpu, _pool_cpu, _broker_cpu, _machine_cpu)
        )
        seconds = end - start
        per_article = (1000 * main / done, 1000 * pool / done, 1000 * broker / done)
        return Cpu(*per_article, (main + pool + broker) / seconds, machine / seconds)

    def memory(self, start: float, end: float) -> tuple[Memory, Memory]:
        """Workers' and broker's memory: median over [start, end], peak overall."""
        inside = [s for s in self.snaps if start <= s.t <= end] or self.snaps
        workers = [s.main.mb + s.pool.mb for s in self.snaps]
        return (
            Memory(
                statistics.median(s.main.mb + s.pool.mb for s in inside), max(workers)
            ),
            Memory(
                statistics.median(s.broker.mb for s in inside),
                max(s.broker.mb for s in self.snaps),
            ),
        )


class Progress:
    """Records on the outcome topics and on articles.clean since a mark, by end
    offsets: one consumer, no records read."""

    def __init__(self, settings: Settings) -> None:
        self.consumer = reader(settings)
        self.outcome_partitions = partitions_of(settings, ENRICHED, DEADLETTER)
        self.clean_partitions = partitions_of(settings, CLEAN)
        self.since: dict[TopicPartition, int] = {}

    async def __aenter__(self) -> Progress:
        await self.consumer.start()
        self.since = await self.ends()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.consumer.stop()

    async def ends(self) -> dict[TopicPartition, int]:
        partitions = self.outcome_partitions + self.clean_partitions
        return dict(await self.consumer.end_offsets(partitions))

    async def counts(self) -> tuple[int, int]:
        """Outcomes, and articles cleaned, since the mark."""
        ends = await self.ends()
        new = {p: end - self.since[p] for p, end in ends.items()}
        return (
            sum(new[p] for p in self.outcome_partitions),
            sum(new[p] for p in self.clean_partitions),
        )


async def timestamps(
    settings: Settings, spec: TopicSpec, since: dict[TopicPartition, int]
) -> dict[str, tuple[int, int]]:
    """Timestamp (ms) and size of the first record per key on a topic, from ``since``
    to its end."""
    consumer = reader(settings)
    await consumer.start()
    found: dict[str, tuple[int, int]] = {}
    try:
        partitions = partitions_of(settings, spec)
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for partition in partitions:
            consumer.seek(partition, since.get(partition, 0))
        while any([await consumer.position(p) < ends[p] for p in partitions]):
            batch = await consumer.getmany(timeout_ms=1000)
            for record in (r for records in batch.values() for r in records):
                if record.key is not None:
                    size = len(record.value or b"")
                    found.setdefault(record.key.decode(), (record.timestamp, size))
    finally:
        await consumer.stop()
    return found


def settings_for(broker: Broker, state: Path, **overrides: object) -> Settings:
    """Settings with a run's own topics, consumer group, state and web port, so no
    run reads what an earlier one left."""
    run = uuid.uuid4().hex[:10]
    values: dict[str, object] = {
        "kafka_bootstrap_servers": broker.bootstrap,
        "topic_prefix": f"bench-{run}.",
        "app_id": f"newsline-bench-{run}",
        "data_dir": state / f"state-{run}",
        "web_port": free_port(),
        "topic_partitions": 4,
    }
    return Settings(**(values | overrides))


@dataclass
class Run:
    """One phase's workers, sampled while they work."""

    settings: list[Settings]
    logs: Path
    broker: Broker
    workers: list[WorkerProcess] = field(default_factory=list)
    trace: Trace = field(default_factory=Trace)
    started: float = field(default_factory=time.monotonic)
    #: What each worker process runs, if not ``newsline worker``.
    args: Sequence[str] | None = None

    def start_workers(self) -> None:
        self.workers = [
            WorkerProcess(
                log_path=self.logs / f"{s.app_id}-{i}.log",
                env=s.as_environment(),
                **({"args": self.args} if self.args else {}),
            ).start()
            for i, s in enumerate(self.settings)
        ]
        self.started = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.started

    async def sample(self, progress: Progress) -> Snapshot:
        outcomes, clean = await progress.counts()
        groups = [w.process.pid for w in self.workers if w.process is not None]
        main, pool = group_usage(groups)
        broker = usage(self.broker.pid)[1] if self.broker.pid else Usage()
        snap = Snapshot(
            self.now(), outcomes, clean, main, pool, broker, machine_busy_s()
        )
        self.trace.snaps.append(snap)
        return snap

    async def sample_until_cancelled(self, progress: Progress) -> None:
        """Sample every ``SAMPLE_S`` until cancelled."""
        while True:
            await self.sample(progress)
            await asyncio.sleep(SAMPLE_S)

    async def wait_for(self, progress: Progress, total: int) -> None:
        """Sample until ``total`` outcomes have come; fail if a worker dies."""
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        while (snap := await self.sample(progress)).outcomes < total:
            for worker in self.workers:
                if not worker.alive():
                    raise RuntimeError(f"a worker died:\n{worker.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{snap.outcomes} of {total} outcomes after {PHASE_TIMEOUT_S:.0f}"
                    f" s\n{self.workers[0].log_tail()}"
                )
            await asyncio.sleep(SAMPLE_S)

    async def stop(self) -> None:
        await asyncio.gather(*(asyncio.to_thread(w.stop) for w in self.workers))
