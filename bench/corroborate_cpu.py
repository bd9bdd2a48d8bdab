"""The corroborate stage's CPU time per article on real news, one process.

Ingests, dedupes and reads the claims of BBC News business articles
(``../shared/corpora/bbc-news``, read at run time, each as an outlet of its own),
then times a fresh ``Corroborator`` deciding all of them in file order, best of
three, in CPU seconds of this process, and then forgetting them all once the window
has moved past them (as the worker forgets each article some day), with the writes
that forgetting makes. Run it at two commits to compare a change's cost:

    .venv/bin/python bench/corroborate_cpu.py [--articles 120]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import timedelta
from typing import Any

from label_sentences import BBC
from stories_bbc import SEEN_AT, claimed

from pipeline.clients.corpus import plan
from pipeline.corroborate import CorroborateSettings, Corroborator
from pipeline.corroborate.meaning import meaning
from pipeline.ingest import ingest_record
from pipeline.settings import Settings
from pipeline.state import OrderedKeys
from pipeline.state.window import WATERMARK
from pipeline.worker.decider import EXPIRY_STEP
from schemas import EnrichedArticle

BUSINESS = BBC / "business"
ROUNDS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=120)
    args = parser.parse_args()
    files = sorted(BUSINESS.glob("*.txt"))[: args.articles]
    limits = Settings().ingest
    articles = {}
    for path, record in zip(files, plan(files), strict=True):
        article = ingest_record(record.value, limits=limits)
        assert isinstance(article, EnrichedArticle), (path, article)
        articles[path.stem] = article.model_copy(update={"source": path.stem})
    decided = list(claimed(articles).values())
    meaning()  # loaded once per process, as a worker does before its first article
    rounds = [_cpu_seconds(decided) for _ in range(ROUNDS)]
    best = min(decide for decide, _, _ in rounds)
    forget = min(forget for _, forget, _ in rounds)
    writes = rounds[0][2]
    claims = sum(len(a.claims) for a in decided)
    n = len(decided)
    print(
        f"corroborate stage: {best / n * 1000:.1f} ms CPU per article "
        f"({n} BBC business articles, {claims} claims, best of {ROUNDS})"
    )
    print(
        f"forgetting them: {forget / n * 1000:.1f} ms CPU per article, "
        f"{writes.records / n:.1f} writes and {writes.kb / n:.1f} KB per article"
    )


class Writes(dict[str, Any]):
    """A dict store that counts the writes and deletes made to it, and the bytes
    of the values written (as JSON: what a changelog record carries)."""

    records = 0
    kb = 0.0

    def __setitem__(self, key: str, value: Any) -> None:
        self.records += 1
        self.kb += len(json.dumps(value)) / 1024
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.records += 1
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.records += 1
        return super().pop(key, *default)


def _cpu_seconds(articles: list[EnrichedArticle]) -> tuple[float, float, Writes]:
    """CPU seconds deciding ``articles``, then forgetting them; the writes made
    while forgetting."""
    settings = CorroborateSettings()
    state = Writes()
    corroborator = Corroborator(state, OrderedKeys(), settings=settings)
    started = time.process_time()
    for article in articles:
        corroborator.corroborate(article, seen_at=SEEN_AT)
    decided = time.process_time()
    # The window moves past every article, as a later one's time would move it.
    later = SEEN_AT + timedelta(hours=settings.window_hours + 1)
    dict.__setitem__(state, WATERMARK, later.timestamp())
    state.records, state.kb = 0, 0.0
    # A step at a time, oldest first, as a worker forgets them every few decisions.
    while corroborator.expire(now=later, limit=EXPIRY_STEP):
        pass
    assert len(state) <= 2, sorted(state)  # the window's own counters are left
    return decided - started, time.process_time() - decided, state


if __name__ == "__main__":
    main()
