"""Figures for the claims stage, against data that no one here wrote.

- Check-worthiness F1 (Yes class) on CheckThat! 2024 dev-test, at the threshold the
  training script chose by cross-validation on train + dev: the score alone, and the
  stage (claim filter, then score) with each sentence as a one-sentence article.
- Speaker precision / recall and cue recall on PolNeAR dev: a predicted speaker is
  right when its span overlaps a gold Source span; a gold source (cue) is found when
  a predicted speaker (cue) span overlaps it. Only sentences the stage would parse
  are searched; gold attributions anywhere count in the denominator. Twice: for the
  stage's one speaker per clause (``find_attribution``), and for every attribution
  ``attributions`` lists, as the corpus counts nested ones too.
- Sentences per second of ``extract_claims`` on one core (CPU affinity and BLAS
  threads pinned to 1), on the seeds and on CheckThat! sentences.

Reads ../shared/corpora at run time; never copies it.

    .venv/bin/python bench/claims.py
    .venv/bin/python bench/claims.py --polnear-only --misses 40
"""

# The imports wait for the thread caps below: BLAS reads them when numpy loads.
# ruff: noqa: E402

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # before numpy loads: one core means one thread

import argparse
import csv
import hashlib
import json
import random
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.claims import extract_claims, load_model
from pipeline.claims.attribution import (
    Attribution,
    attributions,
    find_attribution,
)
from pipeline.claims.candidates import could_be_claim
from pipeline.claims.checkworthiness import THRESHOLD, score
from pipeline.claims.model import MODEL_NAME
from pipeline.ingest import ingest_record
from pipeline.ingest.sentences import split_sentences
from pipeline.settings import IngestLimits
from schemas import EnrichedArticle, Sentence

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
CHECKTHAT = CORPORA / "checkthat2024"
POLNEAR = CORPORA / "polnear" / "dev"
_CURLY = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


def article_of(texts: Sequence[str], name: str) -> EnrichedArticle:
    """An article whose sentences are the given texts, one per line."""
    text = "\n".join(texts)
    sentences, start = [], 0
    for index, sentence in enumerate(texts):
        end = start + len(sentence)
        sentences.append(Sentence(index=index, text=sentence, start=start, end=end))
        start = end + 1
    digest = hashlib.sha256(text.encode()).hexdigest()
    return EnrichedArticle(
        article_id=digest[:24],
        source=name,
        text=text,
        content_hash=digest,
        sentences=tuple(sentences),
    )


# --- CheckThat! ------------------------------------------------------------------


def read_checkthat(split: str) -> tuple[list[str], list[bool]]:
    csv.field_size_limit(sys.maxsize)
    path = CHECKTHAT / f"ct24_{split}.tsv"
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))
    return [r["Text"] for r in rows], [r["class_label"].strip() == "Yes" for r in rows]


