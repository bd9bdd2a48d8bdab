"""ClaimsMemory: an exact copy gets the claims a parse would give it, unparsed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.claims import claims_record
from pipeline.claims.reuse import ClaimsMemory, remembered
from pipeline.codec import encode
from schemas import DuplicateVerdict, EnrichedArticle
from tests.unit.dedupe.test_dedupe_seeds import ingest_seeds

PUBLISHED = datetime(2025, 1, 12, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed() -> EnrichedArticle:
    root = Path(__file__).resolve().parents[3] / "seeds"
    article = max(ingest_seeds(root), key=lambda a: len(a.sentences))
    return article.model_copy(update={"published_at": PUBLISHED})


def copy_of(article: EnrichedArticle, article_id: str, **changes: object) -> bytes:
    verdict = DuplicateVerdict(kind="exact", of=article.article_id, similarity=1.0)
    update = {"article_id": article_id, "source": "wire", "duplicate": verdict}
    return encode(article.model_copy(update={**update, **changes}))


def parsed(value: bytes) -> EnrichedArticle:
    result = claims_record(value)
    assert isinstance(result, EnrichedArticle)
    return result


def run(memory: ClaimsMemory, values: list[bytes]) -> list[object]:
    calls: list[int] = []

    async def compute(todo: list[bytes]) -> list[object]:
        calls.append(len(todo))
        return [claims_record(value) for value in todo]

    results = asyncio.run(remembered(memory, values, compute))
    assert sum(calls) == len(values) - memory.hits
    return list(results)


def test_an_exact_copy_gets_the_claims_a_parse_gives(seed: EnrichedArticle) -> None:
    memory = ClaimsMemory(8)
    original, copy = encode(seed), copy_of(seed, "copy-1")
    [first] = run(memory, [original])
    [second] = run(memory, [copy])
    assert memory.hits == 1
    assert isinstance(first, EnrichedArticle)
    assert first.claims
    assert second == parsed(copy)
    assert encode(second) == encode(parsed(copy))  # the very bytes on the topic
    assert {c.article_id for c in second.claims} == {"copy-1"}


@pytest.mark.parametrize(
    "changes",
    [
        {"published_at": PUBLISHED + timedelta(days=3)},  # "on Tuesday" moves
        {"language": "de"},
        {"content_hash": "0" * 64},
    ],
)
def test_what_claims_depend_on_is_not_reused(
    seed: EnrichedArticle, changes: dict[str, object]
) -> None:
    memory = ClaimsMemory(8)
    run(memory, [encode(seed)])
    [other] = run(memory, [copy_of(seed, "other", **changes)])
    assert memory.hits == 0
    assert other == parsed(copy_of(seed, "other", **changes))


def test_boilerplate_flags_are_part_of_the_content(seed: EnrichedArticle) -> None:
    memory = ClaimsMemory(8)
    run(memory, [encode(seed)])
    flipped = tuple(
        s.model_copy(update={"boilerplate": not s.boilerplate}) if s.index == 0 else s
        for s in seed.sentences
    )
    run(memory, [copy_of(seed, "flipped", sentences=flipped)])
    assert memory.hits == 0


def test_the_oldest_entries_make_room_and_zero_turns_it_off(
    seed: EnrichedArticle,
) -> None:
    memory = ClaimsMemory(1)
    other = seed.model_copy(update={"published_at": PUBLISHED + timedelta(hours=1)})
    run(memory, [encode(seed), encode(other)])
    run(memory, [copy_of(seed, "late")])
    assert memory.hits == 0
    off = ClaimsMemory(0)
    run(off, [encode(seed), copy_of(seed, "again")])
    assert off.hits == 0


def test_bad_records_go_to_the_stage_for_their_rejection() -> None:
    memory = ClaimsMemory(8)
    [result] = run(memory, [b"not json"])
    assert not isinstance(result, EnrichedArticle)


def test_without_a_memory_every_record_is_computed(seed: EnrichedArticle) -> None:
    calls: list[int] = []

    async def compute(todo: list[bytes]) -> list[object]:
        calls.append(len(todo))
        return [claims_record(value) for value in todo]

    values = [encode(seed), copy_of(seed, "copy")]
    results = asyncio.run(remembered(None, values, compute))
    assert calls == [2]
    assert results[1] == parsed(values[1])
