"""What a fault run's outputs must be: the reference that ``newsline extract`` makes
of the same corpus, and helpers that wait for a run's outcomes and compare them."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.cli.extract import extract
from pipeline.cli.supervise import WorkerProcess
from pipeline.clients.kafka import ensure_topics
from pipeline.clients.results import Offsets, Results, collect, output_offsets
from pipeline.corroborate import heir
from pipeline.settings import Settings
from pipeline.topics import DEADLETTER, ENRICHED, topic_name
from schemas import Claim, DeadLetter, EnrichedArticle
from schemas.corroborate import ClaimCluster, FigureComparison
from tests.integration.streams import Stream

#: Seconds a run may take to reach a count of outcomes, or all of them.
TIMEOUT = 420.0


@dataclass(frozen=True)
class Reference:
    """What ``newsline extract`` makes of a stream: a run without any fault."""

    enriched: dict[str, EnrichedArticle]
    claims: dict[str, Claim]
    clusters: dict[str, dict[str, object]]
    comparisons: dict[str, FigureComparison]
    dead: set[str]


def reference_of(path: Path, out: Path) -> Reference:
    """What ``newsline extract`` makes of the corpus file at ``path``."""
    extract(Settings(), [path], out, show_progress=False)

    def lines(name: str) -> list[str]:
        return (out / f"{name}.jsonl").read_text().splitlines()

    enriched = map(EnrichedArticle.model_validate_json, lines("articles.enriched"))
    claims = map(Claim.model_validate_json, lines("claims"))
    clusters = map(ClaimCluster.model_validate_json, lines("claims.clusters"))
    comparisons = map(FigureComparison.model_validate_json, lines("claims.conflicts"))
    dead = map(DeadLetter.model_validate_json, lines("articles.deadletter"))
    return Reference(
        enriched={a.article_id: a for a in enriched},
        claims={c.claim_id: c for c in claims},
        clusters={c.cluster_id: timeless(c) for c in clusters},
        comparisons={c.comparison_id: c for c in comparisons},
        dead={d.article_id for d in dead if d.article_id},
    )


def timeless(cluster: ClaimCluster) -> dict[str, object]:
    # Wall-clock fields; every stream article has a publication time, but a
    # cluster's first_seen may still come from the clock (see ClaimCluster).
    return cluster.model_dump(exclude={"first_seen", "updated"})


async def mark(settings: Settings) -> Offsets:
    await ensure_topics(settings)
    return await output_offsets(settings)


async def outcomes(settings: Settings, since: Offsets) -> int:
    """Records on the enriched and dead-letter topics since ``since``."""
    now = await output_offsets(settings)
    wanted = {topic_name(settings, ENRICHED), topic_name(settings, DEADLETTER)}
    return sum(end - since.get(p, 0) for p, end in now.items() if p.topic in wanted)


async def until_outcomes(
    settings: Settings, since: Offsets, count: int, worker: WorkerProcess
) -> int:
    deadline = time.monotonic() + TIMEOUT
    while (done := await outcomes(settings, since)) < count:
        assert worker.alive(), worker.log_tail()
        assert time.monotonic() < deadline, f"only {done} outcomes\n{worker.log_tail()}"
        await asyncio.sleep(0.5)
    return done


async def all_outcomes(
    settings: Settings, since: Offsets, stream: Stream, worker: WorkerProcess
) -> Results:
    results = await collect(
        settings, since, expect=stream.ids, timeout=TIMEOUT, settle_s=3.0
    )
    missing = set(stream.ids) - results.done()
    assert not missing, f"{len(missing)} lost, e.g. {sorted(missing)[:5]}\n" + (
        worker.log_tail()
    )
    assert not results.changed, f"redelivered copies differ: {sorted(results.changed)}"
    both = results.enriched.keys() & results.dead.keys()
    assert not both, (
        f"{len(both)} articles both enriched and dead, e.g. {sorted(both)[:5]}"
    )
    assert set(results.dead) == stream.bad
    print(
        f"{len(results.enriched)} enriched, {len(results.dead)} dead letters,"
        f" {len(results.claims)} claims; {results.copies} redelivered copies"
    )
    return results


def assert_same_as_reference(results: Results, reference: Reference) -> None:
    assert results.enriched.keys() == reference.enriched.keys()
    differ = [i for i, a in reference.enriched.items() if results.enriched[i] != a]
    assert not differ, f"{len(differ)} articles differ from extract, e.g. {differ[:3]}"
    assert results.claims == reference.claims
    assert results.comparisons == reference.comparisons
    latest = {key: timeless(cluster) for key, cluster in results.clusters.items()}
    assert latest == reference.clusters
    assert set(results.dead) == reference.dead


def assert_order_free(results: Results, stream: Stream, reference: Reference) -> None:
    """The verdicts, in a form that does not depend on the order of decisions.

    With several partitions, which of two identical articles reached the deciders
    first varies from run to run, and so does which of two similar clusters a claim
    joins; that one copy of a text is the original and the rest are its copies, and
    that identical claims share a cluster, do not vary.
    """
    assert results.enriched.keys() == reference.enriched.keys()
    assert set(results.dead) == reference.dead
    for ids in _same_text(reference).values():
        # Which one is the original varies; how many are exact copies does not.
        copies = [i for i in ids if _kind(results, i) == "exact"]
        assert len(copies) == sum(_kind(reference, i) == "exact" for i in ids), ids
        for i in ids:
            verdict = results.enriched[i].duplicate
            assert verdict.kind != "exact" or verdict.of in ids, (i, verdict)
    for copy, original in stream.near.items():
        expected = sorted(_kind(reference, i) for i in (copy, original))
        got = sorted(_kind(results, i) for i in (copy, original))
        assert got == expected, (copy, original, got, expected)
    # A sentence seen k times has k - 1 later copies, in whatever order they came.
    repeats, expected_repeats = _repeats(results), _repeats(reference)
    assert repeats == expected_repeats, (
        f"{repeats} repeated sentences, not {expected_repeats}"
    )
    texts = {i: [c.text for c in a.claims] for i, a in reference.enriched.items()}
    assert {i: [c.text for c in a.claims] for i, a in results.enriched.items()} == (
        texts
    )
    clusters: dict[str, set[str | None]] = {}
    for article in results.enriched.values():
        for claim in article.claims:
            cluster_id = claim.cluster_id
            if cluster_id is not None:  # merges followed
                cluster_id = heir(results.clusters, cluster_id)
            clusters.setdefault(claim.text, set()).add(cluster_id)
    split = {text: ids for text, ids in clusters.items() if len(ids) > 1}
    assert not split, f"identical claims in different clusters: {split}"


def _same_text(reference: Reference) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for article_id, article in reference.enriched.items():
        groups.setdefault(article.content_hash, []).append(article_id)
    return groups


def _repeats(results: Results | Reference) -> int:
    return sum(
        sentence.repeat_of is not None
        for article in results.enriched.values()
        for sentence in article.sentences
    )


def _kind(results: Results | Reference, article_id: str) -> str:
    return results.enriched[article_id].duplicate.kind or "none"
