"""Reading a corpus from files into the records a crawler would produce.

``newsline replay`` sends these records to Kafka and ``newsline extract`` runs them
in-process; both read files here so that they see byte-identical input.

A file that cannot be read at all (no permission, an I/O error) stops the run with a
CorpusError naming it: there are no bytes to keep. A file that can be read but is not
what its name says (a .html.gz that is not gzip, a page that makes no RawArticle) is
sent as its bytes, as they are; the ingest stage dead-letters them with a reason, so
the dead letter topic keeps the original bytes whichever command read the file.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
from pydantic import ValidationError

from pipeline.codec import encode
from schemas import RawArticle

SUFFIXES = (".txt", ".html", ".htm", ".html.gz", ".htm.gz", ".jsonl")
PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
#: The accepted kinds of file, for messages.
KINDS = ", ".join(SUFFIXES)
#: What a page that is not what its name says raises while it is read.
_BAD_PAGE_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error, ValidationError)


class CorpusError(ValueError):
    """A corpus that cannot be read; the message names the path and what to do."""


@dataclass(frozen=True)
class SourceRecord:
    """One record for ``articles.raw``: key (the article_id when known) and value."""

    key: str | None
    value: bytes
    origin: str


def corpus_files(paths: Iterable[Path]) -> list[Path]:
    """The corpus files under the given files and folders, folders in name order.

    A file given by name must be of a kind the corpus reads (CorpusError if not);
    files of other kinds inside a folder are passed over.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if _is_corpus_file(p)))
        elif path.exists():
            found.append(_named_file(path))
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return found


def require_corpus_files(paths: Sequence[Path]) -> list[Path]:
    """corpus_files, refusing a corpus without any: nothing to do is a mistake."""
    found = corpus_files(paths)
    if not found:
        names = ", ".join(str(path) for path in paths)
        raise CorpusError(
            f"no corpus files in {names}: give {KINDS} files, or folders holding them"
        )
    return found


def _named_file(path: Path) -> Path:
    if not path.is_file():
        raise CorpusError(f"{path} is not a regular file or a folder")
    if not _is_corpus_kind(path):
        raise CorpusError(
            f"{path}: unknown kind of file; rename it or give one of {KINDS}"
        )
    return path


def _is_corpus_file(path: Path) -> bool:
    return path.is_file() and _is_corpus_kind(path)


def _is_corpus_kind(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIXES)


def read_records(path: Path) -> Iterator[SourceRecord]:
    """The records of one corpus file (one for a page or text, one per JSON line).

    Raises CorpusError, naming the file, when it cannot be read.
    """
    try:
        yield from _records(path)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CorpusError(f"cannot read {path}: {reason}") from error


def _records(path: Path) -> Iterator[SourceRecord]:
    name = path.name.lower()
    if name.endswith(".jsonl"):
        yield from _jsonl_records(path)
    elif name.endswith(PAGE_SUFFIXES):
        yield _file_record(path, _html_article)
    elif name.endswith(".txt"):
        yield _file_record(path, _text_article)
    else:
        raise CorpusError(f"{path}: unknown kind of file; give one of {KINDS}")


def _file_record(path: Path, read: Callable[[Path, bytes], RawArticle]) -> SourceRecord:
    raw = path.read_bytes()
    try:
        return _article_record(path, read(path, raw))
    except _BAD_PAGE_ERRORS:
        # Sent as it is, without a key: ingest finds it is no RawArticle and
        # dead-letters it with these bytes, as it would a crawler's bad record.
        return SourceRecord(None, raw, str(path))


def _article_record(path: Path, article: RawArticle) -> SourceRecord:
    return SourceRecord(article.article_id, encode(article), str(path))


def _source_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".html", ".htm", ".txt"):
        name = name.removesuffix(suffix)
    return name


def _text_article(path: Path, raw: bytes) -> RawArticle:
    body = raw.decode("utf-8", errors="replace")
    return RawArticle.model_validate({"source": _source_name(path), "body": body})


def _html_article(path: Path, raw: bytes) -> RawArticle:
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
    return plan_files(corpus_files(paths), repeat=repeat)


def read_corpus(paths: Sequence[Path], *, repeat: int = 1) -> list[SourceRecord]:
    """Every record of the corpus, read before any is sent.

    Raises CorpusError when a file cannot be read or the corpus holds no record, so
    that a command stops before it has done half its work.
    """
    records = list(plan_files(require_corpus_files(paths), repeat=repeat))
    if not records:
        names = ", ".join(str(path) for path in paths)
        raise CorpusError(f"no records in {names}: its .jsonl files hold no lines")
    return records


def plan_files(files: Sequence[Path], *, repeat: int = 1) -> Iterator[SourceRecord]:
    """The records of these corpus files in order, ``repeat`` times over."""
    for copy in range(repeat):
        for path in files:
            for record in read_records(path):
                yield repeated(record, copy)
