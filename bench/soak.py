"""A soak run: one worker on a local three-node cluster, a broker bounced every few
minutes, and proof that no article was lost.

Starts a three-node KRaft cluster (``pipeline.devbroker``, in a temporary folder on
six free ports), one ``newsline worker`` on its own topics, and replays BBC News
texts (``../shared/corpora/bbc-news``, read at run time, never copied) at ``--rate``
articles/s for ``--minutes``. Every ``--bounce-every`` seconds one broker goes down
for ``--down-s`` seconds, nodes 1, 2, 3 in turn, alternately ``kill -9`` (its process
group) and a clean stop (SIGTERM); no bounce starts after the planned end of the
replay. Every 10 s it samples the worker's resident memory (with its process pool)
and the end offsets of articles.raw and of the outcome topics (articles.enriched and
articles.deadletter): lag is records sent minus outcomes. A redelivered copy counts
as an outcome, so lag can dip below zero after a bounce.

When the replay has ended and every node is up again, it reads the outputs until
each article sent has an outcome (up to 5 minutes), then prints: articles sent,
enriched, dead letters, lost (no outcome), articles with both outcomes, redelivered
copies that differ from the first, bounces done, the achieved rate, the worker's RSS
over each fifth of the replay, and lag at its largest and when the replay ended. The
exit status is 1 when an article was lost or a redelivered copy differs, else 0.

The corpus has 1,654 texts, fewer than a 20-minute run at 4/s needs (4,800): they go
out in rounds, each text under a new article_id per round (``read_corpus(...,
repeat=n)`` gives round k the id ``<id>~k``). A later round's article is an exact
copy of an earlier text; the texts carry no publication time, so both deciders'
windows are one minute of arrival time (as ``bench/latency.py --corpus bbc``), which
keeps their state bounded and has usually forgotten the first copy by then (a round
lasts about 7 minutes at 4/s).

    .venv/bin/python bench/soak.py [--minutes 20] [--rate 4] [--bounce-every 240]
                                   [--down-s 30] [--csv FILE]

Needs ``java`` (17+); the cluster uses three 512 MB heaps. Progress goes to stderr,
the figures to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import itertools
import logging
import math
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError
from measure import (
    BBC,
    bbc_texts,
    free_port,
    free_port_run,
    group_rss_mb,
    link_numbered,
)

from pipeline.cli.supervise import WorkerProcess
from pipeline.clients.corpus import SourceRecord, read_corpus
from pipeline.clients.kafka import (
    KafkaAccessError,
    ensure_topics,
    partitions_of,
    reader,
)
from pipeline.clients.replay import ReplayReport, send_records
from pipeline.clients.results import Results, collect, output_offsets
from pipeline.devbroker import (
    BrokerError,
    cluster_status,
    start_cluster,
    stop_cluster,
)
from pipeline.settings import LocalBrokerSettings, Settings
from pipeline.topics import DEADLETTER, ENRICHED, RAW

NODES = 3
#: Seconds between samples of memory and offsets.
SAMPLE_S = 10.0
#: A sample's offsets that take longer (a partition's leader just died) are skipped.
OFFSETS_TIMEOUT_S = 8.0
#: Both deciders' window, in hours: one minute of arrival time (bench/latency.py).
WINDOW_HOURS = 1 / 60
#: How long a killed worker's partitions stay with it; the cluster tests' value.
SESSION_TIMEOUT_S = 10.0
#: How long the worker may take to join its group before the replay starts.
READY_TIMEOUT_S = 180.0
#: How long to wait, once the replay ended, for every article's outcome.
DRAIN_TIMEOUT_S = 300.0
READY = re.compile(r"consuming [1-9][0-9]* partitions")


class SoakError(Exception):
    """The soak could not go on: a worker died, a node would not come back."""


# --- time and progress -------------------------------------------------------------


@dataclass
class Clock:
    """Seconds since the replay started (0 until it does)."""

    started: float | None = None

    def start(self) -> None:
        self.started = time.monotonic()

    def now(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started


def say(clock: Clock, message: str) -> None:
    """A progress line on stderr: wall time, and seconds into the replay."""
    into = f" t+{clock.now():4.0f} s" if clock.started is not None else ""
    print(f"[{time.strftime('%H:%M:%S')}{into}] {message}", file=sys.stderr, flush=True)


# --- the cluster -------------------------------------------------------------------


def cluster_config(data_dir: Path) -> LocalBrokerSettings:
    """Three nodes in ``data_dir``: node N on base + 2(N-1), its controller next."""
    base = free_port_run(2 * NODES)
    return Settings().broker.model_copy(
        update={"data_dir": data_dir, "port": base, "nodes": NODES}
    )


@dataclass(frozen=True)
class Bounce:
    """One node taken down and brought back."""

    node: int
    how: str
    at_s: float
    back_in_s: float


@dataclass
class Cluster:
    """The cluster's config, and the node down now (for the samples)."""

    config: LocalBrokerSettings
    down: int | None = None


