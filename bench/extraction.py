"""Extraction quality and speed on the article-extraction benchmark.

Runs the ingest stage (``ingest_article``) on every page of
../shared/corpora/article-extraction-benchmark and scores the article text against the
pages' ``articleBody`` with bag-of-tokens precision, recall and F1 (macro-averaged over
pages), next to plain ``trafilatura.extract`` run on the same pages in the same run.

    .venv/bin/python bench/extraction.py [--corpus DIR] [--limit N]

Rows:
- newsline ingest: the whole stage (extraction, normalisation, sentence split,
  boilerplate marks, language), scored on ``EnrichedArticle.text``.
- newsline, boilerplate excluded: the same articles with the sentences marked
  boilerplate left out; it shows how much of the expected text the marks cover
  (mostly section headings, which the benchmark counts as article body).
- newsline, producer sent title+date: the stage when the record already carries a
  title and publication time, so trafilatura's metadata search is skipped.
- trafilatura defaults: ``trafilatura.extract(html, url=url)``.
- trafilatura, ingest's options: the extractor settings the stage uses, without the
  stage; the gap to the first row is what normalisation and the rest cost or gain.

Pages are decoded once, as trafilatura decodes bytes, and every system gets the same
string. The language model is loaded before timing starts. Last, the sentence
splitter's own speed on the extracted texts.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura
from trafilatura.utils import decode_file

from pipeline.ingest import ingest_article, load_identifier
from pipeline.ingest.sentences import split_sentences
from pipeline.rejection import Rejection
from pipeline.settings import IngestLimits
from schemas import EnrichedArticle, RawArticle

DEFAULT_CORPUS = (
    Path(__file__).resolve().parents[2] / "shared/corpora/article-extraction-benchmark"
)
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Page:
    """One benchmark page and its expected article text."""

    page_id: str
    url: str
    html: str
    expected: str


@dataclass(frozen=True)
class Score:
    """Token overlap of one extraction with the expected text."""

    precision: float
    recall: float
    f1: float


def load_pages(corpus: Path, limit: int | None = None) -> list[Page]:
    """The benchmark's pages that have ground truth, in a stable order."""
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    paths = sorted((corpus / "html").glob("*.html.gz"))[:limit]
    return [
        _page(path, truth[path.name.removesuffix(".html.gz")])
        for path in paths
        if path.name.removesuffix(".html.gz") in truth
    ]


def _page(path: Path, truth: dict[str, str]) -> Page:
    html = decode_file(gzip.decompress(path.read_bytes()))
    page_id = path.name.removesuffix(".html.gz")
    return Page(page_id, truth["url"], html, truth["articleBody"])


def score(extracted: str, expected: str) -> Score:
    """Bag-of-tokens precision, recall and F1 of ``extracted`` against ``expected``."""
    got, want = Counter(_TOKEN.findall(extracted)), Counter(_TOKEN.findall(expected))
    if not got or not want:
        same = float(not got and not want)
        return Score(same, same, same)
    overlap = sum((got & want).values())
    precision, recall = overlap / got.total(), overlap / want.total()
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return Score(precision, recall, f1)


def ingest(page: Page, *, title: str | None = None) -> EnrichedArticle | Rejection:
    """The ingest stage on one page, as the agent would see it.

    With a ``title`` the producer is taken to have sent the title and publication
    time too, so the stage skips its metadata search.
    """
    article = RawArticle(
        article_id=page.page_id,
        source=urlsplit(page.url).hostname or "benchmark",
        url=page.url,
        title=title,
        published_at=datetime(2020, 1, 1, tzinfo=UTC) if title else None,
        content_type="text/html",
        body=page.html,
    )
    return ingest_article(article, limits=IngestLimits())


def article_text(result: EnrichedArticle | Rejection) -> str:
    """The article's text, empty for a rejection."""
    return result.text if isinstance(result, EnrichedArticle) else ""


def content_text(result: EnrichedArticle | Rejection) -> str:
    """The article's sentences that are not marked boilerplate, one per line."""
    if isinstance(result, Rejection):
        return ""
    return "\n".join(s.text for s in result.sentences if not s.boilerplate)


def timed(pages: list[Page], run: Callable[[Page], str]) -> tuple[list[str], float]:
    """Each page's extracted text, and pages per second."""
    started = time.perf_counter()
    texts = [run(page) for page in pages]
    return texts, len(pages) / (time.perf_counter() - started)


def report(name: str, pages: list[Page], texts: Iterable[str], rate: float) -> None:
    """One row: macro-averaged precision, recall, F1, and speed."""
    scores = [
        score(text, page.expected) for page, text in zip(pages, texts, strict=True)
    ]
    count = len(scores)
    precision = sum(s.precision for s in scores) / count
    recall = sum(s.recall for s in scores) / count
    f1 = sum(s.f1 for s in scores) / count
    speed = f"{rate:7.1f}" if rate else "      -"
    print(f"{name:<34} {precision:9.4f} {recall:9.4f} {f1:9.4f} {speed} pages/s")


def main() -> None:
    """Score every system on the benchmark and print one row each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="first N pages only")
    args = parser.parse_args()
    if not (args.corpus / "ground-truth.json").is_file():
        raise SystemExit(f"benchmark corpus not found at {args.corpus}")
    pages = load_pages(args.corpus, args.limit)
    load_identifier()
    print(f"{len(pages)} pages from {args.corpus}")
    print(f"{'system':<34} {'precision':>9} {'recall':>9} {'F1':>9} {'speed':>7}")

    started = time.perf_counter()
    results = [ingest(page) for page in pages]
    rate = len(pages) / (time.perf_counter() - started)
    report("newsline ingest", pages, map(article_text, results), rate)
    report("newsline, boilerplate excluded", pages, map(content_text, results), 0.0)
    texts, rate = timed(pages, lambda p: article_text(ingest(p, title="given")))
    report("newsline, producer sent title+date", pages, texts, rate)

    texts, rate = timed(pages, lambda p: trafilatura.extract(p.html, url=p.url) or "")
    report("trafilatura defaults", pages, texts, rate)
    texts, rate = timed(pages, _trafilatura_as_ingest)
    report("trafilatura, ingest's options", pages, texts, rate)

    splitter_speed([r.text for r in results if isinstance(r, EnrichedArticle)])

    rejected = [
        (p.page_id, r)
        for p, r in zip(pages, results, strict=True)
        if isinstance(r, Rejection)
    ]
    for page_id, rejection in rejected:
        print(f"rejected {page_id}: {rejection.error_type}: {rejection.reason}")


def splitter_speed(texts: list[str], *, rounds: int = 20) -> None:
    """Sentences per second of split_sentences alone, over the extracted texts."""
    started = time.perf_counter()
    count = sum(
        len(split_sentences(t, max_sentences=10**6, max_sentence_chars=2000))
        for _ in range(rounds)
        for t in texts
    )
    elapsed = time.perf_counter() - started
    megabytes = rounds * sum(len(t) for t in texts) / 1e6
    print(
        f"sentence splitter: {count / elapsed:,.0f} sentences/s, "
        f"{megabytes / elapsed:.1f} M characters/s"
    )


def _trafilatura_as_ingest(page: Page) -> str:
    text = trafilatura.extract(
        page.html, url=page.url, include_comments=False, favor_precision=True
    )
    return text or ""


if __name__ == "__main__":
    main()
