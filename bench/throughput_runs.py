"""bench/throughput.py's runs: sustained (a backlog drained by 1 or 2 workers) and
latency (articles at a fixed pace through one warm worker), and the figures each
gives. How they are taken: docs/benchmarks/throughput-method.md.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import statistics
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from measure import bbc_texts, free_port, link_numbered, quantile
from throughput_profile import Profile
from throughput_trace import (
    SAMPLE_S,
    Broker,
    Cpu,
    Memory,
    Progress,
    Run,
    Trace,
    settings_for,
    timestamps,
)

from pipeline.clients.kafka import ensure_topics
from pipeline.clients.replay import replay
from pipeline.settings import Settings
from pipeline.topics import CLAIMED, CLEAN, DEDUPE_LOG, DEDUPED, ENRICHED, RAW

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "article-extraction-benchmark" / "html"
#: Distinct news texts (plain text, no publication time), for runs that must not
#: repeat an article: 2,225 of them.
SEEDS = ROOT / "seeds"


def corpus_pages() -> int:
    """Pages in the corpus: a run's articles over it is how many times it went."""
    return len(list(CORPUS.glob("*.html.gz")))


# --- sustained throughput -----------------------------------------------------------


@dataclass(frozen=True)
class Sustained:
    workers: int
    articles: int
    #: Between 10% and 90% of the outcomes, and over the whole backlog.
    rate: float
    drain_rate: float
    profiled_rate: float | None
    first_outcome_s: float
    cleaned_s: float
    cleaned_share: float
    total_s: float
    cpu: Cpu
    worker: Memory
    broker: Memory
    #: KB per article on each of the run's topics, largest first.
    topics_kb: list[tuple[str, float]] = field(default_factory=list)
    #: Milliseconds per article each stage spent, per the workers' /metrics.
    stages_ms: list[tuple[str, float]] = field(default_factory=list)


async def sustained(
    broker: Broker,
    tmp: Path,
    *,
    workers: int,
    repeat: int,
    profile: Profile | None = None,
    corpus: Path = CORPUS,
    **overrides: object,
) -> Sustained:
    """Pre-load the backlog (``corpus`` ``repeat`` times), then start ``workers``
    workers and time the outcomes. ``overrides`` are settings."""
    # Two workers on this machine share its cores: one pool process each.
    pool = {"process_workers": 1} if workers > 1 else {}
    first = settings_for(broker, tmp, **pool, **overrides)
    others = [
        first.model_copy(
            update={"data_dir": tmp / f"{first.app_id}-{i}", "web_port": free_port()}
        )
        for i in range(1, workers)
    ]
    run = Run([first, *others], tmp, broker)
    sent = (await replay(first, [corpus], repeat=repeat, show_progress=False)).sent
    print(f"  {sent} articles produced; {workers} worker(s) starting", flush=True)
    async with Progress(first) as progress:
        run.start_workers()
        try:
            spy = asyncio.create_task(_profile_when(run, sent, profile))
            await run.wait_for(progress, sent)
            await spy
            ports = [s.web_port for s in run.settings]
            stages = await asyncio.to_thread(stage_seconds, ports)
        finally:
            await run.stop()
    window = profile.window if profile is not None else None
    result = summarise(run.trace, workers, sent, window)
    return replace(
        result,
        topics_kb=topic_kb(broker, first, sent),
        stages_ms=[(stage, 1000 * s / sent) for stage, s in stages.items()],
    )


#: What the workers' /metrics time per stage: pooled stages' batches (wall time
#: around the pool call), and the deciders' decisions (in the event loop).
STAGE_METRICS = {
    "newsline_stage_batch_seconds_sum": ("ingest", "fingerprint", "claims"),
    "newsline_stage_article_seconds_sum": ("dedupe", "corroborate"),
}
STAGE_TIMES = ("ingest", "fingerprint", "dedupe", "claims", "corroborate")


def _metrics_lines(port: int) -> list[str]:
    """A worker's /metrics page, line by line; none for a worker without one."""
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as page:
            return str(page.read().decode()).splitlines()
    except OSError:
        return []