async def bounce(
    cluster: Cluster, node: int, *, kill: bool, down_s: float, clock: Clock
) -> Bounce:
    """Take ``node`` down (``kill -9`` of its process group, or a clean stop), wait
    ``down_s``, start it again and wait until it answers."""
    at = clock.now()
    if kill:
        nodes = await asyncio.to_thread(cluster_status, cluster.config)
        pid = next(n.pid for n in nodes if n.node_id == node)
        if pid is None:
            raise SoakError(f"node {node} is not running, so it cannot be killed")
        how = "kill -9"
        say(clock, f"bounce: node {node} {how} (pid {pid}), down for {down_s:.0f} s")
        # Each broker leads its own process group (its own session).
        os.killpg(pid, signal.SIGKILL)
    else:
        how = "clean stop"
        say(clock, f"bounce: node {node} {how}, down for {down_s:.0f} s")
        await asyncio.to_thread(stop_cluster, cluster.config, only=node)
    cluster.down = node
    await asyncio.sleep(down_s)
    began = time.monotonic()
    try:
        await asyncio.to_thread(start_cluster, cluster.config, only=node)
    except BrokerError as error:
        raise SoakError(f"node {node} did not come back: {error}") from error
    cluster.down = None
    back = time.monotonic() - began
    say(clock, f"bounce: node {node} up again, {back:.1f} s after its start")
    return Bounce(node, how, at, back)


async def bounce_every(
    cluster: Cluster,
    *,
    every_s: float,
    down_s: float,
    until_s: float,
    stop: asyncio.Event,
    clock: Clock,
) -> list[Bounce]:
    """A bounce at every multiple of ``every_s`` before ``until_s`` (or ``stop``),
    over nodes 1, 2, 3 in turn, kill -9 and clean stop alternately."""
    done: list[Bounce] = []
    for number in itertools.count():
        due = (number + 1) * every_s
        if due >= until_s:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, due - clock.now()))
        if stop.is_set():
            break
        node = number % NODES + 1
        done.append(
            await bounce(
                cluster, node, kill=number % 2 == 0, down_s=down_s, clock=clock
            )
        )
    return done


# --- input -------------------------------------------------------------------------


def soak_records(folder: Path, count: int) -> tuple[list[SourceRecord], int, int]:
    """``count`` records: the texts in rounds, a new article_id per round. Reads them
    through links in ``folder`` named as bench/latency.py names them (the file name
    is the article's source). Returns the records, the texts and the rounds."""
    texts = bbc_texts()[:count]
    link_numbered(folder, texts)
    rounds = math.ceil(count / len(texts))
    return read_corpus([folder], repeat=rounds)[:count], len(texts), rounds


# --- settings and the worker -------------------------------------------------------


def soak_settings(bootstrap: str, tmp: Path) -> Settings:
    """A run's own topics, group, state and web port; one-minute decider windows."""
    run = uuid.uuid4().hex[:10]
    base = Settings()
    return Settings(
        kafka_bootstrap_servers=bootstrap,
        topic_prefix=f"soak-{run}.",
        app_id=f"newsline-soak-{run}",
        data_dir=tmp / "state",
        web_port=free_port(),
        kafka_session_timeout_s=SESSION_TIMEOUT_S,
        dedupe=base.dedupe.model_copy(update={"window_hours": WINDOW_HOURS}),
        corroborate=base.corroborate.model_copy(update={"window_hours": WINDOW_HOURS}),
    )


