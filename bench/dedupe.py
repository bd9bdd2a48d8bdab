"""Dedupe quality against brute-force Jaccard, and its speed as the index grows.

Reads the article bodies of ../shared/corpora/article-extraction-benchmark
(``ground-truth.json``: id -> articleBody); nothing is copied into the repository.

    .venv/bin/python bench/dedupe.py [--corpus DIR] [--docs N] [--probes N]

Quality: every body is paired with edited copies of itself (word substitutions,
deletions and insertions at a per-word rate, plus paragraph swaps) and with unrelated
bodies. Original and copy go through ingest (``ingest_article``, plain text) and then
the dedupe stage (``fingerprint`` + ``DedupeIndex.decide``, original first), each pair
in a fresh index, so every verdict is about that pair alone. The truth is the Jaccard
of the two articles' 5-word shingle sets (the non-boilerplate words the stage sees),
computed with Python sets. A pair counts as flagged when the copy is judged an exact
or near duplicate of its original. Precision and recall are over the clear pairs:
true Jaccard >= 0.85 (should be flagged) or <= 0.75 (should not).

Speed: fingerprints per second on the corpus; then an index is filled with N
synthetic articles (corpus sentences sampled, shuffled and reworded, so no two are
alike) and, at 1k, 10k and 100k articles, a set of probes (half near copies of
indexed articles, half new ones) is fingerprinted and decided one at a time.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import json
import random
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from measure import peak_rss_mb, quantile

from pipeline.dedupe import DedupeIndex, fingerprint
from pipeline.dedupe.fingerprint import words
from pipeline.dedupe.minhash import estimate_jaccard
from pipeline.ingest import ingest_article, load_identifier
from pipeline.ingest.normalise import normalise_text
from pipeline.ingest.sentences import split_sentences
from pipeline.rejection import Rejection
from pipeline.settings import DedupeSettings, IngestLimits
from pipeline.state import OrderedKeys
from schemas import EnrichedArticle, RawArticle, Sentence
from schemas.dedupe import DedupeRequest

DEFAULT_CORPUS = (
    Path(__file__).resolve().parents[2] / "shared/corpora/article-extraction-benchmark"
)
SETTINGS = DedupeSettings()
LIMITS = IngestLimits()
EDIT_RATES = (0.005, 0.01, 0.02, 0.03, 0.05, 0.10, 0.20, 0.40)
COPIES_PER_RATE = 2
CLEAR_ABOVE, CLEAR_BELOW = 0.85, 0.75
BANDS = (0.0, 0.5, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
CHECKPOINTS = (1_000, 10_000, 100_000)
SEEN_AT = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Pair:
    """One original and one other article, with the truth and the stage's verdict."""

    label: str
    truth: float
    estimate: float
    flagged: bool


# Quality


def load_bodies(corpus: Path) -> list[str]:
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    return [truth[key]["articleBody"] for key in sorted(truth)]


def ingest(body: str, article_id: str) -> EnrichedArticle | None:
    raw = RawArticle(article_id=article_id, source="bench", body=body)
    result = ingest_article(raw, limits=LIMITS)
    return None if isinstance(result, Rejection) else result


def content_words(article: EnrichedArticle) -> list[str]:
    return [w for s in article.sentences if not s.boilerplate for w in words(s.text)]


def shingle_set(article: EnrichedArticle) -> set[tuple[str, ...]]:
    tokens = content_words(article)
    size = min(SETTINGS.shingle_words, len(tokens))
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def true_jaccard(first: EnrichedArticle, second: EnrichedArticle) -> float | None:
    a, b = shingle_set(first), shingle_set(second)
    return len(a & b) / len(a | b) if a | b else None


