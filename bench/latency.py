"""End-to-end latency through a real Kafka broker at half the sustained rate.

One worker first drains the article-extraction benchmark's pages as a backlog (its
whole-backlog rate is what it sustains); then a fresh, warm worker gets those pages
paced at half that rate for ``--seconds`` (5 minutes by default), and the latency of
each article, articles.raw to articles.enriched, is measured as in
bench/throughput.py (docs/benchmarks/throughput-method.md). Prints p50, p95, p99,
where the slowest 5% waited, CPU per article and whether memory stayed flat.

The 181 pages repeat in a paced run longer than a minute, and a repeat is an exact
copy, whose claims are not parsed again. ``--corpus bbc`` paces distinct articles
instead: BBC News texts (``../shared/corpora/bbc-news``), 400 of them drained for the
sustained rate, then paced, each once, to a fresh worker with its own topics. They
carry no publication time, so both deciders' windows are set to one minute of
arrival time: articles then leave the window as fast as they come, as in a full
72-hour window. The corpus holds 1,654 texts: at more than 5.5 articles/s the paced
run ends with them, before 5 minutes.

    .venv/bin/python bench/latency.py [--corpus pages|bbc] [--seconds 300]
                                      [--rate R] [--csv FILE]

Starts its own broker on free ports (unless NEWSLINE_KAFKA_BOOTSTRAP_SERVERS names
one). ``--rate`` skips the sustained run and paces at R articles/s.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from throughput import with_broker
from throughput_report import print_latency, print_sustained
from throughput_runs import (
    BBC_BACKLOG,
    CORPUS,
    HOP_NAMES,
    bbc_sample,
    latency,
    sustained,
)
from throughput_trace import Broker

#: The issue's bound on p99 at half the sustained rate.
P99_TARGET_S = 2.0


#: Both deciders' window with ``--corpus bbc``: one minute, in hours.
BBC_WINDOW_HOURS = 1 / 60


async def run(
    broker: Broker,
    tmp: Path,
    options: argparse.Namespace,
) -> None:
    rate, seconds, distinct = options.rate, options.seconds, options.corpus == "bbc"
    window = {"window_hours": BBC_WINDOW_HOURS}
    overrides = {"dedupe": window, "corroborate": window} if distinct else {}
    if rate is None:
        if distinct:
            print(f"Sustained, 1 worker, {BBC_BACKLOG} BBC News texts:", flush=True)
            backlog = bbc_sample(tmp / "backlog", BBC_BACKLOG)
        else:
            print("Sustained, 1 worker, the corpus once:", flush=True)
            backlog = CORPUS
        one = await sustained(
            broker, tmp, workers=1, repeat=1, corpus=backlog, **overrides
        )
        print_sustained(one)
        rate = one.drain_rate / 2
    kind = "distinct BBC News texts" if distinct else "the benchmark pages"
    print(
        f"Latency at {rate:.2f} articles/s for {seconds:.0f} s, 1 warm worker, {kind}:"
    )
    late = await latency(
        broker, tmp, rate=rate, seconds=seconds, distinct=distinct, **overrides
    )
    print_latency(late)
    csv = options.csv
    if csv is not None:
        header = ",".join(["seconds_into_run", "latency_s", *HOP_NAMES])
        rows = "".join(
            ",".join(f"{v:.3f}" for v in row) + "\n" for row in late.timeline
        )
        csv.write_text(header + "\n" + rows)
        print(f"  each article's latency written to {csv}")
    verdict = "met" if late.p99 <= P99_TARGET_S else "not met"
    print(f"  p99 {late.p99:.2f} s against a target of {P99_TARGET_S:g} s: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=300.0, help="length of the paced run"
    )
    parser.add_argument(
        "--rate", type=float, help="articles/s to pace at (default: half sustained)"
    )
    parser.add_argument(
        "--csv", type=Path, help="write each measured article's latency to this file"
    )
    parser.add_argument(
        "--corpus",
        choices=("pages", "bbc"),
        default="pages",
        help="the benchmark pages, repeated (default), or distinct BBC News texts",
    )
    options = parser.parse_args()
    with_broker(
        "newsline-latency-",
        lambda broker, tmp: run(broker, tmp, options),
    )


if __name__ == "__main__":
    main()
