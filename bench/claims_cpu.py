"""The claims stage's CPU time per article on real news, one process.

Ingests BBC News business articles (``../shared/corpora/bbc-news``, read at run
time), then times ``claims_records`` over all of them, best of three, in CPU
seconds of this process. Run it at two commits to compare a change's cost:

    .venv/bin/python bench/claims_cpu.py [--articles 120]
"""

from __future__ import annotations

import argparse
import time

from label_sentences import BBC

from pipeline.claims.record import claims_records
from pipeline.clients.corpus import plan
from pipeline.codec import encode
from pipeline.ingest import ingest_record
from pipeline.nlp import load_models
from pipeline.settings import Settings

BUSINESS = BBC / "business"
ROUNDS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=120)
    args = parser.parse_args()
    load_models()
    files = sorted(BUSINESS.glob("*.txt"))[: args.articles]
    limits = Settings().ingest
    values = [encode(ingest_record(r.value, limits=limits)) for r in plan(files)]
    claims_records(values[:10])  # the first parse loads what spaCy loads lazily
    best = min(_cpu_seconds(values) for _ in range(ROUNDS))
    print(
        f"claims stage: {best / len(values) * 1000:.1f} ms CPU per article "
        f"({len(values)} BBC business articles, best of {ROUNDS})"
    )


def _cpu_seconds(values: list[bytes]) -> float:
    started = time.process_time()
    claims_records(values)
    return time.process_time() - started


if __name__ == "__main__":
    main()