def edited(body: str, rate: float, rng: random.Random, vocabulary: list[str]) -> str:
    """``body`` with each word substituted, deleted or followed by an inserted word
    with probability ``rate``, and two paragraphs swapped now and then."""
    lines = [_edit_line(line, rate, rng, vocabulary) for line in body.split("\n")]
    if len(lines) > 1 and rng.random() < min(1.0, rate * 5):
        i, j = rng.sample(range(len(lines)), 2)
        lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def _edit_line(
    line: str, rate: float, rng: random.Random, vocabulary: list[str]
) -> str:
    out: list[str] = []
    for word in line.split(" "):
        if rng.random() >= rate:
            out.append(word)
            continue
        operation = rng.randrange(3)
        if operation == 0:
            out.append(rng.choice(vocabulary))
        elif operation == 2:
            out += [word, rng.choice(vocabulary)]
    return " ".join(out)


def judge_pair(
    original: EnrichedArticle, other: EnrichedArticle, label: str
) -> Pair | None:
    truth = true_jaccard(original, other)
    if truth is None:
        return None
    index = DedupeIndex({}, OrderedKeys(), settings=SETTINGS)
    requests = [
        DedupeRequest(article=a, fingerprint=fingerprint(a, settings=SETTINGS))
        for a in (original, other)
    ]
    index.decide(requests[0], seen_at=SEEN_AT)
    verdict = index.decide(requests[1], seen_at=SEEN_AT).duplicate
    flagged = verdict.kind is not None and verdict.of == original.article_id
    signatures = [np.asarray(r.fingerprint.signature, np.uint64) for r in requests]
    return Pair(label, truth, estimate_jaccard(*signatures), flagged)


def quality_pairs(bodies: list[str], seed: int) -> Iterator[Pair]:
    rng = random.Random(seed)
    vocabulary = [w for body in bodies for w in body.split()]
    originals = [ingest(body, f"doc{n}") for n, body in enumerate(bodies)]
    for n, (body, original) in enumerate(zip(bodies, originals, strict=True)):
        if original is None:
            continue
        for rate in EDIT_RATES:
            for copy in range(COPIES_PER_RATE):
                other = ingest(edited(body, rate, rng, vocabulary), f"doc{n}-{copy}")
                pair = other and judge_pair(original, other, f"edit {rate:.1%}")
                if pair:
                    yield pair
        for step in (1, 7):
            other = originals[(n + step) % len(bodies)]
            pair = other and judge_pair(original, other, "unrelated")
            if pair:
                yield pair


def print_quality(pairs: list[Pair]) -> None:
    clear = [p for p in pairs if p.truth >= CLEAR_ABOVE or p.truth <= CLEAR_BELOW]
    positive = [p for p in clear if p.truth >= CLEAR_ABOVE]
    flagged = [p for p in clear if p.flagged]
    right = [p for p in flagged if p.truth >= CLEAR_ABOVE]
    precision = len(right) / len(flagged) if flagged else 1.0
    recall = len(right) / len(positive) if positive else 1.0
    errors = sorted(abs(p.estimate - p.truth) for p in pairs)
    print(f"\n{len(pairs)} pairs; {len(clear)} clear ({len(positive)} positive)")
    print(
        f"precision {precision:.4f}  recall {recall:.4f}  (clear pairs: "
        f"{len(right)} right, {len(flagged) - len(right)} wrongly flagged, "
        f"{len(positive) - len(right)} missed)"
    )
    print(
        f"|estimate - true Jaccard|: mean {statistics.fmean(errors):.4f}, "
        f"95th percentile {errors[int(0.95 * (len(errors) - 1))]:.4f}"
    )
    print("\n| true Jaccard | pairs | flagged | flagged % |")
    print("|---|---:|---:|---:|")
    for low, high in itertools.pairwise(BANDS):
        inside = [p for p in pairs if low <= p.truth < high or p.truth == high == 1.0]
        hits = sum(p.flagged for p in inside)
        share = f"{hits / len(inside):.1%}" if inside else "-"
        print(
            f"| [{low:.2f}, {high:.2f}{']' if high == 1.0 else ')'} "
            f"| {len(inside)} | {hits} | {share} |"
        )
    print_by_edit_rate(pairs)


