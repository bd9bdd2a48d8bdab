"""Dead letters: how a record no stage could process is kept, with why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from schemas import DeadLetter, encode_original


@dataclass(frozen=True)
class Origin:
    """Where a record came from: a topic position, or a file for offline runs."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None


def dead_letter(
    *,
    stage: str,
    reason: str,
    error_type: str,
    value: bytes,
    key: bytes | None = None,
    article_id: str | None = None,
    origin: Origin = Origin(),
) -> DeadLetter:
    """The dead-letter record for one rejected input, carrying its original bytes."""
    return DeadLetter(
        stage=stage,
        reason=reason,
        error_type=error_type,
        original_base64=encode_original(value),
        original_key_base64=encode_original(key) if key is not None else None,
        topic=origin.topic,
        partition=origin.partition,
        offset=origin.offset,
        article_id=article_id or _key_text(key),
        time=datetime.now(UTC),
    )


def _key_text(key: bytes | None) -> str | None:
    # The key is the article_id by contract, but a hostile producer may send anything.
    if key is None:
        return None
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return None
