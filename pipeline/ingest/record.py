"""From a Kafka record value (bytes) to a validated RawArticle, or why not."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pipeline.rejection import Rejection
from pipeline.settings import IngestLimits
from schemas import SCHEMA_VERSION, RawArticle, derive_article_id

#: Field errors named in a reason; the rest are counted.
MAX_LISTED_ERRORS = 3
_MAX_ID_CHARS = 200  # RawArticle.article_id's own bound
_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number"}


def read_raw_article(
    value: bytes | None, *, limits: IngestLimits
) -> RawArticle | Rejection:
    """Checks in order of cost: size, UTF-8, JSON, then the RawArticle schema."""
    if value is None:
        reason = "value is null (a tombstone), expected a JSON object"
        return Rejection(reason, "invalid_record")
    if len(value) > limits.max_body_bytes:
        return Rejection(
            f"value is {len(value)} bytes, over the {limits.max_body_bytes}-byte cap "
            "(NEWSLINE_INGEST__MAX_BODY_BYTES)",
            "too_large",
        )
    text = _decode_utf8(value)
    if isinstance(text, Rejection):
        return text
    try:
        return RawArticle.model_validate_json(text)
    except ValidationError as error:
        return _rejection_from(error, text)


def _decode_utf8(value: bytes) -> str | Rejection:
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as error:
        byte = error.object[error.start]
        return Rejection(
            f"value is not valid UTF-8 (byte 0x{byte:02x} at position {error.start})",
            "invalid_utf8",
        )
    # A byte order mark is legal UTF-8 that some Windows tools write; JSON forbids it.
    return text.removeprefix("\ufeff")


def _rejection_from(error: ValidationError, text: str) -> Rejection:
    details = error.errors(include_url=False)
    if details[0]["type"] == "json_invalid":
        cause = details[0]["msg"].removeprefix("Invalid JSON: ")
        return Rejection(f"value is not valid JSON ({cause})", "invalid_json")
    return Rejection(_describe(details), "invalid_record", _article_id_of(text))


def _describe(details: list[ErrorDetails]) -> str:
    first = details[0]
    if first["type"] == "model_type":  # valid JSON, but not an object
        return f"value is {_json_kind(first['input'])}, expected a JSON object"
    reasons = [_describe_field(detail) for detail in details[:MAX_LISTED_ERRORS]]
    if len(details) > MAX_LISTED_ERRORS:
        reasons.append(f"and {len(details) - MAX_LISTED_ERRORS} more")
    return "; ".join(reasons)


def _json_kind(value: Any) -> str:
    if value is None:
        return "JSON null"
    if isinstance(value, bool):  # before the table: bool is a subclass of int
        return "a JSON boolean"
    return f"a JSON {_JSON_KINDS.get(type(value), 'value')}"


def _describe_field(detail: ErrorDetails) -> str:
    name = ".".join(str(part) for part in detail["loc"])
    if name == "schema_version" and detail["type"] != "missing":
        return (
            f"schema_version {_short_repr(detail['input'])} is not supported "
            f"(this worker reads version {SCHEMA_VERSION})"
        )
    given = _short_repr(detail["input"]) if detail["type"] != "missing" else None
    return f"field '{name}': {detail['msg']}" + (f" (got {given})" if given else "")


def _short_repr(value: Any) -> str | None:
    # Only scalars, and briefly: a reason must not echo a 5 MB body.
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _article_id_of(text: str) -> str | None:
    """The id the article would have had, so a dead letter can be traced to it."""
    try:
        data = json.loads(text)
        return _article_id_in(data) if isinstance(data, dict) else None
    except ValueError:  # also UnicodeEncodeError, from a lone surrogate in the body
        return None


def _article_id_in(data: dict[str, Any]) -> str | None:
    given = data.get("article_id")
    if given:  # as RawArticle does: an id is derived only when none is given
        return given if isinstance(given, str) and len(given) <= _MAX_ID_CHARS else None
    source, body, url = data.get("source"), data.get("body"), data.get("url")
    if isinstance(source, str) and isinstance(body, str):
        return derive_article_id(source, url if isinstance(url, str) else None, body)
    return None
