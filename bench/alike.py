"""Claims that look alike: N one-sentence records through ``newsline extract``.

Record i is "Record i says the minister told reporters i people came.", from one of
50 outlets, all published at one time: every claim joins one cluster, and every
figure is compared with earlier ones. Before cluster records were bounded, output
and memory grew with the square of N (1,000 records: 1.5 GB and a 125 MB cluster
file; 10,000: killed at 12 GB). Prints, per N: wall time, the peak memory of the
largest process (``newsline extract``, or one of its pool processes), the bytes of
each output file and the largest cluster record.

    .venv/bin/python bench/alike.py [--counts 1000,10000]   (in increasing order:
    the peak is over every run so far)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NEWSLINE = Path(sys.executable).with_name("newsline")
OUTLETS = 50


def _corpus(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as file:
        for number in range(count):
            record = {
                "article_id": f"r{number}",
                "source": f"outlet{number % OUTLETS}",
                "published_at": "2025-01-13T08:00:00Z",
                "body": f"Record {number} says the minister told reporters "
                f"{number} people came.",
            }
            file.write(json.dumps(record) + "\n")


def _run(count: int, folder: Path) -> dict[str, float]:
    corpus = folder / f"alike{count}.jsonl"
    _corpus(corpus, count)
    out = folder / f"out{count}"
    started = time.perf_counter()
    subprocess.run(
        [str(NEWSLINE), "extract", "--no-progress", "--out", str(out), str(corpus)],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    # ru_maxrss of waited-for children: the largest one's peak, in KiB.
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures = {"seconds": seconds, "peak_mb": peak_mb}
    for file in sorted(out.glob("*.jsonl")):
        figures[f"{file.stem} MB"] = file.stat().st_size / 1e6
    with (out / "claims.clusters.jsonl").open("rb") as clusters:
        figures["largest cluster KB"] = (
            max((len(line) for line in clusters), default=0) / 1e3
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1000,10000", help="record counts")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        for count in counts:
            figures = _run(count, Path(folder))
            shown = "  ".join(f"{name} {value:,.1f}" for name, value in figures.items())
            print(f"{count:,} records: {shown}", flush=True)


if __name__ == "__main__":
    main()