def print_by_edit_rate(pairs: list[Pair]) -> None:
    print("\n| pairs made by | pairs | mean true Jaccard | flagged % |")
    print("|---|---:|---:|---:|")
    for label in dict.fromkeys(p.label for p in pairs):
        group = [p for p in pairs if p.label == label]
        mean = statistics.fmean(p.truth for p in group)
        share = sum(p.flagged for p in group) / len(group)
        print(f"| {label} | {len(group)} | {mean:.3f} | {share:.1%} |")


# Speed


def fingerprint_rate(articles: list[EnrichedArticle]) -> None:
    typical = [a for a in articles if 500 <= len(content_words(a)) <= 700]
    mean_words = statistics.fmean(len(content_words(a)) for a in articles)
    print(
        f"\nfingerprints/s, one core: {_rate(articles):,.0f} on the corpus (mean "
        f"{mean_words:.0f} content words); {_rate(typical, rounds=20):,.0f} on its "
        f"{len(typical)} articles of 500-700 content words"
    )


def _rate(articles: list[EnrichedArticle], *, rounds: int = 5) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for article in articles:
            fingerprint(article, settings=SETTINGS)
    return rounds * len(articles) / (time.perf_counter() - started)


class SyntheticCorpus:
    """Deterministic distinct articles made of reworded corpus sentences."""

    def __init__(self, bodies: list[str]) -> None:
        self.sentences = [s for body in bodies for s in _sentences_of(body)]
        self.vocabulary = [w for s in self.sentences for w in s.split()]

    def text(self, number: int) -> str:
        rng = random.Random(number)
        lines, count = [], 0
        while count < 600:
            sentence = rng.choice(self.sentences).split()
            lines.append(" ".join(self._reword(sentence, rng)))
            count += len(sentence)
        return "\n".join(lines)

    def near_copy(self, number: int) -> str:
        rng = random.Random(-number)
        return edited(self.text(number), 0.01, rng, self.vocabulary)

    def _reword(self, sentence: list[str], rng: random.Random) -> Iterator[str]:
        for word in sentence:
            yield rng.choice(self.vocabulary) if rng.random() < 0.15 else word


def _sentences_of(body: str) -> Iterator[str]:
    text = normalise_text(body)
    for span in split_sentences(text, max_sentences=10_000, max_sentence_chars=2_000):
        yield text[span.start : span.end]


def plain_article(text: str, article_id: str) -> EnrichedArticle:
    """An article with one sentence per line, built without ingest (it is the
    dedupe stage being timed, and ingest would dominate)."""
    sentences, start = [], 0
    for index, line in enumerate(text.split("\n")):
        sentences.append(
            Sentence(index=index, text=line, start=start, end=start + len(line))
        )
        start += len(line) + 1
    return EnrichedArticle(
        article_id=article_id,
        source="bench",
        text=text,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        sentences=tuple(sentences),
    )


@dataclass(frozen=True)
class Checkpoint:
    """Speed figures for an index of ``size`` articles."""

    size: int
    fill_rate: float  # articles/s since the previous checkpoint, GC included
    full_gc_s: float  # one full collection of the process's heap
    decide: list[float]
    total: list[float]  # fingerprint + decide
    found: str


def fill_and_probe(corpus: SyntheticCorpus, docs: int, probes: int) -> None:
    state: dict[str, object] = {}
    index = DedupeIndex(state, OrderedKeys(), settings=SETTINGS)
    rss_before = peak_rss_mb()
    rows, filled = [], 0
    for target in sorted({c for c in CHECKPOINTS if c < docs} | {docs}):
        rate = fill(index, corpus, filled, target)
        filled = target
        rows.append(checkpoint(index, corpus, target, probes, rate))
    grown = peak_rss_mb() - rss_before
    print(
        f"\nindex of {filled:,} articles: {len(state):,} state keys, "
        f"peak RSS grew {grown:,.0f} MB while filling (~{grown * 1024 / filled:.1f}"
        " KB per article, dict stores)"
    )
    print_speed(rows)


