"""Figure comparisons on real news, printed to be read.

    .venv/bin/python bench/comparisons_bbc.py [--show 60] [--seed 1] [--json]

Every BBC article labelled for stories or facts (bench/labels/bbc-stories/ and
bench/labels/bbc-story-events/) goes through ingest, dedupe, claims and corroborate
as an outlet of its own, in file order. Printed: how many comparisons of each
relation, how many compare two figures of one sentence (a currency conversion) or
of a sentence and its repeat (both must be none), and ``--show`` comparisons drawn
at random, each with the two claims, for a reader to judge whether comparing them
makes sense and whether the relation is right.

The corpus is read from ../shared/corpora/bbc-news at run time, never copied.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter

from stories_bbc import SEEN_AT, claimed
from stories_events import FOLDERS, read_articles, read_labels

from pipeline.corroborate import CorroborateSettings, Corroborator
from pipeline.state import OrderedKeys
from schemas import Claim
from schemas.corroborate import FigureComparison


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=60, help="comparisons to print")
    parser.add_argument("--seed", type=int, default=1, help="which ones to print")
    parser.add_argument("--json", action="store_true", help="print counts as JSON last")
    args = parser.parse_args()
    articles = claimed(read_articles(sorted(read_labels(FOLDERS))))
    corroborator = Corroborator({}, OrderedKeys(), settings=CorroborateSettings())
    claims: dict[str, Claim] = {}
    comparisons: list[FigureComparison] = []
    for name in sorted(articles):
        result = corroborator.corroborate(articles[name], seen_at=SEEN_AT)
        claims.update((c.claim_id, c) for c in result.article.claims)
        comparisons += result.comparisons
    counts = Counter(c.relation for c in comparisons)
    print(
        f"{len(comparisons)} comparisons over {len(articles)} articles: {dict(counts)}"
    )
    one_sentence = [c for c in comparisons if c.first.claim_id == c.second.claim_id]
    repeats = [
        c
        for c in comparisons
        if claims[c.first.claim_id].text == claims[c.second.claim_id].text
        and c.first.article_id == c.second.article_id
    ]
    print(
        f"within one sentence: {len(one_sentence)}; a sentence and its repeat: "
        f"{len(repeats)}"
    )
    shown = random.Random(args.seed).sample(
        comparisons, min(args.show, len(comparisons))
    )
    for number, c in enumerate(shown, 1):
        print(
            f"\n{number}. {c.relation} ({c.counted}, ratio {c.ratio}): {c.explanation}"
        )
        print(f"   [{c.first.source}] {claims[c.first.claim_id].text}")
        print(f"   [{c.second.source}] {claims[c.second.claim_id].text}")
    if args.json:
        figures = {
            "comparisons": len(comparisons),
            **{f"relation {r}": n for r, n in sorted(counts.items())},
            "within one sentence": len(one_sentence),
            "a sentence and its repeat": len(repeats),
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
