"""``articles.deadletter``: input that could not be processed, why, and its bytes."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal

from pydantic import Field

from schemas.base import SCHEMA_VERSION, WireModel


class DeadLetter(WireModel):
    """A record no stage could process; the original bytes ride along."""

    schema_version: Literal[1] = SCHEMA_VERSION
    stage: str = Field(description="The stage that gave up, e.g. 'ingest'.")
    reason: str = Field(description="What was wrong, for a person to read.")
    error_type: str = Field(description="A stable machine name: 'invalid_json', ...")
    original_base64: str = Field(description="The record's value, base64 encoded.")
    original_key_base64: str | None = None
    topic: str | None = Field(
        default=None, description="Source topic; file:line for `newsline extract`."
    )
    partition: int | None = None
    offset: int | None = None
    article_id: str | None = None
    time: datetime

    @property
    def original(self) -> bytes:
        """The record's value as it arrived."""
        return base64.b64decode(self.original_base64)


def encode_original(value: bytes) -> str:
    """Base64 text of a record value, for ``DeadLetter.original_base64``."""
    return base64.b64encode(value).decode("ascii")
