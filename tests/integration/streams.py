"""Large test streams of real sentences, with designed duplicates and bad records.

Articles are built from CheckThat! 2024 sentences (real political speech, read from
../shared/corpora at run time, never copied here): four consecutive sentences per
article. Every tenth article has an exact copy and a near copy (one word changed)
a few places later, and every hundredth record is bad, so a stream carries
duplicate verdicts, claims that group across articles, and dead letters.
"""

from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from pipeline.clients.corpus import plan

CHECKTHAT = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "corpora"
    / "checkthat2024"
    / "ct24_train.tsv"
)
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SOURCES = ("wire", "daily", "herald", "post", "times", "gazette", "tribune")
_START = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
_SENTENCES_PER_ARTICLE = 4
#: Articles in a fault run's stream (the ``stream`` fixture).
FAULT_RUN = 2_000


@dataclass(frozen=True)
class Stream:
    """A corpus file and what its records are meant to become."""

    path: Path
    ids: tuple[str, ...]
    #: article_id -> the article_id it copies word for word.
    exact: dict[str, str]
    #: article_id -> the article_id it copies with one word changed.
    near: dict[str, str]
    #: article_ids of records meant for the dead-letter topic.
    bad: frozenset[str]


def sentences() -> list[str]:
    """The CheckThat! train sentences, in file order; skips (fails on CI) without."""
    if not CHECKTHAT.is_file():
        message = f"CheckThat! sentences not found at {CHECKTHAT}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    csv.field_size_limit(sys.maxsize)
    with CHECKTHAT.open(encoding="utf-8", newline="") as file:
        return [row["Text"].strip() for row in csv.DictReader(file, delimiter="\t")]


def write_stream(path: Path, count: int, *, prefix: str = "a") -> Stream:
    """``count`` records as JSON lines at ``path``, deterministic for a given count."""
    pool = sentences()
    records: list[dict[str, str]] = []
    bodies: dict[str, str] = {}
    exact: dict[str, str] = {}
    near: dict[str, str] = {}
    bad: set[str] = set()
    for number in range(count):
        article_id = f"{prefix}{number:06d}"
        body = _body(pool, number)
        if number % 100 == 99:
            body = " \n "  # whitespace only: a dead letter
            bad.add(article_id)
        elif number % 10 == 7 and f"{prefix}{number - 4:06d}" in bodies:
            exact[article_id] = f"{prefix}{number - 4:06d}"
            body = bodies[exact[article_id]]
        elif number % 10 == 8 and f"{prefix}{number - 6:06d}" in bodies:
            near[article_id] = f"{prefix}{number - 6:06d}"
            body = _one_word_changed(bodies[near[article_id]])
        bodies.setdefault(article_id, body)
        records.append(
            {
                "article_id": article_id,
                "source": SOURCES[number % len(SOURCES)],
                "published_at": (_START + timedelta(minutes=number)).isoformat(),
                "body": body,
            }
        )
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    ids = tuple(r["article_id"] for r in records)
    return Stream(path, ids, exact, near, frozenset(bad))


def write_story_stream(path: Path, count: int, *, copies: int) -> Stream:
    """``write_stream(path, count)`` with ``copies`` copies of each seed article (five
    outlets' reports of one story) spread evenly among its records, each copy with
    its own article_id and the publication time of the record before it.

    Every copy joins the same few claim clusters, so the deciders' state for that
    story grows through the run, as it does when a wire story is carried widely.
    """
    base = write_stream(path, count)
    lines = path.read_bytes().splitlines()
    seeds = list(plan([SEEDS], repeat=copies))
    every = max(1, len(lines) // len(seeds))
    merged: list[bytes] = []
    ids: list[str] = []
    for number, line in enumerate(lines):
        merged.append(line)
        ids.append(base.ids[number])
        if number % every == every - 1 and seeds:
            seed = seeds.pop(0)
            record = orjson.loads(seed.value)
            record["published_at"] = orjson.loads(line)["published_at"]
            merged.append(orjson.dumps(record))
            ids.append(record["article_id"])
    path.write_bytes(b"".join(line + b"\n" for line in merged))
    return Stream(path, tuple(ids), base.exact, base.near, base.bad)


def _body(pool: list[str], number: int) -> str:
    start = (number * _SENTENCES_PER_ARTICLE) % (len(pool) - _SENTENCES_PER_ARTICLE)
    chosen = pool[start : start + _SENTENCES_PER_ARTICLE]
    return " ".join(s if s.endswith((".", "?", "!")) else s + "." for s in chosen)


def _one_word_changed(body: str) -> str:
    words = body.split(" ")
    middle = len(words) // 2
    words[middle] = "notably" if words[middle] != "notably" else "plainly"
    return " ".join(words)
