"""The corroborate decider's writes and CPU once its window is full, on real news.

Distinct BBC News texts (``../shared/corpora/bbc-news``, read at run time, the five
sections in turn, each text an outlet of its own) are ingested, deduped and their
claims read, then decided by one ``Corroborator`` on dict stores at five articles
a second of event time with a one-minute window, forgetting up to
``EXPIRY_STEP`` articles every ``EXPIRY_EVERY`` decisions, as a worker does. So
articles leave the window as fast as they come, and every write a worker would
send as a changelog record is counted, deciding and forgetting apart:

    .venv/bin/python bench/sliding_window.py [--articles 1654] [--answers FILE]

``--answers FILE`` writes a digest of each article's answer (its claims' clusters,
the clusters and comparisons it published, its story), one line per article: run
it at two commits and compare the files to see which records a change moves.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import time
from datetime import timedelta
from pathlib import Path

from corroborate_cpu import Writes
from label_sentences import BBC
from stories_bbc import SEEN_AT, claimed

from pipeline.clients.corpus import plan
from pipeline.corroborate import CorroborateSettings, Corroboration, Corroborator
from pipeline.corroborate.meaning import meaning
from pipeline.ingest import ingest_record
from pipeline.settings import Settings
from pipeline.state import OrderedKeys
from pipeline.worker.decider import EXPIRY_EVERY, EXPIRY_STEP
from schemas import EnrichedArticle

#: Event time between two articles, and the window: a minute holds 300 articles.
SPACING = timedelta(seconds=0.2)
WINDOW_HOURS = 1 / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1654)
    parser.add_argument("--answers", type=Path)
    args = parser.parse_args()
    articles = _claimed(args.articles)
    meaning()  # loaded once per process, as a worker does before its first article
    state = Writes()
    corroborator = Corroborator(
        state, OrderedKeys(), settings=CorroborateSettings(window_hours=WINDOW_HOURS)
    )
    answers, forgetting, forgotten = [], 0, 0
    started = time.process_time()
    for number, article in enumerate(articles, start=1):
        seen_at = SEEN_AT + number * SPACING
        answers.append(_digest(corroborator.corroborate(article, seen_at=seen_at)))
        if number % EXPIRY_EVERY == 0:
            before = state.records
            forgotten += corroborator.expire(now=seen_at, limit=EXPIRY_STEP)
            forgetting += state.records - before
    cpu = time.process_time() - started
    n, claims = len(articles), sum(len(a.claims) for a in articles)
    print(
        f"{n} BBC News texts, {claims} claims, {forgotten} articles forgotten;"
        f" {len(state):,} state keys at the end"
    )
    print(
        f"writes per article: {(state.records - forgetting) / n:.1f} deciding,"
        f" {forgetting / max(1, forgotten):.1f} per article forgotten;"
        f" {state.kb / n:.1f} KB per article; {cpu / n * 1000:.1f} ms CPU per article"
    )
    if args.answers is not None:
        args.answers.write_text("".join(f"{line}\n" for line in answers))
        print(f"a digest of each answer written to {args.answers}")


def _claimed(count: int) -> list[EnrichedArticle]:
    """The first ``count`` texts, sections in turn, through ingest, dedupe and
    claims; named so that name order (which ``claimed`` decides in) is that order."""
    sections = [sorted(d.glob("*.txt")) for d in sorted(BBC.iterdir()) if d.is_dir()]
    files = [t for group in itertools.zip_longest(*sections) for t in group if t]
    files = files[:count]
    limits = Settings().ingest
    articles = {}
    for number, (path, record) in enumerate(zip(files, plan(files), strict=True)):
        article = ingest_record(record.value, limits=limits)
        assert isinstance(article, EnrichedArticle), (path, article)
        name = f"{number:05d}-{path.parent.name}-{path.stem}"
        articles[name] = article.model_copy(update={"source": name})
    return list(claimed(articles).values())


def _digest(result: Corroboration) -> str:
    parts = [
        result.article.model_dump_json(),
        *(c.model_dump_json() for c in result.clusters),
        *(c.model_dump_json() for c in result.comparisons),
        *(s.model_dump_json() for s in result.stories),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


if __name__ == "__main__":
    main()
