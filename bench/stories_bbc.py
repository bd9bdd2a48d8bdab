"""Claim grouping on real news: BBC articles labelled by story and by same fact.

    .venv/bin/python bench/stories_bbc.py [--orders 3] [--json]

The labels (bench/labels/bbc-stories/, rules in docs/labelling-stories.md) list,
per group of related articles, the facts that two or more articles state and every
sentence that states each one, and near misses that must stay apart. Every article
goes through ingest, dedupe, claims and corroborate as its own outlet, in file
order and in ``--orders - 1`` shuffled orders. A pair of labelled sentences is
joined when a claim of one shares a cluster with a claim of the other. Printed per
order:

- same-fact pairs joined: pairs of sentences of one fact, from two articles;
- different-fact pairs apart: a sentence of one fact against a sentence of another
  fact or near miss of its group, from two articles;
- near misses apart: each near miss against the fact it resembles (the hardest
  different-fact pairs);
- labelled sentences with no claim (their pairs count as not joined).

The corpus is read from ../shared/corpora/bbc-news at run time, never copied.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from label_sentences import BBC, sentence_hash

from pipeline.claims import extract_claims
from pipeline.clients.corpus import plan
from pipeline.corroborate import CorroborateSettings, Corroborator, heir
from pipeline.dedupe import DedupeIndex, fingerprint
from pipeline.ingest import ingest_record
from pipeline.settings import DedupeSettings, Settings
from pipeline.state import OrderedKeys
from schemas import EnrichedArticle
from schemas.corroborate import ClaimCluster
from schemas.dedupe import DedupeRequest

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "bench" / "labels" / "bbc-stories"
SEEN_AT = datetime(2005, 3, 1, tzinfo=UTC)

#: A labelled sentence: article id ("business-003") and sentence index.
Ref = tuple[str, int]


@dataclass(frozen=True)
class Group:
    name: str
    stories: dict[str, str]  # article id -> story id
    facts: dict[str, list[Ref]]  # fact id -> sentences stating it
    near_misses: list[list[Ref]]
    like: list[str]  # the fact each near miss resembles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=3, help="arrival orders to try")
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    args = parser.parse_args()
    groups = read_groups(LABELS)
    articles = claimed(read_articles(groups))
    results = []
    names = sorted(articles)
    for order in range(args.orders):
        arrival = (
            names if order == 0 else random.Random(order).sample(names, len(names))
        )
        clusters = grouped([articles[name] for name in arrival])
        results.append(score(groups, clusters))
        label = "file order" if order == 0 else f"shuffled order {order}"
        print_row(label, results[-1])
        if order == 0:
            for group in groups:
                print_row(f"  {group.name}", score([group], clusters))
    if args.json:
        print(json.dumps(results[0]))


def read_groups(folder: Path) -> list[Group]:
    groups = []
    for path in sorted(folder.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        groups.append(
            Group(
                raw["group"],
                raw["articles"],
                {f["id"]: refs(f["sentences"]) for f in raw["facts"]},
                [refs(n["sentences"]) for n in raw.get("near_misses", [])],
                [str(n.get("like", "")) for n in raw.get("near_misses", [])],
            )
        )
    if not groups:
        raise SystemExit(f"no labels in {folder}")
    return groups


def refs(sentences: Iterable[dict[str, object]]) -> list[Ref]:
    return [(str(s["a"]), int(str(s["s"]))) for s in sentences]


def read_articles(groups: Sequence[Group]) -> dict[str, EnrichedArticle]:
    """Every labelled article, each as an outlet of its own; the hashes checked."""
    settings = Settings()
    articles = {}
    for name in sorted({a for g in groups for a in g.stories}):
        category, number = name.rsplit("-", 1)
        [record] = list(plan([BBC / category / f"{number}.txt"]))
        article = ingest_record(record.value, limits=settings.ingest)
        assert isinstance(article, EnrichedArticle), (name, article)
        articles[name] = article.model_copy(update={"source": name})
    check_hashes(articles)
    return articles


def check_hashes(articles: dict[str, EnrichedArticle]) -> None:
    labelled = _label_hashes()
    for (name, index), digest in labelled.items():
        text = articles[name].sentences[index].text
        if sentence_hash(text) != digest:
            raise SystemExit(f"{name} sentence {index} is not the labelled one")


def _label_hashes() -> dict[Ref, str]:
    hashes = {}
    for path in sorted(LABELS.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        for item in [*raw["facts"], *raw.get("near_misses", [])]:
            for s in item["sentences"]:
                hashes[(s["a"], int(s["s"]))] = s["h"]
    return hashes


def claimed(articles: dict[str, EnrichedArticle]) -> dict[str, EnrichedArticle]:
    names = sorted(articles)
    settings = DedupeSettings()
    index = DedupeIndex({}, OrderedKeys(), settings=settings)
    decided = [
        index.decide(
            DedupeRequest(
                article=articles[n],
                fingerprint=fingerprint(articles[n], settings=settings),
            ),
            seen_at=SEEN_AT,
        )
        for n in names
    ]
    with_claims = [
        a.model_copy(update={"claims": claims})
        for a, claims in zip(decided, extract_claims(decided), strict=True)
    ]
    return dict(zip(names, with_claims, strict=True))


def grouped(articles: Sequence[EnrichedArticle]) -> dict[Ref, set[str]]:
    """The clusters of each sentence's claims at the end, the articles decided in
    this order (merged clusters followed)."""
    corroborator = Corroborator({}, OrderedKeys(), settings=CorroborateSettings())
    latest: dict[str, ClaimCluster] = {}
    placed: list[tuple[Ref, str]] = []
    for article in articles:
        result = corroborator.corroborate(article, seen_at=SEEN_AT)
        latest.update((c.cluster_id, c) for c in result.clusters)
        placed += [
            ((article.source, claim.sentence_index), claim.cluster_id)
            for claim in result.article.claims
            if claim.cluster_id is not None
        ]
    clusters: dict[Ref, set[str]] = {}
    for ref, cluster_id in placed:
        clusters.setdefault(ref, set()).add(heir(latest, cluster_id))
    return clusters


def score(groups: Sequence[Group], clusters: dict[Ref, set[str]]) -> dict[str, float]:
    same = [joined(a, b, clusters) for a, b in same_pairs(groups)]
    different = [not joined(a, b, clusters) for a, b in different_pairs(groups)]
    near = [not joined(a, b, clusters) for a, b in near_miss_pairs(groups)]
    labelled = {r for g in groups for refs_ in g.facts.values() for r in refs_}
    return {
        "same-fact pairs": len(same),
        "same-fact joined": sum(same) / len(same) if same else 1.0,
        "different-fact pairs": len(different),
        "different-fact apart": sum(different) / len(different) if different else 1.0,
        "near-miss pairs": len(near),
        "near misses apart": sum(near) / len(near) if near else 1.0,
        "labelled sentences": len(labelled),
        "without a claim": sum(1 for r in labelled if r not in clusters)
        / len(labelled),
    }


def same_pairs(groups: Sequence[Group]) -> list[tuple[Ref, Ref]]:
    return [
        (a, b)
        for g in groups
        for sentences in g.facts.values()
        for a, b in itertools.combinations(sorted(set(sentences)), 2)
        if a[0] != b[0]
    ]


def different_pairs(groups: Sequence[Group]) -> list[tuple[Ref, Ref]]:
    """Sentences of two different facts (or near misses) of one group, from two
    articles, that share no fact: a sentence may state several."""
    pairs: set[tuple[Ref, Ref]] = set()
    for g in groups:
        items = [*g.facts.values(), *g.near_misses]
        stated: dict[Ref, set[int]] = {}
        for number, sentences in enumerate(items):
            for ref in sentences:
                stated.setdefault(ref, set()).add(number)
        for a, b in itertools.combinations(sorted(stated), 2):
            if a[0] != b[0] and not stated[a] & stated[b]:
                pairs.add((a, b))
    return sorted(pairs)


def near_miss_pairs(groups: Sequence[Group]) -> list[tuple[Ref, Ref]]:
    """Each near miss against the fact it resembles, from two articles: the pairs
    that look most alike and must stay apart."""
    return [
        (miss, stated)
        for g in groups
        for sentences, like in zip(g.near_misses, g.like, strict=True)
        for miss in sentences
        for stated in g.facts.get(like, [])
        if miss[0] != stated[0] and miss not in g.facts.get(like, [])
    ]


def joined(a: Ref, b: Ref, clusters: dict[Ref, set[str]]) -> bool:
    return bool(clusters.get(a, set()) & clusters.get(b, set()))


def print_row(label: str, row: dict[str, float]) -> None:
    print(
        f"{label:18} same-fact joined {row['same-fact joined']:.3f}"
        f" ({row['same-fact pairs']:.0f} pairs)"
        f"  different-fact apart {row['different-fact apart']:.3f}"
        f" ({row['different-fact pairs']:.0f} pairs)"
        f"  near misses apart {row['near misses apart']:.3f}"
        f" ({row['near-miss pairs']:.0f} pairs)"
        f"  labelled sentences without a claim {row['without a claim']:.3f}"
    )


if __name__ == "__main__":
    main()
