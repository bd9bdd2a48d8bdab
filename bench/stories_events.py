"""Story grouping on real news: BBC articles labelled by the event they report.

    .venv/bin/python bench/stories_events.py [--orders 3] [--json]

Every labelled article (bench/labels/bbc-stories/ and bench/labels/bbc-story-events/,
rules in docs/labelling-stories.md, "Stories") goes through ingest, dedupe, claims
and corroborate as an outlet of its own, in file order and in ``--orders - 1``
shuffled orders. Each article's story is followed through ``merged_into`` to the
one that holds it at the end. Printed per order, over all pairs of labelled
articles: pairwise precision and recall of "same story", and whether the grouping
is the one of file order.

The corpus is read from ../shared/corpora/bbc-news at run time, never copied.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from collections.abc import Sequence
from pathlib import Path

from label_sentences import BBC
from stories_bbc import ROOT, SEEN_AT, claimed

from pipeline.clients.corpus import plan
from pipeline.corroborate import CorroborateSettings, Corroborator
from pipeline.ingest import ingest_record
from pipeline.settings import Settings
from pipeline.state import OrderedKeys
from schemas import EnrichedArticle, Story

FOLDERS = (
    ROOT / "bench" / "labels" / "bbc-stories",
    ROOT / "bench" / "labels" / "bbc-story-events",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=3, help="arrival orders to try")
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    args = parser.parse_args()
    labels = read_labels(FOLDERS)
    articles = claimed(read_articles(sorted(labels)))
    names = sorted(articles)
    results, first = [], None
    for order in range(args.orders):
        arrival = (
            names if order == 0 else random.Random(order).sample(names, len(names))
        )
        stories = storied([articles[name] for name in arrival])
        row = score(labels, stories)
        first = first or stories
        row["same as file order"] = float(grouping(stories) == grouping(first))
        results.append(row)
        label = "file order" if order == 0 else f"shuffled order {order}"
        print(
            f"{label:18} precision {row['precision']:.3f}  recall {row['recall']:.3f}"
            f"  ({row['pairs']:.0f} same-story pairs of {row['articles']:.0f} articles)"
            f"  same grouping as file order: {bool(row['same as file order'])}"
        )
    if args.json:
        print(json.dumps(results[0]))


def read_labels(folders: Sequence[Path]) -> dict[str, str]:
    """Article id -> story id, over every label file."""
    labels: dict[str, str] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            raw = json.loads(path.read_text(encoding="utf-8"))
            labels.update(raw["articles"])
    if not labels:
        raise SystemExit(f"no story labels in {[str(f) for f in folders]}")
    return labels


def read_articles(names: Sequence[str]) -> dict[str, EnrichedArticle]:
    settings = Settings()
    articles = {}
    for name in names:
        category, number = name.rsplit("-", 1)
        [record] = list(plan([BBC / category / f"{number}.txt"]))
        article = ingest_record(record.value, limits=settings.ingest)
        assert isinstance(article, EnrichedArticle), (name, article)
        articles[name] = article.model_copy(update={"source": name})
    return articles


def storied(articles: Sequence[EnrichedArticle]) -> dict[str, str]:
    """Each article's story at the end (merges followed), decided in this order."""
    corroborator = Corroborator({}, OrderedKeys(), settings=CorroborateSettings())
    latest: dict[str, Story] = {}
    placed: dict[str, str] = {}
    for article in articles:
        result = corroborator.corroborate(article, seen_at=SEEN_AT)
        latest.update((s.story_id, s) for s in result.stories)
        assert result.article.story_id is not None
        placed[article.source] = result.article.story_id
    return {name: follow(latest, story) for name, story in placed.items()}


def follow(latest: dict[str, Story], story_id: str) -> str:
    while (merged := latest[story_id].merged_into) is not None:
        story_id = merged
    return story_id


def grouping(stories: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for name, story in stories.items():
        groups.setdefault(story, set()).add(name)
    return {frozenset(g) for g in groups.values()}


def score(labels: dict[str, str], stories: dict[str, str]) -> dict[str, float]:
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(labels), 2):
        same, joined = labels[a] == labels[b], stories[a] == stories[b]
        tp += same and joined
        fp += joined and not same
        fn += same and not joined
    return {
        "articles": len(labels),
        "pairs": tp + fn,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
    }


if __name__ == "__main__":
    main()
