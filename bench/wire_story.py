"""One story carried by many outlets: does the 1,000th copy cost what the 20th did?

A wire story is published again by outlet after outlet, word for word. The five seeds
go once through ingest, fingerprint and claims; then each is published by COPIES
outlets in turn (copy n of every seed, then copy n+1), each copy an article of its
own (own id and source, same text), through both deciders with in-memory stores as
the worker's tables, with the claims a copy reuses from its original. Prints the
deciders' time per copy around the 20th, the 200th and the last copy, its ratio to
the 20th, and what each decision wrote (the changelog records a table would send):

    .venv/bin/python bench/wire_story.py [--copies 1000] [--tables]

``--tables`` keeps the state as JSON decoded on every read, as the worker's RocksDB
tables do, and reads it through the worker's cache of decoded values.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime

from growth import SEEDS, Changelog, _ingest
from measure import rss_mb

from pipeline.claims import extract_claims
from pipeline.claims.reuse import with_ids
from pipeline.corroborate import Corroborator
from pipeline.dedupe import DedupeIndex, fingerprint
from pipeline.settings import Settings
from pipeline.state import OrderedKeys
from pipeline.state.cached import CachedStore
from schemas import EnrichedArticle
from schemas.dedupe import DedupeRequest

#: Copies timed around each mark (the mark in the middle).
SPAN = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1000)
    parser.add_argument(
        "--tables",
        action="store_true",
        help="keep state as JSON decoded on every read, as the worker's RocksDB"
        " tables do, read through the worker's cache (NEWSLINE_STATE_CACHE_KEYS)",
    )
    args = parser.parse_args()
    settings = Settings()
    originals = _originals(settings)
    marks = [m for m in (20, 200, args.copies - SPAN) if m + SPAN <= args.copies]
    dedupe_state = Changelog(encoded=args.tables)
    corroborate_state = Changelog(encoded=args.tables)
    kept = settings.state_cache_keys
    index = DedupeIndex(
        CachedStore(dedupe_state, kept) if args.tables else dedupe_state,
        OrderedKeys(),
        settings=settings.dedupe,
        times=settings.event_time,
    )
    corroborator = Corroborator(
        CachedStore(corroborate_state, kept) if args.tables else corroborate_state,
        OrderedKeys(),
        settings=settings.corroborate,
        times=settings.event_time,
    )
    timed: dict[int, list[float]] = {mark: [] for mark in marks}
    written: dict[int, list[int]] = {mark: [0, 0] for mark in marks}
    started_all = time.perf_counter()
    for copy in range(args.copies):
        if copy and copy % 100 == 0:
            print(
                f"  ... {copy} copies in {time.perf_counter() - started_all:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        for original in originals:
            request = _copy(original, copy, settings)
            before = corroborate_state.records, corroborate_state.bytes
            started = time.perf_counter()
            decided = index.decide(request, seen_at=datetime.now(UTC))
            assert isinstance(decided, EnrichedArticle)
            claimed = decided.model_copy(
                update={"claims": with_ids(original.claims, decided)}
            )
            corroborator.corroborate(claimed, seen_at=datetime.now(UTC))
            seconds = time.perf_counter() - started
            for mark in marks:
                if mark <= copy < mark + SPAN:
                    timed[mark].append(seconds)
                    written[mark][0] += corroborate_state.records - before[0]
                    written[mark][1] += corroborate_state.bytes - before[1]
    per_article = len(originals) * SPAN
    first = statistics.median(timed[marks[0]])
    print(
        f"{len(originals)} seeds, each published by {args.copies} outlets "
        f"({len(originals) * args.copies} articles); deciders' time per copy:"
    )
    for mark in marks:
        median = statistics.median(timed[mark])
        records, size = written[mark]
        print(
            f"  copies {mark}-{mark + SPAN}: median {median * 1000:6.2f} ms "
            f"({median / first:4.2f} of the 20th), mean "
            f"{statistics.mean(timed[mark]) * 1000:6.2f} ms; corroborate wrote "
            f"{records / per_article:5.1f} records, {size / per_article / 1024:6.1f} KB"
            " per copy"
        )
    print(
        f"state: {len(corroborate_state):,} corroborate keys, "
        f"{len(dedupe_state):,} dedupe keys; RSS {rss_mb(os.getpid()):.0f} MB"
    )


def _originals(settings: Settings) -> list[EnrichedArticle]:
    """The seeds, ingested, with their claims."""
    articles = [
        a
        for a in (
            _ingest(p.stem, p.read_text(encoding="utf-8"), settings)
            for p in sorted(SEEDS.glob("*.txt"))
        )
        if isinstance(a, EnrichedArticle)
    ]
    claims = extract_claims(articles)
    return [
        article.model_copy(update={"claims": found})
        for article, found in zip(articles, claims, strict=True)
    ]


def _copy(original: EnrichedArticle, copy: int, settings: Settings) -> DedupeRequest:
    """Outlet ``copy``'s publication of ``original``: its own id and source."""
    article = original.model_copy(
        update={
            "article_id": f"{original.article_id}-{copy}",
            "source": f"outlet-{copy}",
            "claims": (),
        }
    )
    return DedupeRequest(
        article=article, fingerprint=fingerprint(article, settings=settings.dedupe)
    )


if __name__ == "__main__":
    main()
