"""The corroborate stage's CPU time per article on real news, one process.

Ingests, dedupes and reads the claims of BBC News business articles
(``../shared/corpora/bbc-news``, read at run time, each as an outlet of its own),
then times a fresh ``Corroborator`` deciding all of them in file order, best of
three, in CPU seconds of this process. Run it at two commits to compare a change's
cost:

    .venv/bin/python bench/corroborate_cpu.py [--articles 120]
"""

from __future__ import annotations

import argparse
import time

from label_sentences import BBC
from stories_bbc import SEEN_AT, claimed

from pipeline.clients.corpus import plan
from pipeline.corroborate import CorroborateSettings, Corroborator
from pipeline.corroborate.meaning import meaning
from pipeline.ingest import ingest_record
from pipeline.settings import Settings
from pipeline.state import OrderedKeys
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
    best = min(_cpu_seconds(decided) for _ in range(ROUNDS))
    claims = sum(len(a.claims) for a in decided)
    print(
        f"corroborate stage: {best / len(decided) * 1000:.1f} ms CPU per article "
        f"({len(decided)} BBC business articles, {claims} claims, best of {ROUNDS})"
    )


def _cpu_seconds(articles: list[EnrichedArticle]) -> float:
    corroborator = Corroborator({}, OrderedKeys(), settings=CorroborateSettings())
    started = time.process_time()
    for article in articles:
        corroborator.corroborate(article, seen_at=SEEN_AT)
    return time.process_time() - started


if __name__ == "__main__":
    main()