def f1(predicted: Sequence[bool], gold: Sequence[bool]) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in zip(predicted, gold, strict=True))
    precision = tp / max(sum(predicted), 1)
    recall = tp / max(sum(gold), 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def bench_checkthat() -> None:
    texts, gold = read_checkthat("devtest")
    scores = [score(doc[:]) for doc in load_model().pipe(texts, batch_size=256)]
    alone = f1([s >= THRESHOLD for s in scores], gold)
    articles = [article_of([text], "checkthat") for text in texts]
    claims = extract_claims(articles)
    staged = [any(c.checkworthiness >= THRESHOLD for c in found) for found in claims]
    stage = f1(staged, gold)
    print(f"CheckThat! 2024 dev-test ({len(texts)} sentences, threshold {THRESHOLD}):")
    print("  score alone     P {:.3f}  R {:.3f}  F1 {:.3f}".format(*alone))
    print("  filter + score  P {:.3f}  R {:.3f}  F1 {:.3f}".format(*stage))


# --- PolNeAR ---------------------------------------------------------------------


@dataclass(frozen=True)
class GoldAttribution:
    source: tuple[int, int] | None
    cue: tuple[int, int] | None


def read_polnear() -> Iterator[tuple[str, list[GoldAttribution]]]:
    """(text, gold attributions) per article."""
    for ann in sorted((POLNEAR / "attributions").glob("*.ann")):
        stem = re.sub(r"_[0-9a-f]{4}$", "", ann.stem)
        text = (POLNEAR / "text" / f"{stem}.txt").read_text(encoding="utf-8")
        yield text.translate(_CURLY), list(_attributions(ann.read_text("utf-8")))


def _attributions(ann: str) -> Iterator[GoldAttribution]:
    spans: dict[str, tuple[int, int]] = {}
    for line in ann.splitlines():
        fields = line.split("\t")
        if line.startswith("T") and len(fields) >= 2:
            offsets = re.findall(r"\d+", fields[1].split(" ", 1)[1])
            spans[fields[0]] = (int(offsets[0]), int(offsets[-1]))
    for line in ann.splitlines():
        if line.startswith("E"):
            roles = dict(part.split(":") for part in line.split("\t")[1].split())
            source, cue = roles.get("Source"), roles.get("Cue")
            yield GoldAttribution(
                spans.get(source) if source else None, spans.get(cue) if cue else None
            )


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


Guess = tuple[tuple[int, int], tuple[int, int]]


def predicted_attributions(text: str) -> tuple[list[Guess], list[Guess]]:
    """(speaker span, cue span) in text offsets, over every clause the stage parses:
    the stage's one speaker per clause, and every attribution ``attributions``
    lists (nested and embedded ones too)."""
    spans = split_sentences(text, max_sentences=10_000, max_sentence_chars=5_000)
    kept = [(s.start, text[s.start : s.end]) for s in spans]
    kept = [(start, sentence) for start, sentence in kept if could_be_claim(sentence)]
    outermost: list[Guess] = []
    every: list[Guess] = []
    docs = load_model().pipe([sentence for _, sentence in kept], batch_size=256)
    for (start, _), doc in zip(kept, docs, strict=True):
        for clause in doc.sents:
            first = find_attribution(clause)
            outermost += [_offsets(start, first)] if first is not None else []
            every += [_offsets(start, found) for found in attributions(clause)]
    return outermost, every


def _offsets(start: int, attribution: Attribution) -> Guess:
    mention = attribution.mention
    speaker = (start + mention.start_char, start + mention.end_char)
    return speaker, (start + attribution.cue_start, start + attribution.cue_end)


@dataclass
class Tally:
    right: int = 0
    predicted: int = 0
    found_sources: int = 0
    found_cues: int = 0

    def add(self, guesses: list[Guess], gold: list[GoldAttribution]) -> None:
        sources = [g.source for g in gold if g.source is not None]
        cues = [g.cue for g in gold if g.cue is not None]
        self.predicted += len(guesses)
        self.right += sum(any(overlaps(s, g) for g in sources) for s, _ in guesses)
        self.found_sources += sum(
            any(overlaps(g, s) for s, _ in guesses) for g in sources
        )
        self.found_cues += sum(any(overlaps(g, c) for _, c in guesses) for g in cues)


def bench_polnear(*, misses: int = 0) -> None:
    stage, every = Tally(), Tally()
    sources = cues = 0
    missed: list[str] = []
    for text, gold in read_polnear():
        outermost, listed = predicted_attributions(text)
        stage.add(outermost, gold)
        every.add(listed, gold)
        sources += sum(g.source is not None for g in gold)
        cues += sum(g.cue is not None for g in gold)
        missed += _missed(text, gold, outermost)
    print(f"PolNeAR dev ({sources} gold sources, {cues} gold cues):")
    for name, tally in (("stage speaker", stage), ("attributions", every)):
        print(
            f"  {name:<14} speaker P {tally.right / max(tally.predicted, 1):.3f}"
            f"  R {tally.found_sources / max(sources, 1):.3f}"
            f"  cue R {tally.found_cues / max(cues, 1):.3f}"
            f"  ({tally.predicted} predicted)"
        )
    # A fixed seed: the same sample run after run, so a fix shows as a change.
    for line in random.Random(0).sample(missed, min(misses, len(missed))):
        print(line)


def _missed(
    text: str, gold: list[GoldAttribution], guesses: list[Guess]
) -> Iterator[str]:
    """One line per gold source the stage missed: the source, its cue, and the
    sentence around them, for reading the misses by pattern."""
    for attribution in gold:
        source = attribution.source
        if source is None or any(overlaps(source, s) for s, _ in guesses):
            continue
        cue = attribution.cue
        start = text.rfind("\n", 0, source[0]) + 1
        end = text.find("\n", source[1])
        sentence = text[start : end if end >= 0 else len(text)]
        cue_text = text[cue[0] : cue[1]] if cue else "-"
        yield (
            f"MISS [{text[source[0] : source[1]]}] cue [{cue_text}]"
            f" in: {sentence[:300]!r}"
        )


# --- throughput ------------------------------------------------------------------


def seed_articles() -> list[EnrichedArticle]:
    limits = IngestLimits()
    articles = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        body = json.dumps({"source": path.stem, "body": path.read_text("utf-8")})
        article = ingest_record(body.encode(), limits=limits)
        assert isinstance(article, EnrichedArticle), article
        articles.append(article)
    return articles


def throughput(name: str, articles: list[EnrichedArticle], *, rounds: int) -> None:
    """Our stage's rate, and the ratio to plain ``nlp.pipe`` over the same sentences
    in the same run: the machine is shared, so the ratio is the steadier figure."""
    texts = [s.text for a in articles for s in a.sentences]
    sentences = rounds * len(texts)
    started = time.perf_counter()
    for _ in range(rounds):
        extract_claims(articles)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(rounds):
        list(load_model().pipe(texts, batch_size=256))
    plain = time.perf_counter() - started
    print(
        f"  {name:<10} {sentences / elapsed:7.0f} sentences/s ({sentences} sentences);"
        f" plain nlp.pipe {sentences / plain:.0f}/s, ratio {plain / elapsed:.2f}"
    )


def blis_rate(articles: list[EnrichedArticle]) -> None:
    """Plain ``nlp.pipe`` with thinc's default BLIS matrix products, for the gain of
    the OpenBLAS ops ``load_model`` sets (same model, same sentences, same run)."""
    import spacy

    texts = [s.text for a in articles for s in a.sentences]
    nlp = spacy.load(MODEL_NAME, exclude=["lemmatizer"])
    list(nlp.pipe(texts))  # warm-up
    started = time.perf_counter()
    for _ in range(3):
        list(nlp.pipe(texts, batch_size=256))
    rate = 3 * len(texts) / (time.perf_counter() - started)
    print(f"  {'seeds':<10} plain nlp.pipe with thinc's default BLIS ops {rate:.0f}/s")


def bench_speed() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    load_model()
    extract_claims(seed_articles())  # warm-up
    print("Throughput of extract_claims, one core:")
    throughput("seeds", seed_articles(), rounds=5)
    blis_rate(seed_articles())
    if CHECKTHAT.is_dir():
        texts, _ = read_checkthat("dev")
        articles = [
            article_of(texts[i : i + 20], "ct") for i in range(0, len(texts), 20)
        ]
        throughput("CheckThat!", articles, rounds=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--misses", type=int, default=0, help="print N missed PolNeAR gold sources"
    )
    parser.add_argument(
        "--polnear-only", action="store_true", help="skip CheckThat! and speed"
    )
    options = parser.parse_args()
    if CHECKTHAT.is_dir() and not options.polnear_only:
        bench_checkthat()
    elif not options.polnear_only:
        print(f"CheckThat! not found at {CHECKTHAT}; skipped")
    if POLNEAR.is_dir():
        bench_polnear(misses=options.misses)
    else:
        print(f"PolNeAR not found at {POLNEAR}; skipped")
    if not options.polnear_only:
        bench_speed()


if __name__ == "__main__":
    main()
