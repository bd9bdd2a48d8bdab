"""bench/throughput.py's output: the lines it prints as each run ends, and
docs/benchmarks/throughput.md, .png and -profile.txt. Tables, figures and sentences
that carry them; how the figures are taken and read is in
docs/benchmarks/throughput-method.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from measure import quantile
from report import OUTPUT, ROOT, bar_chart, write_markdown
from throughput_profile import Share, profile_summary, profile_text
from throughput_runs import Latency, Sustained, corpus_pages

from pipeline.topics import RAW

TARGET_RATE = 70.0
TARGET_P99_S = 2.0

INTRO = """
Real news HTML (the 181 pages of the article-extraction benchmark) through a real
Apache Kafka broker and `newsline worker` processes, on one 2-core machine shared
with other work. How each figure is taken, and how to read it:
[throughput-method.md](throughput-method.md).
"""


@dataclass(frozen=True)
class Figures:
    one: Sustained
    two: Sustained
    latency: Latency
    profile: list[Share]
    profile_s: float
    profile_error: str | None
    copies: Sustained | None


# --- printed as each run ends -------------------------------------------------------


def print_sustained(result: Sustained) -> None:
    print(
        f"  {result.rate:.2f} articles/s between 10% and 90% of {result.articles}"
        f" outcomes; {result.drain_rate:.2f} articles/s over the whole backlog"
    )
    if result.profiled_rate is not None:
        print(f"  {result.profiled_rate:.2f} articles/s while py-spy sampled")
    print(
        f"  first outcome {result.first_outcome_s:.1f} s after the start; all cleaned"
        f" at {result.cleaned_s:.0f} s ({result.cleaned_share:.0%} of outcomes out);"
        f" all out at {result.total_s:.0f} s"
    )
    print(f"  CPU per article {result.cpu}")
    if result.topics_kb:
        print(f"  Kafka KB per article: {kb_text(result.topics_kb)}")
    if result.stages_ms:
        print(f"  stage time per article (/metrics): {stages_text(result.stages_ms)}")
    print(f"  worker RSS {result.worker}; broker RSS {result.broker}", flush=True)


def print_latency(result: Latency) -> None:
    print(
        f"  {result.produced} articles produced at {result.achieved_rate:.2f}/s;"
        f" {result.measured} measured after the first 10 s"
        f" ({result.dead} without an enriched record)"
    )
    print(
        f"  latency p50 {result.p50:.2f} s, p95 {result.p95:.2f} s,"
        f" p99 {result.p99:.2f} s"
    )
    print(f"  by stage, p50 / p95 / mean of the slowest 5%: {hops_text(result)}")
    print(f"  p99 by {WINDOW_S} s of the run: {windows_text(result)}")
    print(f"  CPU per article {result.cpu}")
    print(
        f"  enriched records of the slowest 5% average {result.slow_kb:.0f} KB,"
        f" of all {result.all_kb:.0f} KB"
    )
    probes, late = result.loop_delays
    if probes:
        counts = ", ".join(f"{n} over {bound} s" for bound, n in late.items())
        print(f"  event loop: {probes} probes, late by {counts}")
    if result.forgetting:
        counts = ", ".join(f"{k} {n:,}" for k, n in result.forgetting.items())
        print(f"  deciders, articles over the whole run: {counts}")
    main, pool = (", ".join(f"{mb:,.0f}" for mb in mbs) for mbs in result.worker_fifths)
    print(
        f"  worker RSS {result.worker}; by fifth of the run, main process {main} MB,"
        f" pool {pool} MB; broker RSS {result.broker}",
        flush=True,
    )


#: Width of the windows the latency's tail is shown by.
WINDOW_S = 30


def windows_text(result: Latency) -> str:
    """p99 per window of the paced run: a tail that one stall makes shows in one
    window, a tail of steady queueing in all."""
    windows: dict[int, list[float]] = {}
    for at, seconds, *_ in result.timeline:
        windows.setdefault(int(at // WINDOW_S), []).append(seconds)
    return ", ".join(f"{quantile(windows[w], 0.99):.1f}" for w in sorted(windows))


def hops_text(result: Latency) -> str:
    return "; ".join(str(hop) for hop in result.hops)


def stages_text(stages: list[tuple[str, float]]) -> str:
    return ", ".join(f"{stage} {ms:,.0f} ms" for stage, ms in stages)


def kb_text(topics: list[tuple[str, float]], most: int = 99) -> str:
    worker = sum(kb for topic, kb in topics if topic != RAW.name)
    raw = sum(kb for topic, kb in topics if topic == RAW.name)
    parts = ", ".join(f"{t} {kb:,.0f}" for t, kb in topics[:most] if t != RAW.name)
    return (
        f"{raw:,.0f} in (articles.raw), {worker:,.0f} written by the workers: {parts}"
    )


# --- docs/benchmarks ----------------------------------------------------------------


def write_report(figures: Figures) -> None:
    one, two = figures.one, figures.two
    write_markdown(
        "throughput",
        "End to end through Kafka: throughput, latency, memory",
        INTRO,
        ["figure", "measured", "target"],
        table_rows(figures),
        notes(figures),
    )
    bar_chart(
        "throughput",
        "Sustained articles/s through a real broker, 2 shared cores",
        ["1 worker", "2 workers"],
        {
            "10%-90% of outcomes": [one.rate, two.rate],
            "whole backlog": [one.drain_rate, two.drain_rate],
            "target": [TARGET_RATE, TARGET_RATE],
        },
        "articles/s",
    )
    path = OUTPUT / "throughput-profile.txt"
    if figures.profile:
        path.write_text(profile_text(figures.profile, figures.profile_s))
    else:
        path.write_text(f"No profile: {figures.profile_error}\n")
    print(f"wrote {path.relative_to(ROOT)}")


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def table_rows(figures: Figures) -> list[list[object]]:
    one, two, late = figures.one, figures.two, figures.latency
    target = f">= {TARGET_RATE:.0f} articles/s"
    rows: list[list[object]] = []
    for result, label in (
        (one, "1 worker, pool of 2"),
        (two, "2 workers, pool of 1 each"),
    ):
        rows += [
            [
                f"sustained, {label}: 10%-90% of outcomes",
                f"{result.rate:.2f} articles/s",
                f"{target}: {verdict(result.rate >= TARGET_RATE)}",
            ],
            [
                f"sustained, {label}: whole backlog, all stages",
                f"{result.drain_rate:.2f} articles/s",
                f"{target}: {verdict(result.drain_rate >= TARGET_RATE)}",
            ],
        ]
    if figures.copies:
        copies = figures.copies
        share = 1 - corpus_pages() / copies.articles
        rows += [
            [
                f"sustained, 1 worker, {share:.0%} exact copies: whole backlog",
                f"{copies.drain_rate:.2f} articles/s",
                "",
            ],
            [
                f"CPU per article, 1 worker, {share:.0%} exact copies",
                str(copies.cpu),
                "",
            ],
        ]
    load = f"at {late.rate:.2f} articles/s"
    rows += [
        [
            "1 worker while py-spy sampled",
            f"{one.profiled_rate or math.nan:.2f} articles/s",
            "",
        ],
        [
            "worker start to first outcome, 1 / 2 workers",
            f"{one.first_outcome_s:.0f} s / {two.first_outcome_s:.0f} s",
            "",
        ],
        [f"latency p50 {load}", f"{late.p50:.2f} s", ""],
        [f"latency p95 {load}", f"{late.p95:.2f} s", ""],
        [
            f"latency p99 {load}",
            f"{late.p99:.2f} s",
            f"<= {TARGET_P99_S:.0f} s: {verdict(late.p99 <= TARGET_P99_S)}",
        ],
        [
            "latency by stage: p50 / p95 / mean of the slowest 5%",
            hops_text(late),
            "",
        ],
        ["CPU per article, 1 worker", str(one.cpu), ""],
        ["CPU per article, 2 workers", str(two.cpu), ""],
        ["Kafka KB per article, 1 worker", kb_text(one.topics_kb, most=4) or "-", ""],
        [
            "stage time per article, 1 worker (worker /metrics)",
            stages_text(one.stages_ms) or "-",
            "",
        ],
        ["worker RSS, 1 worker", str(one.worker), ""],
        ["worker RSS, 2 workers together", str(two.worker), ""],
        ["worker RSS, latency run", str(late.worker), ""],
        ["broker RSS (java), 1-worker run", str(one.broker), ""],
        ["broker RSS (java), 2-worker run", str(two.broker), ""],
        ["broker RSS (java), latency run", str(late.broker), ""],
    ]
    return rows


def notes(figures: Figures) -> list[str]:
    """The measured figures the table has no row for, one sentence each."""
    one, two, late = figures.one, figures.two, figures.latency
    return [
        f"Cores kept busy by the workers and the broker: {one.cpu.cores:.2f} with 1"
        f" worker and {two.cpu.cores:.2f} with 2; by the whole machine meanwhile:"
        f" {one.cpu.machine_cores:.2f} and {two.cpu.machine_cores:.2f}.",
        f"Input: the corpus {one.articles // corpus_pages()} time(s) for the 1- and"
        " 2-worker runs.",
        f"All articles were cleaned {one.cleaned_s:.0f} s after start with 1 worker,"
        f" when {one.cleaned_share:.0%} of the outcomes were out.",
        *capacity_note(one),
        f"Worker main processes: {two.cpu.main_ms:.0f} ms per article with 2 workers"
        f" against {one.cpu.main_ms:.0f} with one.",
        f"Latency: {late.produced} articles produced at {late.rate:.2f}/s"
        f" ({late.achieved_rate:.2f}/s achieved); {late.measured} measured, produced"
        f" after the first 10 s ({late.dead} had no enriched record); the worker and"
        f" the broker kept {late.cpu.cores:.2f} cores busy and the machine"
        f" {late.cpu.machine_cores:.2f}; enriched records averaged"
        f" {late.slow_kb:.0f} KB for the slowest 5%, {late.all_kb:.0f} KB for all.",
        *hops_note(late),
        where_note(figures),
        *kafka_note(one),
        "1-worker rate while py-spy sampled, left out of the sustained rates:"
        f" {one.profiled_rate or math.nan:.2f}/s.",
    ]


def capacity_note(one: Sustained) -> list[str]:
    """What the 1-worker CPU per article allows, on 2 cores and per event loop."""
    total_ms, main_ms = one.cpu.total_ms, one.cpu.main_ms
    if not total_ms or not main_ms:
        return []
    return [
        f"At {total_ms:.0f} ms of CPU per article (1 worker), 2 dedicated cores would"
        f" give at most {2000 / total_ms:.1f} articles/s; {TARGET_RATE:.0f} articles/s"
        f" would need about {TARGET_RATE * total_ms / 1000:.0f} cores. The worker's"
        f" main process, at {main_ms:.0f} ms per article, caps a worker at"
        f" {1000 / main_ms:.0f} articles/s."
    ]


def hops_note(late: Latency) -> list[str]:
    """The stage that held up the slowest 5% of articles most."""
    known = [hop for hop in late.hops if not math.isnan(hop.slowest_mean)]
    if not known:
        return []
    worst = max(known, key=lambda hop: hop.slowest_mean)
    total = sum(hop.slowest_mean for hop in known)
    return [
        f"For the slowest 5%, {worst.stage} took {worst.slowest_mean:.2f} s of their"
        f" {total:.2f} s on average."
    ]


def where_note(figures: Figures) -> str:
    """Where the 1-worker run's time went: /proc, /metrics and py-spy together."""
    one = figures.one
    if not figures.profile:
        return f"No profile was taken: {figures.profile_error}"
    return (
        f"Where the time goes, 1 worker: CPU per article {one.cpu}; per the"
        f" workers' /metrics, {stages_text(one.stages_ms) or 'not served'}. py-spy"
        f" samples ({figures.profile_s:.0f} s, top frames in throughput-profile.txt):"
        f" {profile_summary(figures.profile)}."
    )


def kafka_note(one: Sustained) -> list[str]:
    """Kafka bytes per article, when the broker's log segments could be read."""
    if not one.topics_kb:
        return []
    return [
        f"Kafka bytes per article (log segments of the run's topics, 1 worker):"
        f" {kb_text(one.topics_kb, most=4)}."
    ]
