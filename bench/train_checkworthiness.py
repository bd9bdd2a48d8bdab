"""Fit the check-worthiness model's coefficients on CheckThat! 2024 (English).

Reads ../shared/corpora/checkthat2024 at run time (never copied into the repo),
parses every sentence with the stage's own spaCy pipeline, computes
``checkworthiness_features``, fits an L2-regularised logistic regression on *train*
with Newton steps (plain numpy), picks the threshold that maximises F1 of the Yes
class on *dev*, and prints the constants to paste into
``pipeline/claims/checkworthiness.py``.

    .venv/bin/python bench/train_checkworthiness.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pipeline.claims.checkworthiness import FEATURE_NAMES, checkworthiness_features
from pipeline.claims.model import load_model

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "checkthat2024"
L2 = 1.0
NEWTON_STEPS = 25


def read_split(name: str) -> tuple[list[str], NDArray[np.float64]]:
    """Sentences and 0/1 labels of one split."""
    csv.field_size_limit(sys.maxsize)
    with (CORPUS / f"ct24_{name}.tsv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))
    texts = [row["Text"] for row in rows]
    labels = np.array([row["class_label"].strip() == "Yes" for row in rows], float)
    return texts, labels


def features(texts: list[str]) -> NDArray[np.float64]:
    """One row of features per sentence, computed as the stage computes them."""
    docs = load_model().pipe(texts, batch_size=512)
    return np.array([checkworthiness_features(doc[:]) for doc in docs], float)


def fit(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Logistic regression weights (intercept first) by Newton's method."""
    design = np.hstack([np.ones((len(x), 1)), x])
    weights = np.zeros(design.shape[1])
    penalty = L2 * np.eye(design.shape[1])
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + penalty @ weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        weights -= np.linalg.solve(hessian, gradient)
    return weights


def predict(
    weights: NDArray[np.float64], x: NDArray[np.float64]
) -> NDArray[np.float64]:
    scores: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-(weights[0] + x @ weights[1:])))
    return scores


def f1(scores: NDArray[np.float64], y: NDArray[np.float64], threshold: float) -> float:
    predicted = scores >= threshold
    tp = float(np.sum(predicted & (y == 1)))
    if tp == 0:
        return 0.0
    precision, recall = tp / predicted.sum(), tp / y.sum()
    return float(2 * precision * recall / (precision + recall))


def best_threshold(scores: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    grid = np.round(np.arange(0.05, 0.95, 0.01), 2)
    return float(max(grid, key=lambda t: f1(scores, y, float(t))))


def main() -> None:
    train_texts, train_y = read_split("train")
    dev_texts, dev_y = read_split("dev")
    weights = fit(features(train_texts), train_y)
    dev_scores = predict(weights, features(dev_texts))
    threshold = best_threshold(dev_scores, dev_y)
    print(f"dev F1 {f1(dev_scores, dev_y, threshold):.3f} at threshold {threshold}")
    print(f"INTERCEPT = {weights[0]:.4f}")
    print("COEFFICIENTS = (")
    for name, weight in zip(FEATURE_NAMES, weights[1:], strict=True):
        print(f"    {weight:.4f},  # {name}")
    print(")")
    print(f"THRESHOLD = {threshold}")


if __name__ == "__main__":
    main()
