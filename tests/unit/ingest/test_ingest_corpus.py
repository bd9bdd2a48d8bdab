"""Quality gate: extraction F1 on the article-extraction benchmark's real pages.

Reads ../shared/corpora (never copied here) and skips when it is absent.
bench/extraction.py prints the same figure next to trafilatura's.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from trafilatura.utils import decode_file

from pipeline.ingest import ingest_article
from pipeline.settings import IngestLimits
from schemas import EnrichedArticle, RawArticle

#: Macro-averaged token F1 measured when this gate was set (0.965), minus noise.
MIN_F1 = 0.96
_TOKEN = re.compile(r"\w+")

pytestmark = pytest.mark.corpus


def token_f1(extracted: str, expected: str) -> float:
    got, want = Counter(_TOKEN.findall(extracted)), Counter(_TOKEN.findall(expected))
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / got.total(), overlap / want.total()
    return 2 * precision * recall / (precision + recall)


def test_token_f1() -> None:
    assert token_f1("a b c", "a b c") == 1.0
    assert token_f1("a b", "c d") == 0.0
    assert token_f1("a b c d", "a b") == pytest.approx(2 * 0.5 * 1.0 / 1.5)


@pytest.mark.slow
def test_benchmark_pages_extract_with_high_f1(corpora_dir: Path) -> None:
    corpus = corpora_dir / "article-extraction-benchmark"
    if not corpus.is_dir():
        pytest.skip(f"{corpus} not found")
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    scores = []
    for path in sorted((corpus / "html").glob("*.html.gz")):
        page_id = path.name.removesuffix(".html.gz")
        html = decode_file(gzip.decompress(path.read_bytes()))
        raw = RawArticle(source="benchmark", body=html, content_type="text/html")
        article = ingest_article(raw, limits=IngestLimits())
        assert isinstance(article, EnrichedArticle), (page_id, article)
        for sentence in article.sentences:
            assert article.text[sentence.start : sentence.end] == sentence.text
        scores.append(token_f1(article.text, truth[page_id]["articleBody"]))
    assert len(scores) == len(truth)
    assert sum(scores) / len(scores) >= MIN_F1
