"""Every kind of bad input reaches articles.deadletter with its reason and bytes,
and the worker keeps processing good articles after it."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaProducer

from pipeline.kafka import aiokafka_options, ensure_topics
from pipeline.results import collect, output_offsets
from pipeline.settings import IngestLimits, Settings
from pipeline.supervise import WorkerProcess
from pipeline.topics import RAW, topic_name

CAP = 20_000


def _article(name: str, **fields: object) -> bytes:
    record = {"article_id": f"bad-{name}", "source": "test", "body": "Fine.", **fields}
    return json.dumps(record).encode()


def _html(name: str, body: str) -> bytes:
    return _article(name, content_type="text/html", body=body)


GZIP_TEXT = gzip.compress(b"x" * 100).decode("latin-1")

#: name -> (record value, accepted error types). Records are keyed "bad-<name>".
BAD_INPUTS: dict[str, tuple[bytes, set[str]]] = {
    "not-json": (b"{this is not json", {"invalid_json"}),
    "wrong-fields": (
        json.dumps({"source": "x", "text": "b"}).encode(),
        {"invalid_record"},
    ),
    "wrong-types": (
        json.dumps({"source": 7, "body": ["a"]}).encode(),
        {"invalid_record"},
    ),
    "not-utf8": (b'{"source": "x", "body": "caf\xe9"}', {"invalid_utf8"}),
    "empty-body": (_article("empty-body", body=""), {"empty_body"}),
    "whitespace-body": (_article("whitespace-body", body=" \n\t "), {"empty_body"}),
    "oversized": (_article("oversized", body="word " * CAP), {"too_large"}),
    "html-no-text": (
        _html("html-no-text", "<html><body><div></div></body></html>"),
        {"no_text"},
    ),
    "gzip-as-html": (
        _html("gzip-as-html", GZIP_TEXT),
        {"no_text", "unsupported_content"},
    ),
}


@pytest.fixture
def capped(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory(ingest=IngestLimits(max_body_bytes=CAP))


async def test_bad_inputs_are_dead_lettered(
    capped: Settings, worker_factory: Callable[[Settings], WorkerProcess]
) -> None:
    worker = worker_factory(capped)
    await ensure_topics(capped)
    since = await output_offsets(capped)
    keys = {name: f"bad-{name}" for name in BAD_INPUTS}
    good = json.dumps(
        {"article_id": "good-after-bad", "source": "test", "body": "Kyiv said so."}
    ).encode()
    producer = AIOKafkaProducer(**aiokafka_options(capped), acks="all")
    await producer.start()
    try:
        for name, (value, _) in BAD_INPUTS.items():
            await producer.send_and_wait(
                topic_name(capped, RAW), value, key=keys[name].encode()
            )
        await producer.send_and_wait(
            topic_name(capped, RAW), good, key=b"good-after-bad"
        )
    finally:
        await producer.stop()

    expected = [*keys.values(), "good-after-bad"]
    results = await collect(capped, since, expect=expected, timeout=120)
    assert "good-after-bad" in results.enriched, worker.log_tail()
    for name, (value, error_types) in BAD_INPUTS.items():
        letter = results.dead.get(keys[name])
        assert letter is not None, f"{name} was not dead-lettered\n{worker.log_tail()}"
        assert letter.error_type in error_types, (name, letter.reason)
        assert letter.reason
        assert letter.stage == "ingest"
        assert letter.original == value
        assert letter.topic == topic_name(capped, RAW)
        assert letter.offset is not None
    assert worker.alive()
