"""What the dedupe index keeps in its two stores, and under which keys.

Values are plain JSON (dict, list, str, int, float): in the service the stores are
faust tables with the JSON serializer, in RocksDB behind a changelog topic.

``state`` keys:

- ``seq``: the number of the last article decided; orders "earliest".
- ``watermark``: the latest event time seen (epoch seconds); the window ends there.
- ``a:<article_id>``: the article's ArticleRecord.
- ``c:<content_hash>``: the article_id that first had this exact text.
- ``s:<sentence key>``: ``[article_id, sentence index]`` where a sentence first was.
- ``b:<band>:<digest>``: an LSH bucket, the article_ids of its earliest holders.

``expiry`` keys are ``<event hour>|<seq>|<article_id>``, zero-padded so that ascending
key order is event-time order; the value is the event time.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class ArticleRecord(TypedDict):
    """One decided article: its verdicts, and what it needs to be verified against
    and forgotten."""

    seq: int
    # The decided text's hash: the same article_id with other text is refused.
    # NotRequired: records written before it was kept lack it.
    content_hash: NotRequired[str]
    time: float  # event time, epoch seconds
    signature: str  # minhash.pack_signature
    duplicate: dict[str, Any]  # DuplicateVerdict.model_dump()
    repeats: list[list[Any]]  # [sentence index, article_id, sentence index]
    holds: list[str]  # c: and s: keys it was the first to claim
    bands: list[str]  # b: keys it joined
    expiry: str  # its key in the expiry store
    # ArticleNote.model_dump() of a publication time taken as unknown.
    note: NotRequired[dict[str, Any]]


def article_key(article_id: str) -> str:
    """Where an article's record is kept."""
    return f"a:{article_id}"


def content_key(content_hash: str) -> str:
    """Where the first holder of an exact text is kept."""
    return f"c:{content_hash}"


def sentence_state_key(key: str) -> str:
    """Where the first occurrence of a sentence is kept."""
    return f"s:{key}"


def bucket_key(band: str) -> str:
    """Where an LSH bucket's holders are kept."""
    return f"b:{band}"


def holder_of(value: Any) -> str:
    """The article_id holding a ``c:`` key (a str) or an ``s:`` key (a list)."""
    return value if isinstance(value, str) else str(value[0])
