"""``newsline extract`` runs the next chunks through the pool while it corroborates
the current one: that overlap must change nothing in what it writes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from pipeline.cli import extract
from pipeline.clients.corpus import SourceRecord
from pipeline.flow import Output
from pipeline.settings import IngestLimits, Settings
from pipeline.stages import Stages

SENTENCES = [
    "Officials said 300 people attended the rally in the capital on Monday.",
    "The ministry said 1,200 soldiers had been sent to the border region.",
    "Police said about 40 people were arrested after the protest.",
]
#: The same facts told again in other words: independent reports whose figures
#: are compared with the first ones.
RETOLD = [
    "Some 350 people attended the rally in the capital on Monday, officials said.",
    "A total of 1,500 soldiers had been sent to the border region, the ministry said.",
    "About 45 people were arrested after the protest, police said.",
]


def _corpus(folder: Path) -> Path:
    """Records that only come out right when decided in order: exact copies of
    earlier ones (a duplicate names the first), figures that are compared."""
    told = [SENTENCES, SENTENCES, RETOLD]
    bodies = [f"{told[n // 3][n % 3]} Report {n // 3} says so." for n in range(9)]
    for copy in (3, 7):
        bodies[copy] = bodies[0]
    lines = [
        json.dumps(
            {
                "article_id": f"a{number}",
                "source": f"outlet{number % 5}",
                "published_at": "2025-01-13T08:00:00Z",
                "body": body,
            }
        )
        for number, body in enumerate(bodies)
    ]
    corpus = folder / "corpus.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return corpus


def _files(out: Path) -> dict[str, str]:
    return {f.name: f.read_text() for f in sorted(out.glob("*.jsonl"))}


@pytest.mark.slow
def test_overlapping_chunks_write_what_one_chunk_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus(tmp_path)
    settings = Settings(process_workers=1)
    extract.extract(settings, [corpus], tmp_path / "whole", show_progress=False)
    monkeypatch.setattr(extract, "CHUNK", 2)
    monkeypatch.setattr(extract, "AHEAD", 2)
    extract.extract(settings, [corpus], tmp_path / "chunked", show_progress=False)
    whole = _files(tmp_path / "whole")
    assert '"kind":"exact"' in whole["articles.enriched.jsonl"]
    assert whole["claims.conflicts.jsonl"]
    assert _files(tmp_path / "chunked") == whole


@pytest.mark.parametrize("stage", ["decided", "claimed"])
def test_a_failing_chunk_stops_extract_with_its_error(
    stage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    async def fail_second(self: Stages, given: Sequence[object]) -> list[Output]:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("the pool broke")
        return []

    if stage == "claimed":  # decided at once, without the pool
        monkeypatch.setattr(Stages, "decided", _nothing_decided)
    monkeypatch.setattr(extract, "CHUNK", 2)
    monkeypatch.setattr(Stages, stage, fail_second)
    with pytest.raises(RuntimeError, match="the pool broke"):
        extract.extract(
            Settings(), [_corpus(tmp_path)], tmp_path / "out", show_progress=False
        )
    assert calls[:2] == [0, 1]


async def _nothing_decided(
    self: Stages, records: Sequence[SourceRecord]
) -> list[Output]:
    return []


@pytest.mark.slow
def test_bad_lines_of_a_jsonl_corpus_are_dead_letters_with_the_workers_types(
    tmp_path: Path,
) -> None:
    """The worker's own checks (tests/integration/test_deadletter.py) give these
    records these types; offline they must get the same, and the run go on."""
    lines = [
        b'{"source": "s", "body": ',  # cut short
        b"[1, 2, 3]",
        b'{"source": "s", "body": "caf\xe9"}',  # Latin-1, not UTF-8
        b'{"source": "s", "body": ""}',
        json.dumps({"source": "s", "body": SENTENCES[0]}).encode(),
    ]
    corpus = tmp_path / "bad.jsonl"
    corpus.write_bytes(b"\n".join(lines) + b"\n")
    counts = extract.extract(
        Settings(process_workers=1), [corpus], tmp_path / "out", show_progress=False
    )
    dead = (tmp_path / "out" / "articles.deadletter.jsonl").read_text().splitlines()
    kinds = [json.loads(line)["error_type"] for line in dead]
    assert kinds == ["invalid_json", "invalid_record", "invalid_utf8", "empty_body"]
    assert counts["articles.enriched"] == 1


@pytest.mark.slow
def test_an_article_past_the_time_cap_is_a_timeout_as_in_the_worker(
    tmp_path: Path,
) -> None:
    """The worker's case (tests/integration/test_deadletter.py), offline."""
    corpus = tmp_path / "slow.jsonl"
    slow = {"article_id": "slow", "source": "s", "body": "word " * 900_000}
    quick = {"article_id": "quick", "source": "s", "body": SENTENCES[0]}
    corpus.write_text(f"{json.dumps(slow)}\n{json.dumps(quick)}\n", encoding="utf-8")
    settings = Settings(
        process_workers=1, ingest=IngestLimits(max_seconds_per_article=0.1)
    )
    extract.extract(settings, [corpus], tmp_path / "out", show_progress=False)
    [dead] = (tmp_path / "out" / "articles.deadletter.jsonl").read_text().splitlines()
    letter = json.loads(dead)
    assert (letter["error_type"], letter["article_id"]) == ("timeout", "slow")
    assert "NEWSLINE_INGEST__MAX_SECONDS_PER_ARTICLE" in letter["reason"]
    enriched = (tmp_path / "out" / "articles.enriched.jsonl").read_text()
    assert '"article_id":"quick"' in enriched
