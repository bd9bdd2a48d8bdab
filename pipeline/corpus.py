"""Reading a corpus from files into the records a crawler would produce.

``newsline replay`` sends these records to Kafka and ``newsline extract`` runs them
in-process; both read files here so that they see byte-identical input.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from pydantic import ValidationError

from pipeline.codec import encode
from schemas import RawArticle

SUFFIXES = (".txt", ".html", ".htm", ".html.gz", ".htm.gz", ".jsonl")


@dataclass(frozen=True)
class SourceRecord:
    """One record for ``articles.raw``: key (the article_id when known) and value."""

    key: str | None
    value: bytes
    origin: str


def corpus_files(paths: Iterable[Path]) -> list[Path]:
    """The corpus files under the given files and folders, folders in name order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if _is_corpus_file(p)))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return found


def _is_corpus_file(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(SUFFIXES)


def read_records(path: Path) -> Iterator[SourceRecord]:
    """The records of one corpus file (one for a page or text, one per JSON line)."""
    name = path.name.lower()
    if name.endswith(".jsonl"):
        yield from _jsonl_records(path)
    elif name.endswith((".html", ".htm", ".html.gz", ".htm.gz")):
        yield _article_record(path, _html_article(path))
    elif name.endswith(".txt"):
        yield _article_record(path, _text_article(path))
    else:
        raise ValueError(f"{path}: not a corpus file (expected one of {SUFFIXES})")


def _article_record(path: Path, article: RawArticle) -> SourceRecord:
    return SourceRecord(article.article_id, encode(article), str(path))


def _source_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".html", ".htm", ".txt"):
        name = name.removesuffix(suffix)
    return name


def _text_article(path: Path) -> RawArticle:
    body = path.read_text(encoding="utf-8", errors="replace")
    return RawArticle.model_validate({"source": _source_name(path), "body": body})


def _html_article(path: Path) -> RawArticle:
    raw = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        raw = gzip.decompress(raw)
    return RawArticle.model_validate(
        {
            "source": _source_name(path),
            "content_type": "text/html",
            "body": _decode(raw),
        }
    )


def _decode(raw: bytes) -> str:
    # Pages declare charsets unreliably; UTF-8 covers nearly all, and cp1252 never fails
    # on the rest, so a page is never refused for its encoding here.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _jsonl_records(path: Path) -> Iterator[SourceRecord]:
    # Lines are sent as they are, bad ones included: the worker dead-letters them, which
    # is what a user replaying a corpus wants to see.
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            value = line.rstrip(b"\r\n")
            if value.strip():
                yield SourceRecord(_jsonl_key(value), value, f"{path}:{number}")


def _jsonl_key(value: bytes) -> str | None:
    try:
        return RawArticle.model_validate_json(value).article_id
    except ValidationError:
        return None


def repeated(record: SourceRecord, copy: int) -> SourceRecord:
    """Copy ``copy`` of a record, with its own article_id (copy 0 is the record)."""
    if copy == 0 or record.key is None:
        return record
    data = orjson.loads(record.value)
    data["article_id"] = f"{record.key}~{copy}"
    value = RawArticle.model_validate(data)
    return SourceRecord(value.article_id, encode(value), record.origin)


def plan(paths: Iterable[Path], *, repeat: int = 1) -> Iterator[SourceRecord]:
    """The records of a corpus in replay order: every file, ``repeat`` times over."""
    files = corpus_files(paths)
    for copy in range(repeat):
        for path in files:
            for record in read_records(path):
                yield repeated(record, copy)