#: The event loop delays ``loop_delays`` counts: longer than each of these seconds.
LOOP_DELAYS_S = ("0.1", "0.5", "1.0", "2.5", "5.0")


def loop_delays(port: int) -> tuple[int, dict[str, int]]:
    """A worker's event loop probes so far, and how many were late by more than
    each of ``LOOP_DELAYS_S`` (newsline_event_loop_delay_seconds)."""
    buckets: dict[str, float] = {}
    for line in _metrics_lines(port):
        if line.startswith("newsline_event_loop_delay_seconds_bucket{"):
            bound = line.partition('le="')[2].partition('"')[0]
            buckets[bound] = float(line.rsplit(" ", 1)[1])
    total = int(buckets.get("+Inf", 0))
    return total, {b: total - int(buckets.get(b, total)) for b in LOOP_DELAYS_S}


def forgotten(port: int) -> dict[str, int]:
    """Articles each decider of a worker forgot so far, and decided
    (newsline_forgotten_articles_total, newsline_records_in_total)."""
    found: dict[str, int] = {}
    for line in _metrics_lines(port):
        metric, _, rest = line.partition("{")
        stage = rest.partition('stage="')[2].partition('"')[0]
        if stage in ("dedupe", "corroborate") and metric in (
            "newsline_forgotten_articles_total",
            "newsline_records_in_total",
        ):
            kind = "forgotten" if "forgotten" in metric else "decided"
            found[f"{stage} {kind}"] = int(float(line.rsplit(" ", 1)[1]))
    return found


def stage_seconds(ports: Sequence[int]) -> dict[str, float]:
    """Seconds each stage spent, summed over the workers' /metrics pages."""
    found: dict[str, float] = {}
    for port in ports:
        for line in _metrics_lines(port):
            metric, _, rest = line.partition("{")
            stage = rest.partition('stage="')[2].partition('"')[0]
            if stage in STAGE_METRICS.get(metric, ()):
                found[stage] = found.get(stage, 0.0) + float(line.rsplit(" ", 1)[1])
    return {stage: found[stage] for stage in STAGE_TIMES if stage in found}


async def _profile_when(run: Run, total: int, profile: Profile | None) -> None:
    """py-spy on the first worker once a fifth of the outcomes are out."""
    if profile is None:
        return
    while not run.trace.snaps or run.trace.snaps[-1].outcomes < total // 5:
        await asyncio.sleep(SAMPLE_S)
    worker = run.workers[0].process
    if worker is not None:
        await profile.record(worker.pid, run.now)


def summarise(
    trace: Trace, workers: int, sent: int, window: tuple[float, float] | None
) -> Sustained:
    start, end = trace.time_of(0.1 * sent), trace.time_of(0.9 * sent)
    first_clean, last = trace.time_of(1, clean=True), trace.time_of(sent)
    cleaned = trace.time_of(trace.snaps[-1].clean, clean=True)
    worker, broker = trace.memory(start, end)
    return Sustained(
        workers=workers,
        articles=sent,
        rate=trace.rate(without(window, start, end)),
        drain_rate=trace.rate(without(window, first_clean, last)),
        profiled_rate=trace.rate([window]) if window else None,
        first_outcome_s=trace.time_of(1),
        cleaned_s=cleaned,
        cleaned_share=trace.outcomes_at(cleaned) / sent,
        total_s=last,
        cpu=trace.cpu(first_clean, last),
        worker=worker,
        broker=broker,
    )


def topic_kb(
    broker: Broker, settings: Settings, articles: int
) -> list[tuple[str, float]]:
    """KB per article in each of a run's topics (its log segments), largest first."""
    if broker.log_dirs is None:
        return []
    sizes: Counter[str] = Counter()
    for segment in broker.log_dirs.glob("*/*.log"):
        topic = segment.parent.name.rsplit("-", 1)[0]  # the folder is TOPIC-PARTITION
        for prefix in (settings.topic_prefix, f"{settings.app_id}-"):
            if topic.startswith(prefix):
                sizes[topic.removeprefix(prefix)] += segment.stat().st_size
    return [(topic, size / 1024 / articles) for topic, size in sizes.most_common()]