async def wait_until_ready(worker: WorkerProcess, clock: Clock) -> None:
    """Wait until the worker's log says it consumes its partitions."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not (worker.log_path.exists() and READY.search(worker.log_path.read_text())):
        if not worker.alive():
            raise SoakError(f"the worker died while starting:\n{worker.log_tail()}")
        if time.monotonic() > deadline:
            raise SoakError(
                f"the worker did not join its group in {READY_TIMEOUT_S:.0f} s:\n"
                f"{worker.log_tail()}"
            )
        await asyncio.sleep(1.0)
    say(clock, "the worker consumes its partitions")


# --- samples -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """Seconds into the replay, records on articles.raw and outcome records so far
    (None when the brokers did not answer in time), the worker's RSS with its pool,
    and the node down at the time."""

    t: float
    sent: int | None
    outcomes: int | None
    rss_mb: float
    down: int | None

    @property
    def lag(self) -> int | None:
        if self.sent is None or self.outcomes is None:
            return None
        return self.sent - self.outcomes

    def row(self) -> list[str]:
        def text(value: object) -> str:
            return "" if value is None else str(value)

        values = (self.sent, self.outcomes, self.lag)
        return [
            f"{self.t:.1f}",
            *map(text, values),
            f"{self.rss_mb:.1f}",
            text(self.down),
        ]


CSV_HEADER = ["seconds", "sent", "outcomes", "lag", "worker_rss_mb", "node_down"]


@dataclass
class Sampler:
    """Samples the run by end offsets (one consumer, no records read) and /proc."""

    settings: Settings
    worker: WorkerProcess
    cluster: Cluster
    clock: Clock
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.consumer = reader(self.settings)
        self.raw = partitions_of(self.settings, RAW)
        self.outcome = partitions_of(self.settings, ENRICHED, DEADLETTER)
        self.since: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        await self.consumer.start()
        self.since = await self.ends()

    async def close(self) -> None:
        await self.consumer.stop()

    async def ends(self) -> dict[TopicPartition, int]:
        found = await self.consumer.end_offsets(self.raw + self.outcome)
        return {partition: int(end) for partition, end in found.items()}

    async def counts(self) -> tuple[int | None, int | None]:
        """Records on articles.raw and on the outcome topics since the start."""
        try:
            ends = await asyncio.wait_for(self.ends(), OFFSETS_TIMEOUT_S)
        except (KafkaError, TimeoutError):
            return None, None

        def since(partitions: list[TopicPartition]) -> int:
            return sum(ends[p] - self.since.get(p, 0) for p in partitions)

        return since(self.raw), since(self.outcome)

    async def take(self) -> Sample:
        """One sample, kept, with a progress line; SoakError if the worker died."""
        if not self.worker.alive() or self.worker.process is None:
            raise SoakError(f"the worker died:\n{self.worker.log_tail()}")
        sent, outcomes = await self.counts()
        rss = await asyncio.to_thread(group_rss_mb, self.worker.process.pid)
        sample = Sample(self.clock.now(), sent, outcomes, rss, self.cluster.down)
        self.samples.append(sample)
        figures = (
            "offsets not answered in time"
            if sample.lag is None
            else f"sent {sample.sent:,}  outcomes {sample.outcomes:,}"
            f"  lag {sample.lag:,}"
        )
        down = f"  node {sample.down} down" if sample.down else ""
        say(self.clock, f"{figures}  worker {rss:,.0f} MB{down}")
        return sample

    async def every(self, stop: asyncio.Event) -> None:
        """A sample every SAMPLE_S until ``stop``."""
        while not stop.is_set():
            await self.take()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_S)


def write_csv(path: Path, samples: Sequence[Sample]) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(sample.row() for sample in samples)


# --- the run -----------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    minutes: float
    rate: float
    bounce_every_s: float
    down_s: float
    csv: Path | None


@dataclass(frozen=True)
class Outcome:
    """What the run did and found."""

    report: ReplayReport
    texts: int
    rounds: int
    bounces: list[Bounce]
    samples: list[Sample]
    #: Seconds into the run when the replay ended, and when every outcome was read.
    replay_end_s: float
    drained_s: float
    at_replay_end: Sample
    results: Results
    lost: list[str]


async def soak(
    cluster: Cluster, bootstrap: str, tmp: Path, options: Options
) -> Outcome:
    """The worker, the paced replay, the bounces and the samples; then every
    article's outcome."""
    clock = Clock()
    count = math.ceil(options.rate * options.minutes * 60)
    records, texts, rounds = soak_records(tmp / "texts", count)
    say(clock, f"{count:,} articles: {texts:,} texts, {rounds} round(s)")
    settings = soak_settings(bootstrap, tmp)
    await ensure_topics(settings)
    since = await output_offsets(settings)
    worker = WorkerProcess(
        log_path=tmp / "worker.log", env=settings.as_environment(), die_with_parent=True
    ).start()
    sampler = Sampler(settings, worker, cluster, clock)
    try:
        await wait_until_ready(worker, clock)
        await sampler.start()
        clock.start()
        stop_bouncing, stop_sampling = asyncio.Event(), asyncio.Event()
        async with asyncio.TaskGroup() as group:
            group.create_task(sampler.every(stop_sampling))
            bouncing = group.create_task(
                bounce_every(
                    cluster,
                    every_s=options.bounce_every_s,
                    down_s=options.down_s,
                    until_s=options.minutes * 60,
                    stop=stop_bouncing,
                    clock=clock,
                )
            )
            report = await send_records(
                settings, records, rate=options.rate, show_progress=False
            )
            replay_end = clock.now()
            say(clock, f"replay done: {report.sent:,} articles acknowledged")
            stop_bouncing.set()
            at_end = await sampler.take()
            bounces = await bouncing
            # Every node up for the drain (a no-op when all are).
            await asyncio.to_thread(start_cluster, cluster.config)
            say(clock, "waiting for every article's outcome")
            results = await collect(
                settings,
                since,
                expect=report.records,
                timeout=DRAIN_TIMEOUT_S,
                settle_s=3.0,
                alive=worker.alive,
            )
            drained = clock.now()
            stop_sampling.set()
        await sampler.take()
    finally:
        with contextlib.suppress(KafkaError):
            await sampler.close()
        await asyncio.to_thread(worker.stop)
    lost = [str(sent.key) for sent in results.outstanding(report.records)]
    if lost:
        say(clock, f"worker log, last lines:\n{worker.log_tail()}")
    return Outcome(
        report=report,
        texts=texts,
        rounds=rounds,
        bounces=bounces,
        samples=sampler.samples,
        replay_end_s=replay_end,
        drained_s=drained,
        at_replay_end=at_end,
        results=results,
        lost=lost,
    )