def fill(index: DedupeIndex, corpus: SyntheticCorpus, start: int, stop: int) -> float:
    """Index articles ``start`` to ``stop``; returns articles per second (synthesis,
    fingerprint and decide, with the garbage collector running as usual)."""
    started = time.perf_counter()
    for number in range(start, stop):
        article = plain_article(corpus.text(number), f"doc{number}")
        request = DedupeRequest(
            article=article, fingerprint=fingerprint(article, settings=SETTINGS)
        )
        index.decide(request, seen_at=SEEN_AT + timedelta(seconds=number))
        if (number + 1) % 10_000 == 0:
            print(f"  indexed {number + 1:,} articles", flush=True)
    return (stop - start) / (time.perf_counter() - started)


def checkpoint(
    index: DedupeIndex, corpus: SyntheticCorpus, size: int, probes: int, rate: float
) -> Checkpoint:
    """Probe timings with the heap frozen: a full collection of millions of dict-store
    objects would land on whichever probe triggers it (timed separately here)."""
    started = time.perf_counter()
    gc.collect()
    full_gc_s = time.perf_counter() - started
    gc.freeze()
    try:
        decide, total, found = probe(index, corpus, size, probes)
    finally:
        gc.unfreeze()
    return Checkpoint(size, rate, full_gc_s, decide, total, found)


def print_speed(rows: list[Checkpoint]) -> None:
    print(
        "\n| articles indexed | decide mean | decide p50 | decide p99 "
        "| fingerprint+decide mean | near copies found | fill rate (GC on) "
        "| one full GC |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row.size:,} | {_us(statistics.fmean(row.decide))} "
            f"| {_us(quantile(row.decide, 0.5, above=True))} "
            f"| {_us(quantile(row.decide, 0.99, above=True))} "
            f"| {_us(statistics.fmean(row.total))} | {row.found} "
            f"| {row.fill_rate:,.0f}/s | {row.full_gc_s:.2f} s |"
        )


def probe(
    index: DedupeIndex, corpus: SyntheticCorpus, size: int, probes: int
) -> tuple[list[float], list[float], str]:
    """Time ``probes`` articles: even ones near copies of indexed ones, odd ones new."""
    rng = random.Random(size)
    decide_times, total_times, found, copies = [], [], 0, 0
    for n in range(probes):
        if n % 2 == 0:
            text, copies = corpus.near_copy(rng.randrange(size)), copies + 1
        else:
            text = corpus.text(10_000_000 + size + n)
        article = plain_article(text, f"probe{size}-{n}")
        started = time.perf_counter()
        request = DedupeRequest(
            article=article, fingerprint=fingerprint(article, settings=SETTINGS)
        )
        decided_at = time.perf_counter()
        verdict = index.decide(request, seen_at=SEEN_AT + timedelta(seconds=size))
        finished = time.perf_counter()
        decide_times.append(finished - decided_at)
        total_times.append(finished - started)
        found += verdict.duplicate.kind is not None
    return decide_times, total_times, f"{found}/{copies}"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def main() -> None:
    """Print dedupe quality and speed figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=CHECKPOINTS[-1])
    parser.add_argument("--probes", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    load_identifier()
    bodies = load_bodies(args.corpus)
    print(f"{len(bodies)} bodies from {args.corpus}")
    print(f"settings: {SETTINGS.model_dump()} (num_perm {SETTINGS.num_perm})")
    print("each pair decided in a fresh index (original first, then the other)")
    pairs = list(quality_pairs(bodies, args.seed))
    print_quality(pairs)
    articles = [a for n, b in enumerate(bodies) if (a := ingest(b, f"doc{n}"))]
    fingerprint_rate(articles)
    print(f"\nfilling an index with {args.docs:,} synthetic articles")
    fill_and_probe(SyntheticCorpus(bodies), args.docs, args.probes)
    print(f"\npeak RSS: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
