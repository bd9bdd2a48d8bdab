from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pipeline.clients.corpus import corpus_files, plan, read_records
from schemas import RawArticle


def test_seed_folder_gives_five_text_articles_keyed_by_id(seeds_dir: Path) -> None:
    records = list(plan([seeds_dir]))
    assert len(records) == 5
    for record, path in zip(records, sorted(seeds_dir.glob("*.txt")), strict=True):
        article = RawArticle.model_validate_json(record.value)
        assert record.key == article.article_id
        assert article.source == path.stem
        assert article.body == path.read_text(encoding="utf-8")


def test_html_and_gzip_pages(tmp_path: Path) -> None:
    page = "<html><body><p>Caf\u00e9 news.</p></body></html>"
    (tmp_path / "a.html").write_text(page, encoding="utf-8")
    (tmp_path / "b.html.gz").write_bytes(gzip.compress(page.encode("cp1252")))
    articles = [RawArticle.model_validate_json(r.value) for r in plan([tmp_path])]
    assert [a.source for a in articles] == ["a", "b"]
    assert all(
        a.content_type == "text/html" and "Caf\u00e9" in a.body for a in articles
    )


def test_jsonl_lines_are_sent_as_they_are(tmp_path: Path) -> None:
    good = json.dumps({"article_id": "x1", "source": "wire", "body": "Text."})
    path = tmp_path / "feed.jsonl"
    path.write_text(f"{good}\n\nnot json at all\n", encoding="utf-8")
    records = list(read_records(path))
    assert [r.key for r in records] == ["x1", None]
    assert records[1].value == b"not json at all"
    assert records[1].origin.endswith("feed.jsonl:3")


def test_repeat_gives_distinct_ids(seeds_dir: Path) -> None:
    records = list(plan([seeds_dir], repeat=3))
    assert len(records) == 15
    assert len({r.key for r in records}) == 15


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        corpus_files([tmp_path / "nope"])
