"""Same claim or not, on the MRPC train pairs: how the corroborate score separates
paraphrases from pairs that are not, end to end (claim detection included).

    .venv/bin/python bench/same_claim.py [--limit N] [--transformer]

Each sentence is one article of its own outlet, through ingest and claims. A pair
is "same" when a claim of one side scores at or above the threshold with a claim of
the other (as the decider joins a cluster); a side with no claim never joins. The
score is ``profile.combined`` of the word part and the meaning part, so the share
of meaning and the threshold are chosen together: on four folds of the pairs, each
chosen on three and scored on the fourth (the figures printed are the held-out
folds', pooled). The settings in use are scored too, on all pairs.

``--transformer`` also scores the whole all-MiniLM-L6-v2 transformer (six layers,
run here in numpy) on the raw sentences against the static vectors the decider uses,
with each one's CPU per sentence: the evidence for choosing the static ones. It
also checks the model against the values its authors publish.

The MRPC file is read from ../shared/corpora/mrpc at run time, never copied.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from transformer import MiniLM

from pipeline.claims import extract_claims
from pipeline.corroborate.figures import read_figures
from pipeline.corroborate.meaning import cosine, meaning
from pipeline.corroborate.profile import (
    MEANING_SHARE,
    ClaimProfile,
    agreement,
    combined,
    profile,
    word_similarity,
)
from pipeline.ingest import ingest_record
from pipeline.settings import CorroborateSettings, IngestLimits
from schemas import EnrichedArticle

ROOT = Path(__file__).resolve().parents[1]
MRPC = ROOT.parent / "shared" / "corpora" / "mrpc" / "msr_paraphrase_train.txt"
FOLDS = 4
SHARES = [round(0.1 * i, 1) for i in range(6)]
THRESHOLDS = [round(0.3 + 0.02 * i, 2) for i in range(21)]


@dataclass(frozen=True)
class Pair:
    same: bool
    first: str
    second: str


@dataclass(frozen=True)
class Scored:
    """A pair's parts: (words, meaning, agreement) for every pair of claims
    across it."""

    same: bool
    parts: tuple[tuple[float, float, float], ...]  # empty: a side had no claim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="first N pairs only")
    parser.add_argument(
        "--transformer", action="store_true", help="also score the full transformer"
    )
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    args = parser.parse_args()
    pairs = read_pairs(MRPC, args.limit)
    scored = score_pairs(pairs)
    figures = report(scored)
    if args.transformer:
        figures["transformer"] = compare_transformer(pairs)
    if args.json:
        print(json.dumps(figures))


def read_pairs(path: Path, limit: int) -> list[Pair]:
    if not path.exists():
        raise SystemExit(f"{path} not found: the corpora live in ../shared/corpora")
    lines = path.read_text(encoding="utf-8-sig").splitlines()[1:]
    rows = [line.split("\t") for line in lines if line.strip()]
    pairs = [Pair(row[0] == "1", row[3], row[4]) for row in rows]
    return pairs[:limit] if limit else pairs


def score_pairs(pairs: Sequence[Pair]) -> list[Scored]:
    texts = list(dict.fromkeys(t for p in pairs for t in (p.first, p.second)))
    started = time.process_time()
    profiles = dict(zip(texts, claim_profiles(texts), strict=True))
    print(
        f"{len(pairs)} pairs, {len(texts)} sentences through ingest and claims"
        f" ({time.process_time() - started:.0f} s CPU);"
        f" {sum(1 for p in pairs if p.same)} paraphrases;"
        f" {sum(1 for p in pairs if not (profiles[p.first] and profiles[p.second]))}"
        " pairs with a side that has no claim"
    )
    return [
        Scored(
            p.same,
            tuple(
                (
                    word_similarity(a, b),
                    cosine(a.vector, b.vector) or 0.0,
                    agreement(a, b),
                )
                for a, b in itertools.product(profiles[p.first], profiles[p.second])
            ),
        )
        for p in pairs
    ]


def claim_profiles(texts: Sequence[str]) -> list[list[ClaimProfile]]:
    articles = [article_of(n, text) for n, text in enumerate(texts)]
    result = []
    for start in range(0, len(articles), 256):
        batch = articles[start : start + 256]
        for claims in extract_claims(batch):
            result.append([profile(c, read_figures(c)) for c in claims])
    return result


def article_of(number: int, text: str) -> EnrichedArticle:
    record = json.dumps({"source": f"outlet-{number}", "body": text}).encode()
    article = ingest_record(record, limits=IngestLimits())
    assert isinstance(article, EnrichedArticle), article
    return article


Predict = Callable[[Scored], bool]


def predictor(share: float, threshold: float) -> Predict:
    def joined(pair: Scored) -> bool:
        return any(
            combined(w, m, share) * agreed >= threshold for w, m, agreed in pair.parts
        )

    return joined


def counts(scored: Sequence[Scored], joined: Predict) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for pair in scored:
        hit = joined(pair)
        tp += hit and pair.same
        fp += hit and not pair.same
        fn += pair.same and not hit
    return tp, fp, fn


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def best_setting(scored: Sequence[Scored]) -> tuple[float, float]:
    return max(
        itertools.product(SHARES, THRESHOLDS),
        key=lambda st: f1(*counts(scored, predictor(*st))),
    )


def cross_validated(scored: Sequence[Scored]) -> tuple[dict[str, float], list[str]]:
    order = np.random.default_rng(0).permutation(len(scored))
    folds = [order[k::FOLDS] for k in range(FOLDS)]
    tp = fp = fn = 0
    chosen = []
    for k, held in enumerate(folds):
        train = [scored[i] for j, fold in enumerate(folds) if j != k for i in fold]
        share, threshold = best_setting(train)
        chosen.append(f"{share:.1f}/{threshold:.2f}")
        a, b, c = counts([scored[i] for i in held], predictor(share, threshold))
        tp, fp, fn = tp + a, fp + b, fn + c
    return prf(tp, fp, fn), chosen


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": precision, "recall": recall, "f1": f1(tp, fp, fn)}


def report(scored: Sequence[Scored]) -> dict[str, object]:
    """Prints each way of deciding with its figures; returns them by a short key."""
    settings = CorroborateSettings()
    cv, chosen = cross_validated(scored)
    in_use = prf(*counts(scored, predictor(MEANING_SHARE, settings.threshold)))
    rows = [
        ("always same", "always same", prf(*counts(scored, lambda p: True))),
        ("words", "words only (share 0), cross-validated", cross_words(scored)),
        (
            "cross-validated",
            f"words and meaning, cross-validated ({', '.join(chosen)})",
            cv,
        ),
        (
            "in use",
            f"in use (share {MEANING_SHARE}, threshold {settings.threshold})",
            in_use,
        ),
    ]
    print(f"{'':58} precision recall  F1")
    for _, name, row in rows:
        p, r, f = row["precision"], row["recall"], row["f1"]
        print(f"{name:58} {p:.3f}     {r:.3f}   {f:.3f}")
    return {key: row for key, _, row in rows}


def cross_words(scored: Sequence[Scored]) -> dict[str, float]:
    words_only = [
        Scored(s.same, tuple((w, 0.0, agreed) for w, _, agreed in s.parts))
        for s in scored
    ]
    return cross_validated(words_only)[0]


# The whole transformer, for comparison only: the decider does not run it.


def compare_transformer(pairs: Sequence[Pair]) -> dict[str, object]:
    model = MiniLM.load()
    check = model.encode(list(REFERENCE_TEXTS))
    cosines = check @ check.T
    print(
        "model check: cosines",
        " ".join(f"{cosines[i, j]:.4f}" for i, j in REFERENCE_PAIRS),
        "(published: 0.6660 0.1046 0.1411)",
    )
    firsts, seconds = [p.first for p in pairs], [p.second for p in pairs]
    started = time.process_time()
    full = np.vstack(
        [model.encode(list(firsts[i : i + 32])) for i in range(0, len(firsts), 32)]
    )
    other = np.vstack(
        [model.encode(list(seconds[i : i + 32])) for i in range(0, len(seconds), 32)]
    )
    full_cpu = (time.process_time() - started) / (2 * len(pairs))
    started = time.process_time()
    vectors = [(meaning().vector(p.first), meaning().vector(p.second)) for p in pairs]
    static_cpu = (time.process_time() - started) / (2 * len(pairs))
    results: dict[str, object] = {}
    for name, sims, cpu in (
        ("transformer", (full * other).sum(axis=1), full_cpu),
        ("static", np.array([float(np.dot(a, b)) for a, b in vectors]), static_cpu),
    ):
        sentence_level = [
            Scored(p.same, ((0.0, float(s), 1.0),))
            for p, s in zip(pairs, sims, strict=True)
        ]
        row, _ = cross_validated(sentence_level)
        print(
            f"sentences, {name:11}: F1 {row['f1']:.3f}"
            f" (precision {row['precision']:.3f}, recall {row['recall']:.3f}),"
            f" {cpu * 1000:.3f} ms CPU per sentence"
        )
        results[name] = {**row, "cpu_ms": cpu * 1000}
    return results


def encoded(model: MiniLM, texts: list[str]) -> np.ndarray:
    return np.vstack(
        [model.encode(texts[i : i + 32]) for i in range(0, len(texts), 32)]
    )


REFERENCE_TEXTS = (
    "The weather is lovely today.",
    "It's so sunny outside!",
    "He drove to the stadium.",
)
REFERENCE_PAIRS = ((0, 1), (0, 2), (1, 2))


if __name__ == "__main__":
    main()
