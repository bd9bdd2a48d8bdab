"""Fit the check-worthiness model on CheckThat! 2024 (English) and write its weights.

Reads ../shared/corpora/checkthat2024 at run time (never copied into the repo) and
parses every sentence with the stage's own spaCy pipeline. The model is a logistic
regression (L2-regularised, Newton steps, plain numpy) over two kinds of input:

- the interpretable ``checkworthiness_features`` (figures, names, person, tense...);
- presence of words and word pairs (lower-cased forms, see ``clause_terms``): the
  terms of *train* that most clearly lean to one class (largest z-score of their
  smoothed log odds ratio), which keeps the table small enough to read and the
  Newton steps cheap.

The model is fitted on *train* and *dev* pooled; the number of terms, the penalty
and the decision threshold (maximum F1 of the Yes class) are chosen by
``FOLDS``-fold cross-validation on that pool, terms ranked inside each fold. Dev
alone was too small and too easy to pick a threshold on: chosen there, the
threshold sat high and dev-test recall paid for it. *dev-test* is never read here:
``bench/claims.py`` only reports it. The script writes
``pipeline/claims/checkworthiness_weights.py``; re-run it to refit.

    .venv/bin/python bench/train_checkworthiness.py
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pipeline.claims.checkworthiness import (
    FEATURE_NAMES,
    checkworthiness_features,
    clause_terms,
)
from pipeline.claims.model import load_model

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "checkthat2024"
OUTPUT = ROOT / "pipeline" / "claims" / "checkworthiness_weights.py"
#: A term must occur in this many train sentences to be a candidate.
MIN_COUNT = 5
NEWTON_STEPS = 15
#: Cross-validation folds over train + dev; rows are dealt to folds in turn.
FOLDS = 4
#: Candidates tried by cross-validation: (number of terms kept, L2 penalty).
GRID = [(terms, l2) for terms in (150, 300, 600) for l2 in (3.0, 10.0, 30.0)]

Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class Split:
    dense: Matrix
    terms: list[frozenset[str]]
    labels: Matrix


@dataclass(frozen=True)
class Model:
    weights: Matrix  # intercept, dense coefficients, then one weight per term
    vocabulary: list[str]
    l2: float


def read_split(name: str) -> Split:
    """Parsed features and 0/1 labels of one split."""
    csv.field_size_limit(sys.maxsize)
    with (CORPUS / f"ct24_{name}.tsv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))
    docs = list(load_model().pipe([row["Text"] for row in rows], batch_size=512))
    dense = np.array([checkworthiness_features(doc[:]) for doc in docs], float)
    labels = np.array([row["class_label"].strip() == "Yes" for row in rows], float)
    return Split(dense, [clause_terms(doc[:]) for doc in docs], labels)


def pooled(first: Split, second: Split) -> Split:
    """Two splits as one."""
    return Split(
        np.vstack([first.dense, second.dense]),
        [*first.terms, *second.terms],
        np.concatenate([first.labels, second.labels]),
    )


def subset(split: Split, rows: Matrix) -> Split:
    """The given rows (a boolean mask) of a split."""
    terms = [t for t, keep in zip(split.terms, rows, strict=True) if keep]
    return Split(split.dense[rows], terms, split.labels[rows])


def cross_validated(split: Split, terms: int, l2: float) -> Matrix:
    """Out-of-fold scores: each row scored by a model that never saw it."""
    fold = np.arange(len(split.labels)) % FOLDS
    scores = np.zeros(len(split.labels))
    for k in range(FOLDS):
        held, rest = subset(split, fold == k), subset(split, fold != k)
        model = fit_model(rest, ranked_terms(rest), terms, l2)
        scores[fold == k] = predict(model, held)
    return scores


def design(split: Split, vocabulary: Sequence[str]) -> Matrix:
    """Intercept column, dense features, then 0/1 presence of each term."""
    index = {term: i for i, term in enumerate(vocabulary)}
    presence = np.zeros((len(split.terms), len(vocabulary)))
    for row, terms in enumerate(split.terms):
        for term in terms:
            if (column := index.get(term)) is not None:
                presence[row, column] = 1.0
    return np.hstack([np.ones((len(presence), 1)), split.dense, presence])


def fit(x: Matrix, y: Matrix, l2: float) -> Matrix:
    """Logistic regression weights (intercept first) by Newton's method."""
    weights = np.zeros(x.shape[1])
    penalty = l2 * np.eye(x.shape[1])
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-x @ weights))
        gradient = x.T @ (p - y) + penalty @ weights
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty
        weights -= np.linalg.solve(hessian, gradient)
    return weights


