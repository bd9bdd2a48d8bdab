"""Reading outcomes: a redelivered copy that differs is noticed, and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.clients.results import Results, _add
from pipeline.codec import encode
from pipeline.settings import Settings
from pipeline.topics import DEADLETTER, topic_name
from schemas import DeadLetter

SETTINGS = Settings()
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def letter(reason: str, *, at: datetime = T0) -> DeadLetter:
    return DeadLetter(
        stage="ingest",
        reason=reason,
        error_type="empty_body",
        original_base64="IA==",
        article_id="a1",
        time=at,
    )


def read(*letters: DeadLetter) -> Results:
    results = Results()
    for item in letters:
        _add(results, SETTINGS, topic_name(SETTINGS, DEADLETTER), encode(item))
    return results


def test_a_redelivered_letter_written_later_is_the_same_outcome() -> None:
    results = read(letter("empty"), letter("empty", at=T0 + timedelta(seconds=9)))
    assert results.copies == 1
    assert not results.changed


def test_a_redelivered_letter_with_another_reason_is_noticed() -> None:
    results = read(letter("empty"), letter("whitespace only"))
    assert results.changed == {"a1"}