# --- figures -----------------------------------------------------------------------


def fifths(samples: Sequence[Sample], end_s: float) -> list[float]:
    """The worker's median RSS over each fifth of [0, end_s]; NaN for a fifth
    without a sample."""
    part = end_s / 5
    medians = []
    for index in range(5):
        inside = [
            s.rss_mb for s in samples if index * part <= s.t <= (index + 1) * part
        ]
        medians.append(statistics.median(inside) if inside else math.nan)
    return medians


def text(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def print_figures(outcome: Outcome, options: Options) -> None:
    results, report = outcome.results, outcome.report
    both = results.enriched.keys() & results.dead.keys()
    dead = len(results.dead) + len(results.dead_without_id)
    rate = report.sent / report.seconds if report.seconds else math.nan
    lags = [(s.lag, s.t) for s in outcome.samples if s.lag is not None]
    most, most_t = max(lags) if lags else (0, 0.0)
    end_lag = outcome.at_replay_end.lag
    rss = " / ".join(
        "-" if math.isnan(mb) else f"{mb:,.0f}"
        for mb in fifths(outcome.samples, outcome.replay_end_s)
    )
    how = ", ".join(f"node {b.node} {b.how} at {b.at_s:.0f} s" for b in outcome.bounces)
    print(
        f"Soak: {options.minutes:g} min at {options.rate:g} articles/s, one worker, "
        f"three nodes, a node down for {options.down_s:g} s every "
        f"{options.bounce_every_s:g} s"
    )
    rows = [
        ("articles sent", f"{report.sent:,} ({outcome.texts:,} texts, "
         f"{outcome.rounds} round(s))"),
        ("enriched", f"{len(results.enriched):,}"),
        ("dead letters", f"{dead:,}"),
        ("lost (no outcome)", f"{len(outcome.lost):,}"),
        ("both outcomes", f"{len(both):,}"),
        ("redelivered, differ", f"{len(results.changed):,} (of {results.copies:,} "
         "redelivered copies)"),
        ("bounces", f"{len(outcome.bounces)}" + (f": {how}" if how else "")),
        ("achieved rate", f"{rate:.2f} articles/s (asked {options.rate:g})"),
        ("worker RSS, fifths", f"{rss} MB"),
        ("lag max", f"{most:,} (at {most_t:.0f} s)"),
        ("lag at replay end", text(end_lag)),
        ("lag after the drain", f"{text(outcome.samples[-1].lag)} (redelivered "
         "copies count as outcomes)"),
        ("drained in", f"{outcome.drained_s - outcome.replay_end_s:.0f} s after the "
         "replay ended"),
    ]  # fmt: skip
    for name, value in rows:
        print(f"  {name:<20} {value}")
    if outcome.lost:
        print(f"  lost, e.g. {', '.join(sorted(outcome.lost)[:5])}")
    if results.changed:
        print(f"  differing copies, e.g. {', '.join(sorted(results.changed)[:5])}")


def failed(outcome: Outcome) -> bool:
    return bool(outcome.lost or outcome.results.changed)


#: What ends a soak early with a message rather than a traceback.
STOPPERS = (SoakError, BrokerError, KafkaError, KafkaAccessError, TimeoutError)


# --- main --------------------------------------------------------------------------


def run(options: Options) -> int:
    """Cluster up, soak, figures; the cluster is stopped whatever happens."""
    tmp = Path(tempfile.mkdtemp(prefix="newsline-soak-"))
    config = cluster_config(tmp / "cluster")
    clock = Clock()
    try:
        say(clock, f"starting three nodes in {config.data_dir}")
        info = start_cluster(config)
        say(clock, f"cluster {info.bootstrap} up in {info.started_in_s:.0f} s")
        cluster = Cluster(config)
        outcome = None
        try:
            outcome = asyncio.run(soak(cluster, info.bootstrap, tmp, options))
        except* STOPPERS as group:
            for error in group.exceptions:
                print(f"soak failed: {error}", file=sys.stderr)
        if outcome is None:
            return 1
        if options.csv is not None:
            write_csv(options.csv, outcome.samples)
            say(clock, f"samples written to {options.csv}")
        print_figures(outcome, options)
        return 1 if failed(outcome) else 0
    finally:
        say(clock, "stopping the cluster")
        stop_cluster(config)
        shutil.rmtree(tmp, ignore_errors=True)


def positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--minutes",
        type=positive,
        default=20.0,
        help="how long the replay runs (default 20); it sends rate x minutes x 60 "
        "articles",
    )
    parser.add_argument(
        "--rate",
        type=positive,
        default=4.0,
        help="articles/s (default 4: about half what one worker sustains on these "
        "texts on 2 cores)",
    )
    parser.add_argument(
        "--bounce-every",
        type=positive,
        default=240.0,
        metavar="S",
        help="seconds between bounces (default 240); nodes 1, 2, 3 in turn, "
        "kill -9 and clean stop alternately",
    )
    parser.add_argument(
        "--down-s",
        type=positive,
        default=30.0,
        metavar="S",
        help="how long a bounced node stays down (default 30)",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="write the samples (every 10 s: sent, outcomes, lag, worker RSS, node "
        "down) to FILE",
    )
    args = parser.parse_args(argv)
    return Options(args.minutes, args.rate, args.bounce_every, args.down_s, args.csv)


def connection_refused(record: logging.LogRecord) -> bool:
    """False for aiokafka's "Unable connect to node" records: expected while a
    bounced node is down, one per retry (hundreds per bounce)."""
    return not record.getMessage().startswith("Unable connect to node")


def main() -> None:
    options = parse()
    if not BBC.is_dir():
        sys.exit(f"corpus not found at {BBC}")
    # Each bounce makes aiokafka warn of every connection it lost and retried, and
    # log an error for every retry of a connection to the node that is down.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    logging.getLogger("aiokafka").addFilter(connection_refused)
    sys.exit(run(options))


if __name__ == "__main__":
    main()
