"""replay -> worker -> tail through a real broker, and Kafka == ``newsline extract``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pipeline.cli.extract import extract
from pipeline.cli.supervise import WorkerProcess
from pipeline.clients.replay import replay
from pipeline.clients.results import Results, collect, output_offsets
from pipeline.corroborate import heir
from pipeline.settings import Settings
from schemas import Claim, EnrichedArticle, Story
from schemas.corroborate import ClaimCluster, FigureComparison
from tests.integration.conftest import settings_env

TIMEOUT = 120.0


def _newsline(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**__import__("os").environ, **settings_env(settings)}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_replay_worker_tail_cli(
    settings: Settings, worker: WorkerProcess, seeds_dir: Path
) -> None:
    sent = _newsline(settings, "replay", str(seeds_dir))
    assert sent.returncode == 0, sent.stderr
    assert "sent 5 articles" in sent.stderr

    tailed = _newsline(
        settings,
        "tail",
        "articles.enriched",
        "--from-beginning",
        "--limit",
        "5",
        "--timeout",
        str(TIMEOUT),
    )
    assert tailed.returncode == 0, tailed.stderr + worker.log_tail()
    articles = [
        EnrichedArticle.model_validate_json(line) for line in tailed.stdout.splitlines()
    ]
    assert sorted(a.source for a in articles) == sorted(
        p.stem for p in seeds_dir.glob("*.txt")
    )
    assert all(a.sentences and a.language == "en" for a in articles)
    assert worker.alive()


async def test_kafka_output_equals_extract(
    settings_factory: Callable[..., Settings],
    worker_factory: Callable[[Settings], WorkerProcess],
    seeds_dir: Path,
    tmp_path: Path,
) -> None:
    # One partition, so the articles are decided in file order, as extract does:
    # which copy of a repeated sentence is "first" depends on that order.
    settings = settings_factory(topic_partitions=1)
    results = await _seeds_through_kafka(settings, worker_factory, seeds_dir)

    await asyncio.to_thread(extract, settings, [seeds_dir], tmp_path / "out")
    lines = (tmp_path / "out" / "articles.enriched.jsonl").read_text().splitlines()
    offline = {a.article_id: a for a in map(EnrichedArticle.model_validate_json, lines)}
    assert offline.keys() == results.enriched.keys()
    for article_id, article in offline.items():
        assert results.enriched[article_id] == article
    assert (tmp_path / "out" / "articles.deadletter.jsonl").read_text() == ""
    assert not results.dead
    claims = (tmp_path / "out" / "claims.jsonl").read_text().splitlines()
    offline_claims = {c.claim_id: c for c in map(Claim.model_validate_json, claims)}
    assert offline_claims == results.claims
    assert _latest_clusters(tmp_path / "out") == {
        cluster_id: _timeless(cluster)
        for cluster_id, cluster in results.clusters.items()
    }
    lines = (tmp_path / "out" / "claims.conflicts.jsonl").read_text().splitlines()
    comparisons = map(FigureComparison.model_validate_json, lines)
    assert {c.comparison_id: c for c in comparisons} == results.comparisons
    lines = (tmp_path / "out" / "stories.jsonl").read_text().splitlines()
    stories = {s.story_id: _timeless(s) for s in map(Story.model_validate_json, lines)}
    assert stories == {i: _timeless(s) for i, s in results.stories.items()}
    repeats = [s for a in offline.values() for s in a.sentences if s.repeat_of]
    assert len(repeats) >= 4  # the seeds repeat sentences word for word


async def test_the_grouping_does_not_depend_on_partitions(
    settings_factory: Callable[..., Settings],
    worker_factory: Callable[[Settings], WorkerProcess],
    seeds_dir: Path,
    tmp_path: Path,
) -> None:
    # Four partitions: the articles reach the corroborate decision log in an order
    # that varies from run to run, and is not extract's.
    settings = settings_factory(topic_partitions=4)
    results = await _seeds_through_kafka(settings, worker_factory, seeds_dir)
    await asyncio.to_thread(extract, settings, [seeds_dir], tmp_path / "out")
    out = tmp_path / "out"
    claims = map(
        Claim.model_validate_json, (out / "claims.jsonl").read_text().splitlines()
    )
    offline = {c.claim_id: c for c in claims}
    clusters = (out / "claims.clusters.jsonl").read_text().splitlines()
    latest = {c.cluster_id: c for c in map(ClaimCluster.model_validate_json, clusters)}
    assert offline.keys() == results.claims.keys()
    assert _grouping(results.claims, results.clusters) == _grouping(offline, latest)
    # The five seeds are one story, whichever order they were decided in.
    stories = map(
        Story.model_validate_json, (out / "stories.jsonl").read_text().splitlines()
    )
    offline_stories = {s.story_id: s for s in stories}
    assert {_story(results.stories, a.story_id) for a in results.enriched.values()} == {
        _story(offline_stories, a) for a in _article_stories(out)
    }


async def _seeds_through_kafka(
    settings: Settings,
    worker_factory: Callable[[Settings], WorkerProcess],
    seeds_dir: Path,
) -> Results:
    """The seeds replayed through a worker, and every output they led to."""
    worker = worker_factory(settings)
    since = await output_offsets(settings)
    report = await replay(settings, [seeds_dir])
    results = await collect(
        settings, since, expect=report.keys, timeout=TIMEOUT, settle_s=3.0
    )
    assert results.done() == set(report.keys), worker.log_tail()
    return results


def _grouping(
    claims: dict[str, Claim], clusters: dict[str, ClaimCluster]
) -> dict[str, str | None]:
    """Each claim's cluster at the end, merges followed."""
    return {
        claim_id: None if c.cluster_id is None else heir(clusters, c.cluster_id)
        for claim_id, c in claims.items()
    }


def _story(stories: dict[str, Story], story_id: str | None) -> str | None:
    """The live story a story id is now part of."""
    while story_id is not None and (merged := stories[story_id].merged_into):
        story_id = merged
    return story_id


def _article_stories(out: Path) -> list[str | None]:
    lines = (out / "articles.enriched.jsonl").read_text().splitlines()
    return [EnrichedArticle.model_validate_json(line).story_id for line in lines]


def _timeless(record: ClaimCluster | Story) -> dict[str, object]:
    # When a cluster or story was first seen and updated is wall-clock time for
    # articles without a publication time, so it differs between two runs.
    return record.model_dump(exclude={"first_seen", "updated"})


def _latest_clusters(out: Path) -> dict[str, dict[str, object]]:
    """The last version of each cluster: what the compacted topic keeps."""
    lines = (out / "claims.clusters.jsonl").read_text().splitlines()
    return {
        c.cluster_id: _timeless(c) for c in map(ClaimCluster.model_validate_json, lines)
    }


def test_tail_prints_json_lines(settings: Settings, seeds_dir: Path) -> None:
    """tail works on a topic without a worker (here: the raw topic replay fills)."""
    assert _newsline(settings, "replay", str(seeds_dir)).returncode == 0
    tailed = _newsline(
        settings, "tail", "articles.raw", "--from-beginning", "--timeout", "5"
    )
    records = [json.loads(line) for line in tailed.stdout.splitlines()]
    assert len(records) == 5
    assert {r["content_type"] for r in records} == {"text/plain"}
