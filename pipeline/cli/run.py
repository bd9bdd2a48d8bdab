"""``newsline run``: a worker, a replay of a corpus, and a summary of what came out.

The worker is a child process that ``run`` owns: it is stopped however ``run`` ends
(done, an error, Ctrl-C, SIGTERM or SIGHUP; SIGKILL through the kernel, see
pipeline.cli.supervise), and a worker that dies on its own ends the run at once.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from pipeline.cli.supervise import WorkerProcess, raising_on_signals
from pipeline.clients.corpus import read_corpus
from pipeline.clients.kafka import check_access, ensure_topics
from pipeline.clients.replay import send_records
from pipeline.clients.results import Results, collect, output_offsets
from pipeline.settings import Settings

#: Articles and dead letters listed one by one in the summary; the rest are counted.
LISTED = 20


class RunError(Exception):
    """The run could not finish; the message says why."""


def run(
    settings: Settings, paths: Sequence[Path], *, out: IO[str], timeout: float
) -> Results:
    """Replay ``paths`` through a fresh worker and print what the pipeline published.

    Raises CorpusError, then KafkaAccessError, before a worker starts, when a file
    cannot be read or there is none, or when the broker refuses or does not answer.
    Raises RunError when the worker dies, or when records have no outcome within
    ``timeout`` seconds.
    """
    records = read_corpus(paths)
    asyncio.run(check_access(settings))
    asyncio.run(ensure_topics(settings))
    since = asyncio.run(output_offsets(settings))
    log_path = settings.data_dir / "worker.log"
    worker = WorkerProcess(
        log_path=log_path, env=settings.as_environment(), die_with_parent=True
    )
    # Ctrl-C too: asyncio.run turns it into cancelling the running task, and a task
    # inside a Kafka client can absorb that and carry on, so the run would finish
    # (or hang) instead of stopping. Raised from the handler, it cannot be absorbed.
    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    with raising_on_signals(stops), worker:
        out.write(f"worker started (log: {log_path})\n")
        report = asyncio.run(send_records(settings, records))
        out.write(f"replayed {report.sent} articles in {report.seconds:.1f} s\n")
        results = asyncio.run(
            collect(
                settings,
                since,
                expect=report.records,
                timeout=timeout,
                alive=worker.alive,
            )
        )
        if not worker.alive():
            raise RunError(
                f"the worker stopped (exit status {worker.returncode}); the end of "
                f"{log_path}:\n{worker.log_tail()}"
            )
    missing = results.outstanding(report.records)
    out.write(summarise(results))
    if missing:
        raise RunError(
            f"{len(missing)} articles had no outcome after {timeout:g} s; "
            f"see {log_path}"
        )
    return results


def summarise(results: Results, *, listed: int = LISTED) -> str:
    """A short, human-readable account of the outcome records.

    Articles and dead letters past the first ``listed`` are counted, not listed: a
    large corpus would otherwise flood the terminal.
    """
    lines = [f"\narticles.enriched: {len(results.enriched)} articles"]
    articles = list(results.enriched.values())
    for article in articles[:listed]:
        boilerplate = sum(s.boilerplate for s in article.sentences)
        first = next((s.text for s in article.sentences if not s.boilerplate), "")
        lines.append(
            f"  {article.article_id}  {article.source}  lang={article.language}  "
            f"{len(article.sentences)} sentences ({boilerplate} boilerplate)  "
            f"claims={len(article.claims)}"
        )
        lines.append(f"      {first[:100]}")
    lines += _more(len(articles), listed)
    lines.append(f"claims: {len(results.claims)} claims")
    for claim in sorted(results.claims.values(), key=lambda c: -c.checkworthiness)[:5]:
        speaker = claim.speaker.name if claim.speaker else "(the outlet)"
        lines.append(f"  {claim.checkworthiness:.2f}  {speaker}: {claim.text[:90]}")
    lines += _corroboration(results)
    letters = [*results.dead.values(), *results.dead_without_id]
    lines.append(f"articles.deadletter: {len(letters)} records")
    lines += [f"  {d.article_id}  {d.error_type}: {d.reason}" for d in letters[:listed]]
    lines += _more(len(letters), listed)
    return "\n".join(lines) + "\n"


def _more(count: int, listed: int) -> list[str]:
    return [f"  ... and {count - listed} more"] if count > listed else []


def _corroboration(results: Results) -> list[str]:
    live = (c for c in results.clusters.values() if c.merged_into is None)
    clusters = sorted(live, key=lambda c: -c.independent_sources)
    lines = [f"claims.clusters: {len(clusters)} clusters; the most corroborated:"]
    lines += [
        f"  {c.independent_sources} independent of {len(c.sources)} sources: "
        f"{c.label[:80]}"
        for c in clusters[:3]
    ]
    disagreements = [
        c for c in results.comparisons.values() if c.relation != "consistent"
    ]
    lines.append(
        f"claims.conflicts: {len(results.comparisons)} figure comparisons, "
        f"{len(disagreements)} not consistent:"
    )
    lines += [f"  {c.relation}: {c.explanation[:100]}" for c in disagreements[:5]]
    stories = [s for s in results.stories.values() if s.merged_into is None]
    stories.sort(key=lambda s: -s.independent_sources)
    lines.append(f"stories: {len(stories)} stories; the most reported:")
    lines += [
        f"  {s.independent_sources} independent of {s.source_count} sources, "
        f"{s.article_count} articles: {s.headline[:80]}"
        for s in stories[:3]
    ]
    return lines
