"""End-to-end figures through a real Kafka broker: throughput, latency, memory, CPU.

Sustained articles/s with 1 and 2 workers on a backlog of the 181 pages of the
article-extraction benchmark, end-to-end latency at half the 1-worker rate, resident
memory, CPU per article, stage times and a py-spy profile. How each is taken and how
to read it: docs/benchmarks/throughput-method.md. The runs are in throughput_runs.py,
their sampling in throughput_trace.py, the profile in throughput_profile.py and the
output in throughput_report.py.

Starts its own broker on free ports in a temporary folder (stopped at the end),
unless NEWSLINE_KAFKA_BOOTSTRAP_SERVERS names one. Reads ../shared/corpora at run
time; never copies it. Writes docs/benchmarks/throughput.md, .png and -profile.txt
(not with --quick).

    .venv/bin/python bench/throughput.py          # about 7 minutes on 2 cores
    .venv/bin/python bench/throughput.py --quick  # about 4 minutes, prints only
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from measure import free_port
from throughput_profile import Profile, profile_text, read_stacks, shares
from throughput_report import Figures, print_latency, print_sustained, write_report
from throughput_runs import CORPUS, latency, sustained
from throughput_trace import Broker

from pipeline.devbroker import start_broker, stop_broker
from pipeline.devbroker.storage import broker_paths
from pipeline.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class Plan:
    """How much each phase replays, and for how long."""

    repeat_one: int
    repeat_two: int
    #: the corpus this many times to one worker (copies after the first are
    #: exact duplicates); 0 skips the run
    repeat_copies: int
    latency_s: float
    profile_s: int


FULL = Plan(repeat_one=1, repeat_two=1, repeat_copies=2, latency_s=60.0, profile_s=15)
QUICK = Plan(repeat_one=1, repeat_two=1, repeat_copies=0, latency_s=30.0, profile_s=10)


@contextlib.contextmanager
def kafka(tmp: Path) -> Iterator[Broker]:
    """The given brokers, or our own local broker on free ports."""
    given = os.environ.get("NEWSLINE_KAFKA_BOOTSTRAP_SERVERS")
    if given:
        yield Broker(given)
        return
    config = Settings().broker.model_copy(
        update={
            "data_dir": tmp / "broker",
            "port": free_port(),
            "controller_port": free_port(),
        }
    )
    info = start_broker(config)
    print(f"broker {info.bootstrap} (pid {info.pid}), up in {info.started_in_s:.0f} s")
    try:
        yield Broker(info.bootstrap, info.pid, broker_paths(info.data_dir).log_dirs)
    finally:
        stop_broker(config)


def with_broker(prefix: str, work: Callable[[Broker, Path], Awaitable[T]]) -> T:
    """``work`` on a broker (``kafka``) and a temporary folder removed after it."""
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    # Topics just created answer NotLeaderForPartition for a moment; aiokafka retries
    # and warns about each retry.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        with kafka(tmp) as broker:
            return asyncio.run(work(broker, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def run_all(broker: Broker, tmp: Path, plan: Plan) -> Figures:
    """The phases one after the other, each on its own topics and workers."""
    profile = Profile(plan.profile_s, tmp / "profile.raw")
    print(f"Sustained, 1 worker, the corpus {plan.repeat_one} times:")
    one = await sustained(
        broker, tmp, workers=1, repeat=plan.repeat_one, profile=profile
    )
    print_sustained(one)
    print(f"Sustained, 2 workers, the corpus {plan.repeat_two} times:")
    two = await sustained(broker, tmp, workers=2, repeat=plan.repeat_two)
    print_sustained(two)
    copies = None
    if plan.repeat_copies:
        print(f"Sustained, 1 worker, the corpus {plan.repeat_copies} times:")
        copies = await sustained(broker, tmp, workers=1, repeat=plan.repeat_copies)
        print_sustained(copies)
    # Half of what one worker sustains with every stage counted.
    rate = one.drain_rate / 2
    print(f"Latency at {rate:.2f} articles/s, 1 warm worker:")
    late = await latency(broker, tmp, rate=rate, seconds=plan.latency_s)
    print_latency(late)
    window = profile.window
    seconds = window[1] - window[0] if window else 0.0
    found = shares(read_stacks(profile.raw)) if window else []
    return Figures(one, two, late, found, seconds, profile.error, copies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="shorter runs; print, write nothing"
    )
    options = parser.parse_args()
    plan = QUICK if options.quick else FULL
    figures = with_broker(
        "newsline-throughput-", lambda broker, tmp: run_all(broker, tmp, plan)
    )
    if figures.profile:
        print(profile_text(figures.profile, figures.profile_s))
    else:
        print(f"No profile: {figures.profile_error}")
    if not options.quick:
        write_report(figures)


if __name__ == "__main__":
    main()