def without(
    window: tuple[float, float] | None, start: float, end: float
) -> list[tuple[float, float]]:
    """[start, end] less the window."""
    if window is None:
        return [(start, end)]
    a, b = (min(max(t, start), end) for t in window)
    return [(start, a), (b, end)]


# --- latency ----------------------------------------------------------------------

#: The topics an article passes through, and the stage between each two.
HOPS = (RAW, CLEAN, DEDUPE_LOG, DEDUPED, CLAIMED, ENRICHED)
HOP_NAMES = ("ingest", "fingerprint", "dedupe", "claims", "corroborate")
#: The start of the paced run left out: articles produced in it do not count for
#: latency, nor its samples for the steady memory.
SETTLE_MS = 10_000


@dataclass(frozen=True)
class Hop:
    """Seconds from one topic's record to the next one's, by article."""

    stage: str
    p50: float
    p95: float
    slowest_mean: float

    def __str__(self) -> str:
        return (
            f"{self.stage} {self.p50:.2f} / {self.p95:.2f} / {self.slowest_mean:.2f} s"
        )


@dataclass(frozen=True)
class Latency:
    rate: float
    produced: int
    achieved_rate: float
    measured: int
    dead: int
    p50: float
    p95: float
    p99: float
    #: Per stage: p50, p95, and the mean over the slowest 5% of articles.
    hops: list[Hop]
    cpu: Cpu
    #: Mean size of an enriched record: the slowest 5% of articles, and all.
    slow_kb: float
    all_kb: float
    worker: Memory
    broker: Memory
    #: The workers' median RSS in MB, main process and pool, over each fifth of the
    #: paced run: memory is flat when the later fifths match.
    worker_fifths: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())
    #: The worker's event loop probes (every 0.1 s) and how many were late by
    #: more than each of LOOP_DELAYS_S seconds.
    loop_delays: tuple[int, dict[str, int]] = (0, {})
    #: Articles each decider decided and forgot over the whole run (warm-up too).
    forgetting: dict[str, int] = field(default_factory=dict)
    #: Each measured article: seconds from the paced run's start to its raw record,
    #: its latency, and its seconds in each hop (NaN where it skipped one); shows
    #: whether the slow ones come together, and where they waited.
    timeline: tuple[tuple[float, ...], ...] = ()


