"""Poison input through a real worker on a real broker.

Every record sent to articles.raw ends as exactly one outcome: an article on
articles.enriched, or a dead letter with its reason, error type and original bytes.
The worker keeps going after each one, and the counts per outcome are exact.
"""

from __future__ import annotations

import base64
import gzip
import json
import struct
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from pipeline.cli.supervise import WorkerProcess
from pipeline.clients.kafka import (
    MAX_RECORD_BYTES,
    aiokafka_options,
    ensure_topics,
    reader,
)
from pipeline.clients.results import Offsets, output_offsets
from pipeline.codec import decode
from pipeline.settings import IngestLimits, Settings
from pipeline.topics import DEADLETTER, DEDUPE_LOG, ENRICHED, RAW, topic_name
from schemas import DeadLetter, EnrichedArticle, derive_article_id
from schemas.dedupe import DedupeRequest

#: The body cap of the main test: a megabyte sentence fits, CAP + 1 bytes do not.
CAP = 2_000_000
PROCESSED = "processed"

ENGLISH = (
    "Ukraine has captured two wounded North Korean soldiers in the Kursk region, "
    "President Volodymyr Zelenskyy said on Saturday. The soldiers were taken to Kyiv "
    "and questioned by the Security Service, officials said."
)
GERMAN = (
    "Die Bundesregierung hat am Montag angekündigt, dass die Steuern im kommenden "
    "Jahr steigen werden. Der Finanzminister sagte, dies sei notwendig, um den "
    "Haushalt auszugleichen."
)
PAGE = f"<html><body><article><p>{ENGLISH}</p></article></body></html>"


@dataclass(frozen=True)
class Case:
    """One record to send, and the outcome it must have."""

    value: bytes
    outcome: str  # PROCESSED, or the dead letter's error_type
    key: bytes | None = None
    #: For a processed record: the article_id its article must have.
    article_id: str | None = None
    #: Words the dead letter's reason must contain.
    reason: str = ""
    stage: str = "ingest"
    check: Callable[[EnrichedArticle], None] | None = field(default=None)


