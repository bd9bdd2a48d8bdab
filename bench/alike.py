"""Claims that look alike: N one-sentence records, and one article of 5,000 such
sentences, through ``newsline extract``.

Record i is "Record i says the minister told reporters i people came.", from one of
50 outlets, all published at one time: every claim joins one cluster, and every
figure is compared with earlier ones. Before cluster records were bounded, output
and memory grew with the square of N (1,000 records: 1.5 GB and a 125 MB cluster
file; 10,000: killed at 12 GB). Prints, per N: wall time, the peak memory of the
largest process (``newsline extract``, or one of its pool processes) and of all of
them together (sampled), the bytes of each output file and the largest cluster
record. The 5,000-sentence article (kept to
NEWSLINE_INGEST__MAX_SENTENCES, 2,000) once took 124 s of grouping on its own.

    .venv/bin/python bench/alike.py [--counts 1000,10000]   (in increasing order:
    the peak is over every run so far)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import TreePeak, peak_rss_mb

NEWSLINE = Path(sys.executable).with_name("newsline")
OUTLETS = 50


def _sentence(number: int) -> str:
    return f"Record {number} says the minister told reporters {number} people came."


def _record(article_id: str, source: str, body: str) -> str:
    record = {
        "article_id": article_id,
        "source": source,
        "published_at": "2025-01-13T08:00:00Z",
        "body": body,
    }
    return json.dumps(record) + "\n"


def _records(count: int) -> list[str]:
    return [
        _record(f"r{n}", f"outlet{n % OUTLETS}", _sentence(n)) for n in range(count)
    ]


def _one_article(sentences: int) -> list[str]:
    return [_record("long", "outlet0", " ".join(map(_sentence, range(sentences))))]


def _run(name: str, lines: list[str], folder: Path) -> dict[str, float]:
    corpus = folder / f"{name}.jsonl"
    corpus.write_text("".join(lines), encoding="utf-8")
    out = folder / f"out-{name}"
    started = time.perf_counter()
    command = [
        str(NEWSLINE),
        "extract",
        "--no-progress",
        "--out",
        str(out),
        str(corpus),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as process:
        tree = TreePeak(process)
        _, errors = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"newsline extract failed:\n{errors.decode()}")
    seconds = time.perf_counter() - started
    # Of the children waited for so far: the largest one's peak.
    peak_mb = peak_rss_mb(children=True)
    figures = {
        "seconds": seconds,
        "peak_mb": peak_mb,
        "all processes peak_mb": tree.join(),
    }
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
    runs = [(f"{c:,} records", _records(c)) for c in counts]
    runs.append(("one article of 5,000 sentences", _one_article(5_000)))
    with tempfile.TemporaryDirectory() as folder:
        for number, (name, lines) in enumerate(runs):
            figures = _run(str(number), lines, Path(folder))
            shown = "  ".join(f"{k} {value:,.1f}" for k, value in figures.items())
            print(f"{name}: {shown}", flush=True)


if __name__ == "__main__":
    main()
