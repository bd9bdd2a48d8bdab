"""``articles.raw``: what crawlers and ``newsline replay`` produce."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from schemas.base import SCHEMA_VERSION, WireModel

ContentType = Literal["text/plain", "text/html"]


def derive_article_id(source: str, url: str | None, body: str) -> str:
    """A stable id for an article whose producer gave none.

    The URL identifies an article better than its text (a page fixed for a typo is
    the same article); without one, the body does.
    """
    basis = url if url else body
    digest = hashlib.sha256(f"{source}\x1f{basis}".encode()).hexdigest()
    return digest[:24]


class RawArticle(WireModel):
    """One article as a crawler saw it. Key on the topic: ``article_id``."""

    schema_version: Literal[1] = SCHEMA_VERSION
    # The default is never kept: the validator below derives an id when none is given;
    # it exists so the JSON Schema tells producers that the field is optional.
    article_id: str = Field(
        default="",
        min_length=1,
        max_length=200,
        description="Producer's id; derived from (source, url or body) when absent.",
    )
    source: str = Field(
        min_length=1, max_length=500, description="Outlet or feed name."
    )
    url: str | None = Field(default=None, max_length=4000)
    title: str | None = None
    published_at: datetime | None = Field(
        default=None, description="Publication time, ISO 8601 with a time zone."
    )
    language: str | None = Field(
        default=None, description="ISO 639-1 code when the producer knows it."
    )
    content_type: ContentType = "text/plain"
    body: str = Field(description="The article text, or the page's HTML.")

    @model_validator(mode="before")
    @classmethod
    def _fill_article_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("article_id"):
            source, body = data.get("source"), data.get("body")
            if isinstance(source, str) and isinstance(body, str):
                url = data.get("url") if isinstance(data.get("url"), str) else None
                return {**data, "article_id": derive_article_id(source, url, body)}
        return data
