"""How much a first pass that skips sentences could save the claims stage.

Ingests BBC News articles (``../shared/corpora/bbc-news``, read at run time, a fixed
shuffle of every category), runs the claims stage over them in this process, and
prints how many candidate sentences (those the text filter sends to the parser)
yield a claim, and the stage's CPU time: spaCy's syntax pass, its entity pass, and
the claim rules.

    .venv/bin/python bench/parse_share.py [--articles 300]
"""

from __future__ import annotations

import argparse
import random
import time

from label_sentences import BBC

from pipeline.claims.candidates import is_candidate
from pipeline.claims.parse import add_entities, parse_syntax
from pipeline.claims.stage import extract_claims
from pipeline.clients.corpus import plan
from pipeline.ingest import ingest_record
from pipeline.nlp import load_models
from pipeline.settings import Settings
from schemas import EnrichedArticle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    options = parser.parse_args()
    files = sorted(BBC.glob("*/*.txt"))
    random.Random(1).shuffle(files)
    settings = Settings()
    articles = []
    for path in files[: options.articles]:
        [record] = list(plan([path]))
        article = ingest_record(record.value, limits=settings.ingest)
        if isinstance(article, EnrichedArticle):
            articles.append(article)
    load_models()
    texts = [s.text for a in articles for s in a.sentences if is_candidate(s)]
    started = time.process_time()
    claims = extract_claims(articles)
    stage_s = time.process_time() - started
    started = time.process_time()
    docs = parse_syntax(texts)
    syntax_s = time.process_time() - started
    started = time.process_time()
    add_entities(docs)
    entities_s = time.process_time() - started
    yielding = sum(len({c.sentence_index for c in found}) for found in claims)
    print(
        f"{len(articles)} articles, {len(texts)} candidate sentences,"
        f" {yielding} of them with a claim ({yielding / len(texts):.0%});"
        f" a first pass could skip at most {1 - yielding / len(texts):.0%} of them"
    )
    rules_s = max(0.0, stage_s - syntax_s - entities_s)
    print(
        f"claims stage {stage_s:.1f} s CPU: spaCy syntax {syntax_s:.1f} s"
        f" ({syntax_s / stage_s:.0%}), entities on every candidate {entities_s:.1f} s"
        f" ({entities_s / stage_s:.0%}; the stage tags fewer), rules and the rest"
        f" about {rules_s:.1f} s ({rules_s / stage_s:.0%})"
    )


if __name__ == "__main__":
    main()