async def latency(
    broker: Broker,
    tmp: Path,
    *,
    rate: float,
    seconds: float,
    distinct: bool = False,
    **overrides: object,
) -> Latency:
    """Articles at ``rate`` per second for about ``seconds`` through one warm worker:
    the benchmark pages again and again, or with ``distinct`` BBC News texts, each
    once. ``overrides`` are settings."""
    settings = settings_for(broker, tmp, **overrides)
    run = Run([settings], tmp, broker)
    await ensure_topics(settings)
    count = math.ceil(rate * seconds)
    paced_dir, repeat = (
        (bbc_sample(tmp / "paced", count), 1) if distinct else paced_corpus(tmp, count)
    )
    async with Progress(settings) as progress:
        run.start_workers()
        try:
            # Warm: the pool has loaded its models and a few batches went through.
            warm = await replay(settings, [SEEDS], repeat=4, show_progress=False)
            await run.wait_for(progress, warm.sent)
            begun = run.now()
            # Sampled while paced too, so that memory is seen over the whole run.
            sampling = asyncio.create_task(run.sample_until_cancelled(progress))
            try:
                paced = await replay(
                    settings,
                    [paced_dir],
                    repeat=repeat,
                    rate=rate,
                    show_progress=False,
                )
            finally:
                sampling.cancel()
            await run.wait_for(progress, warm.sent + paced.sent)
            delays = await asyncio.to_thread(loop_delays, settings.web_port)
            forgot = await asyncio.to_thread(forgotten, settings.web_port)
        finally:
            await run.stop()
    stamps = [await timestamps(settings, spec, {}) for spec in HOPS]
    produced, enriched = stamps[0], stamps[-1]
    keys = [k for k in paced.keys if k is not None]
    start = min(produced[k][0] for k in keys) + SETTLE_MS
    late = [k for k in keys if produced[k][0] >= start and k in enriched]
    each = {k: (enriched[k][0] - produced[k][0]) / 1000 for k in late}
    p50, p95, p99 = (quantile(list(each.values()), q) for q in (0.5, 0.95, 0.99))
    slowest = sorted(late, key=each.__getitem__)[-max(1, len(late) // 20) :]
    hops = [
        hop(
            name,
            [k for k in late if k in after and k in before],
            before,
            after,
            slowest,
        )
        for name, before, after in zip(HOP_NAMES, stamps, stamps[1:], strict=False)
    ]
    worker_mb, broker_mb = run.trace.memory(
        begun + SETTLE_MS / 1000, run.trace.snaps[-1].t
    )
    return Latency(
        rate=rate,
        produced=paced.sent,
        achieved_rate=paced.sent / paced.seconds,
        measured=len(each),
        dead=sum(produced[k][0] >= start for k in keys) - len(each),
        slow_kb=mean_kb([enriched[k][1] for k in slowest]),
        all_kb=mean_kb([enriched[k][1] for k in late]),
        p50=p50,
        p95=p95,
        p99=p99,
        hops=hops,
        cpu=run.trace.cpu(begun, run.trace.snaps[-1].t),
        worker=worker_mb,
        broker=broker_mb,
        worker_fifths=_fifths(run.trace, begun + SETTLE_MS / 1000),
        loop_delays=delays,
        forgetting=forgot,
        timeline=tuple(
            sorted(
                ((produced[k][0] - start) / 1000, each[k], *_hop_seconds(k, stamps))
                for k in late
            )
        ),
    )


def _hop_seconds(key: str, stamps: list[dict[str, tuple[int, int]]]) -> list[float]:
    return [
        (after[key][0] - before[key][0]) / 1000
        if key in before and key in after
        else math.nan
        for before, after in itertools.pairwise(stamps)
    ]


def _fifths(trace: Trace, start: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The workers' median RSS (main process, pool) over each fifth of [start, the
    last sample]."""
    end = trace.snaps[-1].t
    fifth = (end - start) / 5
    parts = [
        [s for s in trace.snaps if start + i * fifth <= s.t <= start + (i + 1) * fifth]
        or trace.snaps
        for i in range(5)
    ]
    return (
        tuple(statistics.median(s.main.mb for s in part) for part in parts),
        tuple(statistics.median(s.pool.mb for s in part) for part in parts),
    )


def hop(
    stage: str,
    keys: list[str],
    before: dict[str, tuple[int, int]],
    after: dict[str, tuple[int, int]],
    slowest: list[str],
) -> Hop:
    seconds = {k: (after[k][0] - before[k][0]) / 1000 for k in keys}
    p50, p95 = (quantile(list(seconds.values()), q) for q in (0.5, 0.95))
    slow = [seconds[k] for k in slowest if k in seconds]
    return Hop(stage, p50, p95, statistics.mean(slow) if slow else math.nan)


def mean_kb(sizes: list[int]) -> float:
    return statistics.mean(sizes) / 1024 if sizes else math.nan


#: BBC texts the sustained run drains. The paced run's fresh worker, topics and
#: state have not seen them: it starts from the same first texts.
BBC_BACKLOG = 400


def bbc_sample(folder: Path, count: int) -> Path:
    """A folder of links to the first ``count`` BBC News texts (all of them if
    fewer), taken from the five sections in turn (``measure.bbc_texts``)."""
    texts = bbc_texts()
    chosen = texts[:count]
    if len(chosen) < count:
        print(
            f"  the corpus has {len(texts)} texts: the paced run ends after"
            f" {len(texts)}, not {count}",
            flush=True,
        )
    return link_numbered(folder, chosen)


def paced_corpus(tmp: Path, count: int) -> tuple[Path, int]:
    """A folder of links to the first pages of the corpus, and a repeat count, that
    together make about ``count`` articles (links: the corpus is not copied)."""
    pages = sorted(CORPUS.glob("*.html.gz"))
    repeat = max(1, math.ceil(count / len(pages)))
    folder = tmp / "paced"
    folder.mkdir()
    for page in pages[: math.ceil(count / repeat)]:
        (folder / page.name).symlink_to(page)
    return folder, repeat
