"""ingest_record: from record bytes to an article, or a precise rejection."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from pipeline.ingest import ingest_record
from pipeline.rejection import Rejection
from pipeline.settings import IngestLimits
from schemas import EnrichedArticle, derive_article_id

LIMITS = IngestLimits()
BODY = "Ukraine captured two soldiers, officials said. They were taken to Kyiv."


@pytest.fixture
def record_factory() -> Callable[..., bytes]:
    def make(**fields: Any) -> bytes:
        data = {"article_id": "a-1", "source": "wire", "body": BODY, **fields}
        return json.dumps({k: v for k, v in data.items() if v is not ...}).encode()

    return make


@pytest.fixture
def record(record_factory: Callable[..., bytes]) -> bytes:
    return record_factory()


def rejected(value: bytes | None, limits: IngestLimits = LIMITS) -> Rejection:
    result = ingest_record(value, limits=limits)
    assert isinstance(result, Rejection), result
    return result


def test_a_valid_record_becomes_an_article(record: bytes) -> None:
    article = ingest_record(record, limits=LIMITS)
    assert isinstance(article, EnrichedArticle)
    assert (article.article_id, article.source) == ("a-1", "wire")
    assert [s.text for s in article.sentences] == [
        "Ukraine captured two soldiers, officials said.",
        "They were taken to Kyiv.",
    ]


def test_value_over_the_cap_is_too_large(record: bytes) -> None:
    limits = IngestLimits(max_body_bytes=len(record) - 1)
    rejection = rejected(record, limits)
    assert rejection.error_type == "too_large"
    assert f"{len(record)} bytes" in rejection.reason
    assert f"{len(record) - 1}-byte cap" in rejection.reason
    assert "NEWSLINE_INGEST__MAX_BODY_BYTES" in rejection.reason


def test_value_at_the_cap_is_accepted(record: bytes) -> None:
    limits = IngestLimits(max_body_bytes=len(record))
    assert isinstance(ingest_record(record, limits=limits), EnrichedArticle)


def test_size_is_checked_before_encoding() -> None:
    rejection = rejected(b"\xff" * 100, IngestLimits(max_body_bytes=10))
    assert rejection.error_type == "too_large"


def test_invalid_utf8_names_the_byte_and_its_position() -> None:
    value = b'{"source": "wire", "body": "caf\xe9"}'
    rejection = rejected(value)
    assert rejection.error_type == "invalid_utf8"
    position = value.index(b"\xe9")
    assert f"byte 0xe9 at position {position}" in rejection.reason


def test_a_leading_byte_order_mark_is_tolerated(record: bytes) -> None:
    result = ingest_record(b"\xef\xbb\xbf" + record, limits=LIMITS)
    assert isinstance(result, EnrichedArticle)


@pytest.mark.parametrize("value", [b'{"source": "wire", "body": ', b"", b"{bad}"])
def test_invalid_json(value: bytes) -> None:
    rejection = rejected(value)
    assert rejection.error_type == "invalid_json"
    assert rejection.reason.startswith("value is not valid JSON (")
    assert rejection.article_id is None


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (b"[1, 2]", "a JSON array"),
        (b'"text"', "a JSON string"),
        (b"42", "a JSON number"),
        (b"true", "a JSON boolean"),
        (b"null", "JSON null"),
    ],
)
def test_json_that_is_not_an_object_is_an_invalid_record(
    value: bytes, kind: str
) -> None:
    rejection = rejected(value)
    assert rejection.error_type == "invalid_record"
    assert rejection.reason == f"value is {kind}, expected a JSON object"


def test_a_tombstone_is_an_invalid_record() -> None:
    assert rejected(None).error_type == "invalid_record"


def test_missing_field_is_named(record_factory: Callable[..., bytes]) -> None:
    rejection = rejected(record_factory(body=...))
    assert rejection.error_type == "invalid_record"
    assert rejection.reason == "field 'body': Field required"
    assert rejection.article_id == "a-1"


def test_wrong_type_is_named_with_the_value(
    record_factory: Callable[..., bytes],
) -> None:
    rejection = rejected(record_factory(source=17))
    assert rejection.error_type == "invalid_record"
    assert "field 'source'" in rejection.reason
    assert "valid string" in rejection.reason
    assert "(got 17)" in rejection.reason


def test_unknown_schema_version_says_which_is_supported(
    record_factory: Callable[..., bytes],
) -> None:
    rejection = rejected(record_factory(schema_version=2))
    assert rejection.error_type == "invalid_record"
    assert rejection.reason == (
        "schema_version 2 is not supported (this worker reads version 1)"
    )


def test_unknown_fields_are_refused(record_factory: Callable[..., bytes]) -> None:
    rejection = rejected(record_factory(colour="red"))
    assert "field 'colour': Extra inputs are not permitted" in rejection.reason


def test_long_values_are_not_echoed(record_factory: Callable[..., bytes]) -> None:
    rejection = rejected(record_factory(content_type="x" * 1000))
    assert "field 'content_type'" in rejection.reason
    assert len(rejection.reason) < 200


def test_only_the_first_errors_are_listed(record_factory: Callable[..., bytes]) -> None:
    value = record_factory(source=1, body=2, url=3, title=4, language=5)
    rejection = rejected(value)
    assert rejection.reason.count("field '") == 3
    assert rejection.reason.endswith("; and 2 more")


def test_the_article_id_is_derived_when_the_producer_gave_none(
    record_factory: Callable[..., bytes],
) -> None:
    value = record_factory(article_id=..., url="https://example.com/a", title=9)
    rejection = rejected(value)
    assert rejection.article_id == derive_article_id(
        "wire", "https://example.com/a", BODY
    )


def test_rejections_and_articles_survive_pickling(record: bytes) -> None:
    # Both cross the process-pool boundary.
    for result in (ingest_record(record, limits=LIMITS), rejected(b"[]")):
        assert pickle.loads(pickle.dumps(result)) == result