def _value(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def _article(name: str, body: str, **fields: object) -> Case:
    """A well-formed record with its own id and key; its outcome is set later."""
    article_id = f"poison-{name}"
    value = _value(article_id=article_id, source="test", body=body, **fields)
    return Case(
        value=value, outcome=PROCESSED, key=article_id.encode(), article_id=article_id
    )


def _png() -> bytes:
    """A real 2x2 RGB PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\x00\xff\x00" * 2)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def _as_text(data: bytes) -> str:
    # How a careless producer puts bytes into a JSON string.
    return data.decode("latin-1")


def _billion_laughs(root: str) -> str:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">'
        for i in range(1, 10)
    ]
    return f"<!DOCTYPE {root} [{''.join(entities)}]>"


def _no_laughs(article: EnrichedArticle) -> None:
    assert "lollol" not in article.text
    assert "Zelenskyy" in article.text


def _cleaned(article: EnrichedArticle) -> None:
    assert article.text == "Kyiv said so. Then it rained."
    assert not any(ch < " " and ch != "\n" for ch in article.text)


def _capped_sentences(article: EnrichedArticle) -> None:
    assert len(article.sentences) == 500
    assert all(len(s.text) <= 2_000 for s in article.sentences)


def _first_version(article: EnrichedArticle) -> None:
    assert article.language == "en"
    assert "Zelenskyy" in article.text


def _german(article: EnrichedArticle) -> None:
    assert article.language == "de"
    assert article.claims == ()


def _html(name: str, body: str) -> Case:
    return _article(name, body, content_type="text/html")


def _poison_cases() -> dict[str, Case]:
    nested = "<div>" * 100_000 + f"<p>{ENGLISH}</p>" + "</div>" * 100_000
    xml_declaration = '<?xml version="1.0" encoding="utf-8"?>\n'
    bomb_page = PAGE.replace("</p>", " &lol9;</p>")
    keyless = f"Without a key. {ENGLISH}"
    first, second = f"First of a key. {ENGLISH}", f"Second of a key. {GERMAN}"
    return {
        "invalid-json": _bad(b"{this is not json", "invalid_json", "not valid JSON"),
        "json-array": _bad(
            b'[{"source": "x", "body": "b"}]',
            "invalid_record",
            "a JSON array, expected a JSON object",
        ),
        "json-string": _bad(
            b'"Kyiv said so."', "invalid_record", "a JSON string, expected"
        ),
        "no-body": _bad(
            _value(article_id="poison-no-body", source="x", text="b"),
            "invalid_record",
            "field 'body': Field required",
        ),
        "wrong-types": _bad(
            _value(source=7, body=["a"]),
            "invalid_record",
            "field 'source': Input should be a valid string",
        ),
        "schema-version": _bad(
            _value(schema_version=2, source="x", body="Kyiv said so."),
            "invalid_record",
            "schema_version 2 is not supported",
        ),
        "invalid-utf8": _bad(
            b'{"source": "x", "body": "caf\xe9"}',
            "invalid_utf8",
            "not valid UTF-8 (byte 0xe9",
        ),
        "control-chars": replace(
            _article("control-chars", "Kyiv\x00 said\x07 so.\x1b\x00 Then it rained."),
            check=_cleaned,
        ),
        "empty-body": _rejected(_article("empty-body", ""), "empty_body", "is empty"),
        "whitespace-body": _rejected(
            _article("whitespace-body", " \n\t\u3000 "), "empty_body", "whitespace"
        ),
        "over-the-cap": _rejected(
            _article("over-the-cap", "word " * (CAP // 5 + 1)),
            "too_large",
            "NEWSLINE_INGEST__MAX_BODY_BYTES",
        ),
        "deep-nesting": _rejected(
            _html("deep-nesting", nested), "too_deep", "deeper than the parser follows"
        ),
        "html-no-text": _rejected(
            _html(
                "html-no-text", "<html><body><div><img src=a.png></div></body></html>"
            ),
            "no_text",
            "no main text",
        ),
        "megabyte-sentence": replace(
            _article("megabyte-sentence", "word " * 200_000), check=_capped_sentences
        ),
        "laughs-html": replace(
            _html("laughs-html", _billion_laughs("html") + bomb_page), check=_no_laughs
        ),
        "laughs-xml": replace(
            _html("laughs-xml", xml_declaration + _billion_laughs("html") + bomb_page),
            check=_no_laughs,
        ),
        "laughs-xml-only": _rejected(
            _html(
                "laughs-xml-only",
                xml_declaration + _billion_laughs("lolz") + "<lolz>&lol9;</lolz>",
            ),
            "no_text",
            "no main text",
        ),
        "png-as-html": _rejected(
            _html("png-as-html", _as_text(_png())), "unsupported_content", "PNG image"
        ),
        "gzip-as-html": _rejected(
            _html("gzip-as-html", _as_text(gzip.compress(PAGE.encode()))),
            "unsupported_content",
            "gzip-compressed",
        ),
        "german": replace(_article("german", GERMAN), check=_german),
        "no-key": Case(
            value=_value(source="test", body=keyless),
            outcome=PROCESSED,
            article_id=derive_article_id("test", None, keyless),
        ),
        "no-key-invalid": Case(
            value=b"{no key, no json", outcome="invalid_json", reason="not valid JSON"
        ),
        "same-key-first": Case(
            value=_value(source="test", body=first),
            outcome=PROCESSED,
            key=b"shared-key",
            article_id=derive_article_id("test", None, first),
        ),
        "same-key-second": Case(
            value=_value(source="test", body=second),
            outcome=PROCESSED,
            key=b"shared-key",
            article_id=derive_article_id("test", None, second),
        ),
        "reused-id-first": Case(
            value=_value(article_id="poison-reused", source="test", body=ENGLISH),
            outcome=PROCESSED,
            key=b"poison-reused",
            article_id="poison-reused",
            check=_first_version,
        ),
        "reused-id-second": Case(
            value=_value(article_id="poison-reused", source="test", body=GERMAN),
            outcome="conflicting_id",
            key=b"poison-reused",
            article_id="poison-reused",
            reason="give each version of an article its own article_id",
            stage="dedupe",
        ),
        "good-after-bad": _article("good-after-bad", ENGLISH.replace("two", "three")),
    }


def _bad(value: bytes, error_type: str, reason: str) -> Case:
    """A record that is not an article, keyed by its own bytes' hash."""
    key = f"poison-{zlib.crc32(value):08x}".encode()
    return Case(value=value, outcome=error_type, key=key, reason=reason)


def _rejected(case: Case, error_type: str, reason: str) -> Case:
    return replace(case, outcome=error_type, reason=reason, article_id=None)


@dataclass
class Outcomes:
    """Every record read from articles.enriched and articles.deadletter."""

    enriched: list[EnrichedArticle] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)

    def count(self) -> int:
        return len(self.enriched) + len(self.dead)


