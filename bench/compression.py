"""What compressing the worker's batches costs and saves, in one run.

One worker drains the same backlog (the 181 pages of the article-extraction
benchmark on ``articles.raw``) once per codec of NEWSLINE_PRODUCER_COMPRESSION, on
the same broker, each on topics of its own. Prints, for each, the CPU per article
(the worker's main process, its pool, the broker) and the bytes the broker keeps per
article on the topics the worker wrote (outputs, intermediate topics and table
changelogs), then each codec against none.

    .venv/bin/python bench/compression.py [--rounds N]

Starts its own broker on free ports in a temporary folder. ``--rounds`` repeats
the codecs in another order each round, to see the machine's noise.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from peer import Drained, drain
from throughput import with_broker
from throughput_trace import Broker

from pipeline.topics import RAW, topic_name

CODECS = ("none", "lz4", "zstd")


def written_bytes(broker: Broker, done: Drained) -> int:
    """Bytes on the broker's disk in the partitions of the topics the worker wrote:
    its run's topics but ``articles.raw`` (the same for every codec), and its
    tables' changelogs (named after the app id). Segments only: indexes are
    allocated ahead."""
    if broker.log_dirs is None:
        raise SystemExit("the broker's log folder is needed: run without a given one")
    raw = topic_name(done.settings, RAW)
    prefixes = (done.settings.topic_prefix, done.settings.app_id)
    total = 0
    for folder in Path(broker.log_dirs).iterdir():
        topic = folder.name.rsplit("-", 1)[0]
        if folder.is_dir() and topic != raw and topic.startswith(prefixes):
            total += sum(
                f.stat().st_size for f in folder.iterdir() if f.suffix == ".log"
            )
    return total


async def run_all(broker: Broker, tmp: Path, rounds: int) -> None:
    for round_ in range(rounds):
        order = CODECS[round_ % len(CODECS) :] + CODECS[: round_ % len(CODECS)]
        found: dict[str, tuple[Drained, int]] = {}
        for codec in order:
            done = await drain(
                broker, tmp, codec, peer=False, producer_compression=codec
            )
            size = written_bytes(broker, done)
            found[codec] = (done, size)
            print(
                f"round {round_ + 1}, {codec}: {done.articles} articles,"
                f" {done.rate:.2f} articles/s; {size / done.articles / 1024:,.0f} KB"
                f" on the broker per article; CPU per article {done.cpu}",
                flush=True,
            )
        base, base_size = found["none"]
        for codec in CODECS[1:]:
            done, size = found[codec]
            print(
                f"round {round_ + 1}, {codec} / none: CPU per article"
                f" {done.cpu.total_ms / base.cpu.total_ms:.2f} (broker"
                f" {done.cpu.broker_ms / base.cpu.broker_ms:.2f}, worker main"
                f" {done.cpu.main_ms / base.cpu.main_ms:.2f}); bytes"
                f" {size / base_size:.2f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="repetitions")
    options = parser.parse_args()
    with_broker(
        "newsline-compression-",
        lambda broker, tmp: run_all(broker, tmp, options.rounds),
    )


if __name__ == "__main__":
    main()
