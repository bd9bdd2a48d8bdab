"""What faust costs: newsline's worker against a plain aiokafka loop, in one run.

Both drain the same backlog (the 181 pages of the article-extraction benchmark on
``articles.raw``) on the same broker, one after the other, each on topics of its
own. The peer (bench/peer_loop.py) runs the same stage functions in the same
process pool behind one consume-process-produce loop: no faust, no tables and no
changelogs, the deciders in memory, no intermediate topics. Prints, for each, the
rate from its first outcome to its last and the CPU per article over that span
(its main process, its pool, the broker), and newsline's CPU against the peer's.

    .venv/bin/python bench/peer.py [--rounds N]

Starts its own broker on free ports (unless NEWSLINE_KAFKA_BOOTSTRAP_SERVERS names
one). ``--rounds`` alternates the two N times, to see the machine's noise.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from throughput import with_broker
from throughput_runs import CORPUS
from throughput_trace import Broker, Cpu, Progress, Run, settings_for

from pipeline.clients.kafka import ensure_topics
from pipeline.clients.replay import replay
from pipeline.settings import Settings

PEER = Path(__file__).resolve().parent / "peer_loop.py"
#: The issue's bound: newsline's CPU per article within this many times the peer's.
CPU_RATIO_TARGET = 1.25


@dataclass(frozen=True)
class Drained:
    name: str
    articles: int
    rate: float
    cpu: Cpu
    settings: Settings


async def drain(
    broker: Broker, tmp: Path, name: str, *, peer: bool, **overrides: object
) -> Drained:
    """The corpus as a backlog, then one worker (or the peer) until every outcome;
    ``overrides`` are the worker's settings that differ from the defaults."""
    settings = settings_for(broker, tmp, **overrides)
    await ensure_topics(settings)
    run = Run([settings], tmp, broker, args=(str(PEER),) if peer else None)
    sent = (await replay(settings, [CORPUS], show_progress=False)).sent
    async with Progress(settings) as progress:
        run.start_workers()
        try:
            await run.wait_for(progress, sent)
        finally:
            await run.stop()
    trace = run.trace
    start, end = trace.time_of(1), trace.time_of(sent)
    rate = (sent - 1) / (end - start) if end > start else float("nan")
    return Drained(name, sent, rate, trace.cpu(start, end), settings)


async def run_all(broker: Broker, tmp: Path, rounds: int) -> None:
    for round_ in range(1, rounds + 1):
        found = []
        for name, peer in (("newsline worker", False), ("plain aiokafka loop", True)):
            done = await drain(broker, tmp, name, peer=peer)
            found.append(done)
            print(
                f"round {round_}, {done.name}: {done.articles} articles,"
                f" {done.rate:.2f} articles/s first to last outcome;"
                f" CPU per article {done.cpu}",
                flush=True,
            )
        ours, peer_ = found
        ratio = ours.cpu.total_ms / peer_.cpu.total_ms
        verdict = "met" if ratio <= CPU_RATIO_TARGET else "not met"
        print(
            f"round {round_}: newsline / peer CPU per article {ratio:.2f}"
            f" (target <= {CPU_RATIO_TARGET}: {verdict}); rate"
            f" {ours.rate / peer_.rate:.2f}; event loop + broker"
            f" {_loop_share(ours.cpu):.0%} of newsline's CPU,"
            f" {_loop_share(peer_.cpu):.0%} of the peer's",
            flush=True,
        )


def _loop_share(cpu: Cpu) -> float:
    return (cpu.main_ms + cpu.broker_ms) / cpu.total_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="alternations")
    options = parser.parse_args()
    with_broker(
        "newsline-peer-", lambda broker, tmp: run_all(broker, tmp, options.rounds)
    )


if __name__ == "__main__":
    main()
