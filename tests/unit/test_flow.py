from __future__ import annotations

from datetime import UTC, datetime

from pipeline.claims import claims_record
from pipeline.codec import encode
from pipeline.corroborate import CorroborateSettings, Corroborator
from pipeline.deadletter import Origin
from pipeline.dedupe import fingerprint_record
from pipeline.flow import (
    crashed,
    route_claims,
    route_corroborated,
    route_decided,
    route_fingerprint,
    route_ingest,
)
from pipeline.ingest import ingest_record
from pipeline.rejection import Rejection
from pipeline.settings import DedupeSettings, IngestLimits
from pipeline.state import OrderedKeys
from pipeline.topics import (
    CLAIMED,
    CLAIMS,
    CLEAN,
    CLUSTERS,
    DEADLETTER,
    DEDUPE_LOG,
    DEDUPED,
    ENRICHED,
)
from schemas import Claim, DeadLetter, EnrichedArticle, RawArticle
from schemas.dedupe import DedupeRequest


def test_an_article_flows_clean_then_decision_log_then_enriched() -> None:
    value = RawArticle(source="s", body="Kyiv said so.").model_dump_json().encode()
    result = ingest_record(value, limits=IngestLimits())
    assert isinstance(result, EnrichedArticle)
    [out] = route_ingest(result, value=value, key=b"ignored", origin=Origin())
    assert (out.topic, out.key) == (CLEAN, result.article_id)

    clean = encode(out.record)
    request = fingerprint_record(clean, settings=DedupeSettings())
    assert isinstance(request, DedupeRequest)
    [logged] = route_fingerprint(request, value=clean, key=None, origin=Origin())
    assert (logged.topic, logged.key) == (DEDUPE_LOG, result.article_id)

    [decided] = route_decided(result)
    assert decided.topic == DEDUPED


def test_a_bad_clean_record_is_a_dedupe_dead_letter() -> None:
    result = fingerprint_record(b"{}", settings=DedupeSettings())
    assert isinstance(result, Rejection)
    [out] = route_fingerprint(result, value=b"{}", key=b"k", origin=Origin())
    assert out.topic == DEADLETTER
    assert isinstance(out.record, DeadLetter)
    assert out.record.stage == "dedupe"


def test_a_rejection_becomes_a_dead_letter_with_the_original_bytes() -> None:
    value, key = b"\xff not utf-8", b"k-1"
    [out] = route_ingest(
        Rejection("bad bytes", "invalid_utf8"),
        value=value,
        key=key,
        origin=Origin("articles.raw", 3, 42),
    )
    assert out.topic == DEADLETTER
    letter = out.record
    assert isinstance(letter, DeadLetter)
    assert letter.original == value
    assert letter.article_id == "k-1"  # the key stands in when the record has no id
    assert (letter.topic, letter.partition, letter.offset) == ("articles.raw", 3, 42)
    assert (letter.stage, letter.error_type, letter.reason) == (
        "ingest",
        "invalid_utf8",
        "bad bytes",
    )


def test_the_record_id_wins_over_the_key() -> None:
    [out] = route_ingest(
        Rejection("empty", "empty_body", "a-7"),
        value=b"{}",
        key=b"other",
        origin=Origin(),
    )
    assert out.key == "a-7"


def test_a_refused_decision_is_a_dedupe_dead_letter_of_the_request() -> None:
    request = b'{"article": {}, "fingerprint": {}}'
    [out] = route_decided(
        Rejection("article_id 'x' was already used", "conflicting_id", "x"),
        value=request,
        key=b"x",
        origin=Origin("dedupe.requests", 0, 7),
    )
    assert (out.topic, out.key) == (DEADLETTER, "x")
    letter = out.record
    assert isinstance(letter, DeadLetter)
    assert (letter.stage, letter.error_type) == ("dedupe", "conflicting_id")
    assert letter.original == request
    assert (letter.topic, letter.offset) == ("dedupe.requests", 7)


def test_a_crash_is_a_readable_rejection() -> None:
    rejection = crashed(MemoryError("out of memory"))
    assert rejection.error_type == "processing_failed"
    assert "MemoryError" in rejection.reason


def test_claims_then_corroboration_then_the_finished_article() -> None:
    body = "The agency said two soldiers were captured on Saturday in the Kursk region."
    value = RawArticle(source="s", body=body).model_dump_json().encode()
    article = ingest_record(value, limits=IngestLimits())
    assert isinstance(article, EnrichedArticle)
    result = claims_record(encode(article))
    assert isinstance(result, EnrichedArticle)
    assert result.claims
    [logged] = route_claims(result, value=b"", key=None, origin=Origin())
    assert (logged.topic, logged.key) == (CLAIMED, result.article_id)

    corroborator = Corroborator({}, OrderedKeys(), settings=CorroborateSettings())
    done = corroborator.corroborate(result, seen_at=datetime.now(UTC))
    outputs = route_corroborated(done)
    topics = [o.topic for o in outputs]
    assert topics[: len(result.claims)] == [CLAIMS] * len(result.claims)
    assert topics[-1] == ENRICHED
    assert CLUSTERS in topics
    claims = [o.record for o in outputs if o.topic == CLAIMS]
    assert all(isinstance(c, Claim) and c.cluster_id for c in claims)


def test_articles_in_other_languages_get_no_claims() -> None:
    body = "Die Behörde teilte mit, dass zwei Soldaten am Samstag gefangen wurden."
    value = RawArticle(source="s", body=body, language="de").model_dump_json()
    article = ingest_record(value.encode(), limits=IngestLimits())
    assert isinstance(article, EnrichedArticle)
    assert article.language == "de"
    result = claims_record(encode(article))
    assert isinstance(result, EnrichedArticle)
    assert result.claims == ()