async def read_outcomes(
    settings: Settings, since: Offsets, *, count: int, timeout: float, settle_s: float
) -> Outcomes:
    """Read until ``count`` outcomes arrived, then on until none came for
    ``settle_s`` seconds: an extra outcome breaks the exactly-one rule."""
    topics = {topic_name(settings, ENRICHED), topic_name(settings, DEADLETTER)}
    start = {tp: offset for tp, offset in since.items() if tp.topic in topics}
    consumer = reader(settings)
    outcomes, deadline = Outcomes(), time.monotonic() + timeout
    await consumer.start()
    try:
        consumer.assign(list(start))
        for partition, offset in start.items():
            consumer.seek(partition, offset)
        while outcomes.count() < count and time.monotonic() < deadline:
            await _read(consumer, outcomes, settings, wait_s=0.5)
        while await _read(consumer, outcomes, settings, wait_s=settle_s):
            pass
    finally:
        await consumer.stop()
    return outcomes


async def _read(
    consumer: AIOKafkaConsumer, outcomes: Outcomes, settings: Settings, *, wait_s: float
) -> int:
    batch = await consumer.getmany(timeout_ms=int(wait_s * 1000))
    for records in batch.values():
        for record in records:
            if record.topic == topic_name(settings, ENRICHED):
                outcomes.enriched.append(decode(EnrichedArticle, record.value or b""))
            else:
                outcomes.dead.append(decode(DeadLetter, record.value or b""))
    return sum(len(records) for records in batch.values())


async def send_all(settings: Settings, cases: list[Case]) -> None:
    producer = AIOKafkaProducer(
        **aiokafka_options(settings), acks="all", max_request_size=MAX_RECORD_BYTES
    )
    await producer.start()
    try:
        for case in cases:
            await producer.send_and_wait(
                topic_name(settings, RAW), case.value, key=case.key
            )
    finally:
        await producer.stop()


def check_outcomes(
    settings: Settings, cases: dict[str, Case], outcomes: Outcomes, log: str
) -> None:
    """Each case's outcome, and nothing more: exact counts per kind."""
    expected = Counter(case.outcome for case in cases.values())
    seen = Counter([PROCESSED] * len(outcomes.enriched)) + Counter(
        letter.error_type for letter in outcomes.dead
    )
    assert seen == expected, log
    articles = {article.article_id: article for article in outcomes.enriched}
    assert len(articles) == len(outcomes.enriched)  # one per article_id
    for name, case in cases.items():
        if case.outcome == PROCESSED:
            _check_article(name, case, articles)
        else:
            _check_letter(settings, name, case, outcomes.dead)


