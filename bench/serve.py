"""The serve store and API at size: records stored per second, and how long reads take.

Runs ``newsline extract`` on the seeds, then writes the output records COPIES times
into a fresh store (each copy with its own ids, as if another story), in batches of
the feed's size, and times it. Then times the API's reads against that store, through
the real application (FastAPI's test client, no network), and prints each read's
median and 95th percentile:

    .venv/bin/python bench/serve.py [--copies 200] [--reads 50]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from measure import quantile
from prometheus_client import CollectorRegistry

from pipeline.cli.extract import extract
from pipeline.serve.app import create_app
from pipeline.serve.feed import SERVED
from pipeline.serve.store import Incoming, Store
from pipeline.settings import ServeSettings, Settings

SEEDS = Path(__file__).parents[1] / "seeds"
#: Records per transaction, as the feed stores them by default.
BATCH = 500
ID_FIELDS = ("article_id", "claim_id", "cluster_id", "story_id", "comparison_id", "of")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--reads", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        extract(Settings(), [SEEDS], out)
        records = {spec.name: _lines(out / f"{spec.name}.jsonl") for spec in SERVED}
        db = Path(folder) / "serve.sqlite3"
        written, seconds = _fill(db, records, args.copies)
        size_mb = sum(p.stat().st_size for p in db.parent.glob("serve.sqlite3*")) / 1e6
        print(
            f"stored {written:,} records ({args.copies} copies of the seeds' output) "
            f"in {seconds:.1f} s: {written / seconds:,.0f} records/s; "
            f"store {size_mb:.1f} MB"
        )
        _reads(db, args.reads)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def _fill(
    db: Path, records: dict[str, list[dict[str, Any]]], copies: int
) -> tuple[int, float]:
    """Records stored, and the seconds the store took (the copies made before)."""
    incoming = [
        Incoming(topic, 0, offset, data, 1_700_000_000_000 + offset)
        for offset, (topic, data) in enumerate(
            (topic, json.dumps(_renamed(value, copy)).encode())
            for copy in range(copies)
            for topic, values in records.items()
            for value in values
        )
    ]
    store = Store(db)
    started = time.perf_counter()
    for start in range(0, len(incoming), BATCH):
        store.apply(incoming[start : start + BATCH])
    seconds = time.perf_counter() - started
    store.close()
    return len(incoming), seconds


def _renamed(value: Any, copy: int) -> Any:
    """The record with every id made this copy's own."""
    if isinstance(value, dict):
        return {
            k: f"{v}-{copy}"
            if k in ID_FIELDS and isinstance(v, str)
            else _renamed(v, copy)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_renamed(v, copy) for v in value]
    return value


def _reads(db: Path, reads: int) -> None:
    settings = Settings(serve=ServeSettings(db=db))
    with TestClient(create_app(settings, CollectorRegistry())) as client:
        story = client.get("/api/stories", params={"limit": 1}).json()["items"][0]
        article = client.get(f"/api/stories/{story['story_id']}").json()["articles"][0]
        paths = {
            "GET /api/stories": "/api/stories",
            "GET /api/stories/{id}": f"/api/stories/{story['story_id']}",
            "GET /api/claims?q=wounded soldiers": "/api/claims?q=wounded+soldiers",
            "GET /api/claims?speaker=zelenskyy": "/api/claims?speaker=zelenskyy",
            "GET /api/claims?entity=Kyiv": "/api/claims?entity=Kyiv",
            "GET /api/conflicts?relation=estimate_spread": (
                "/api/conflicts?relation=estimate_spread"
            ),
            "GET /api/articles/{id}": f"/api/articles/{article['article_id']}",
            "page /stories/{id}": f"/stories/{story['story_id']}",
        }
        print(f"reads, {reads} each (ms): median, p95")
        for name, path in paths.items():
            times = []
            for _ in range(reads):
                started = time.perf_counter()
                assert client.get(path).status_code == 200
                times.append((time.perf_counter() - started) * 1000)
            print(
                f"  {name:45} {quantile(times, 0.5):7.1f} {quantile(times, 0.95):7.1f}"
            )


if __name__ == "__main__":
    main()
