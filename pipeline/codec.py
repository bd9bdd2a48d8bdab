"""The one codec at every topic boundary: wire models to bytes and back."""

from __future__ import annotations

from typing import TypeVar

from schemas import WireModel

M = TypeVar("M", bound=WireModel)


def encode(record: WireModel) -> bytes:
    """JSON bytes of a record, as published."""
    return record.model_dump_json().encode()


def decode(model: type[M], value: bytes) -> M:
    """A record from JSON bytes; raises pydantic.ValidationError on bad input."""
    return model.model_validate_json(value)


def encode_key(key: str | None) -> bytes | None:
    """Keys are plain UTF-8 ids, so any client can read them."""
    return key.encode() if key is not None else None