def _check_article(name: str, case: Case, articles: dict[str, EnrichedArticle]) -> None:
    assert case.article_id is not None
    article = articles.get(case.article_id)
    assert article is not None, f"{name} was not processed"
    assert article.text, name
    if case.check is not None:
        case.check(article)


def _check_letter(
    settings: Settings, name: str, case: Case, letters: list[DeadLetter]
) -> None:
    if case.stage == "dedupe":
        [letter] = [x for x in letters if x.stage == "dedupe"]
        # The dedupe stage's dead letter carries the request it consumed.
        request = decode(DedupeRequest, letter.original)
        assert request.article.article_id == case.article_id == letter.article_id
        assert "Bundesregierung" in request.article.text  # the second version
        assert letter.topic == topic_name(settings, DEDUPE_LOG)
    else:
        matching = [x for x in letters if x.original == case.value]
        assert len(matching) == 1, f"{name}: {len(matching)} dead letters"
        [letter] = matching
        assert letter.stage == "ingest", name
        assert letter.topic == topic_name(settings, RAW)
        key = letter.original_key_base64
        assert (base64.b64decode(key) if key else None) == case.key, name
        if case.key is None and case.outcome == "invalid_json":
            assert letter.article_id is None
    assert letter.error_type == case.outcome, (name, letter.reason)
    assert case.reason in letter.reason, (name, letter.reason)
    assert letter.offset is not None


@pytest.fixture
def capped(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory(ingest=IngestLimits(max_body_bytes=CAP))


async def test_poison_inputs_each_end_as_one_outcome(
    capped: Settings, worker_factory: Callable[[Settings], WorkerProcess]
) -> None:
    worker = worker_factory(capped)
    await ensure_topics(capped)
    since = await output_offsets(capped)
    cases = _poison_cases()
    await send_all(capped, list(cases.values()))

    outcomes = await read_outcomes(
        capped, since, count=len(cases), timeout=150, settle_s=3.0
    )
    check_outcomes(capped, cases, outcomes, worker.log_tail())
    assert worker.alive()


async def test_a_50_mb_body_is_dead_lettered_with_its_bytes(
    settings: Settings, worker_factory: Callable[[Settings], WorkerProcess]
) -> None:
    worker = worker_factory(settings)
    await ensure_topics(settings)
    since = await output_offsets(settings)
    huge = _article("fifty-megabytes", "x" * (50 * 1024 * 1024))
    cases = {
        "fifty-megabytes": _rejected(
            huge, "too_large", "NEWSLINE_INGEST__MAX_BODY_BYTES"
        ),
        "good-after-huge": _article("good-after-huge", ENGLISH),
    }
    await send_all(settings, list(cases.values()))

    outcomes = await read_outcomes(
        settings, since, count=len(cases), timeout=120, settle_s=2.0
    )
    check_outcomes(settings, cases, outcomes, worker.log_tail())
    [letter] = outcomes.dead
    assert len(letter.original) == len(huge.value)
    assert worker.alive()


async def test_an_article_past_the_time_cap_is_dead_lettered_as_timeout(
    settings_factory: Callable[..., Settings],
    worker_factory: Callable[[Settings], WorkerProcess],
) -> None:
    # Ingesting 4.5 MB of words takes about 0.4 s, a short article about 1 ms.
    settings = settings_factory(ingest=IngestLimits(max_seconds_per_article=0.1))
    worker = worker_factory(settings)
    await ensure_topics(settings)
    since = await output_offsets(settings)
    cases = {
        "slow": _rejected(
            _article("slow", "word " * 900_000),
            "timeout",
            "0.1-second cap per article (NEWSLINE_INGEST__MAX_SECONDS_PER_ARTICLE)",
        ),
        "quick": _article("quick", ENGLISH),
    }
    await send_all(settings, list(cases.values()))

    outcomes = await read_outcomes(
        settings, since, count=len(cases), timeout=120, settle_s=2.0
    )
    check_outcomes(settings, cases, outcomes, worker.log_tail())
    assert worker.alive()