def fit_model(train: Split, ranked: list[str], terms: int, l2: float) -> Model:
    """Fit on the ``terms`` best-ranked terms."""
    kept = sorted(ranked[:terms])
    return Model(fit(design(train, kept), train.labels, l2), kept, l2)


def predict(model: Model, split: Split) -> Matrix:
    scores: Matrix = 1.0 / (
        1.0 + np.exp(-design(split, model.vocabulary) @ model.weights)
    )
    return scores


def f1(scores: Matrix, y: Matrix, threshold: float) -> float:
    predicted = scores >= threshold
    tp = float(np.sum(predicted & (y == 1)))
    if tp == 0:
        return 0.0
    precision, recall = tp / predicted.sum(), tp / y.sum()
    return float(2 * precision * recall / (precision + recall))


def best_threshold(scores: Matrix, y: Matrix) -> tuple[float, float]:
    """The threshold with the best F1 on these scores, and that F1."""
    grid = [float(t) for t in np.round(np.arange(0.05, 0.95, 0.01), 2)]
    threshold = max(grid, key=lambda t: f1(scores, y, t))
    return threshold, f1(scores, y, threshold)


def ranked_terms(train: Split) -> list[str]:
    """Terms seen ``MIN_COUNT`` times, most clearly one-sided first: z-score of the
    log odds ratio (Yes against No sentences), with half a count of smoothing."""
    yes = Counter(
        t
        for terms, y in zip(train.terms, train.labels, strict=True)
        if y
        for t in terms
    )
    no = Counter(
        t
        for terms, y in zip(train.terms, train.labels, strict=True)
        if not y
        for t in terms
    )
    total_yes, total_no = float(train.labels.sum()), float(len(train.labels))
    total_no -= total_yes

    def z(term: str) -> float:
        a, b = yes[term] + 0.5, no[term] + 0.5
        c, d = total_yes - yes[term] + 0.5, total_no - no[term] + 0.5
        return abs(np.log(a * d / (b * c))) / np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)

    frequent = [t for t in yes.keys() | no.keys() if yes[t] + no[t] >= MIN_COUNT]
    return sorted(frequent, key=lambda t: (-z(t), t))


def weights_module(model: Model, threshold: float, cv_f1: float) -> str:
    """The text of ``checkworthiness_weights.py``."""
    dense = model.weights[1 : 1 + len(FEATURE_NAMES)]
    terms = model.weights[1 + len(FEATURE_NAMES) :]
    lines = [
        '"""Check-worthiness weights. Generated by bench/train_checkworthiness.py;',
        "do not edit: re-run the script to refit.",
        "",
        f"Fitted on ct24_train.tsv + ct24_dev.tsv (L2 {model.l2}, {len(terms)} terms);",
        f"THRESHOLD maximises F1 of the Yes class over {FOLDS}-fold cross-validation",
        f"on that pool (F1 {cv_f1:.3f}).",
        '"""',
        "",
        f"INTERCEPT = {model.weights[0]:.4f}",
        "#: One per ``FEATURE_NAMES``, in order.",
        "COEFFICIENTS = (",
        *(
            f"    {w:.4f},  # {name}"
            for name, w in zip(FEATURE_NAMES, dense, strict=True)
        ),
        ")",
        "#: Added to the logit when the clause holds the word or word pair.",
        "TERM_WEIGHTS: dict[str, float] = {",
        *(
            f"    {json.dumps(term)}: {w:.4f},"
            for term, w in zip(model.vocabulary, terms, strict=True)
        ),
        "}",
        f"THRESHOLD = {threshold}",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    data = pooled(read_split("train"), read_split("dev"))
    best: tuple[float, float, int, float] | None = None
    for terms, l2 in GRID:
        scores = cross_validated(data, terms, l2)
        threshold, cv_f1 = best_threshold(scores, data.labels)
        print(f"terms {terms:4d}  L2 {l2:5.1f}  CV F1 {cv_f1:.3f} at {threshold}")
        if best is None or cv_f1 > best[1]:
            best = (threshold, cv_f1, terms, l2)
    assert best is not None
    threshold, cv_f1, terms, l2 = best
    model = fit_model(data, ranked_terms(data), terms, l2)
    OUTPUT.write_text(weights_module(model, threshold, cv_f1), encoding="utf-8")
    ruff = Path(sys.executable).with_name("ruff")
    subprocess.run([str(ruff), "format", "--quiet", str(OUTPUT)], check=True)
    print(f"wrote {OUTPUT.relative_to(ROOT)}: CV F1 {cv_f1:.3f} at {threshold}")


if __name__ == "__main__":
    main()
