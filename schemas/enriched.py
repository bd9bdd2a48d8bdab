"""``articles.enriched`` and ``claims``: what the pipeline publishes for consumers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from schemas.base import SCHEMA_VERSION, WireModel


class SentenceRef(WireModel):
    """Where a repeated sentence first appeared: in an earlier article, or earlier in
    the same one."""

    article_id: str
    index: int = Field(ge=0)


class Sentence(WireModel):
    """One sentence of the cleaned text; ``start``/``end`` are offsets into ``text``."""

    index: int = Field(ge=0)
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    boilerplate: bool = Field(
        default=False,
        description="Navigation, teaser or heading line: kept, not a claim.",
    )
    repeat_of: SentenceRef | None = None


class DuplicateVerdict(WireModel):
    """Whether the whole article repeats an earlier one."""

    kind: Literal["exact", "near"] | None = None
    of: str | None = Field(default=None, description="article_id of the earliest copy.")
    similarity: float | None = Field(default=None, ge=0.0, le=1.0)


SpeakerType = Literal["person", "organisation", "government", "media", "unknown"]


class Speaker(WireModel):
    """Who asserts a claim, as named in the text."""

    name: str
    type: SpeakerType
    via: str | None = Field(
        default=None,
        description="The channel that relays the speaker, when the text names one: "
        "'Interfax' in 'the Interfax news agency quoted Mr Khodorkovsky as saying', "
        "'the BBC' in 'he told the BBC'.",
    )


class Quantity(WireModel):
    """A figure as an interval that keeps its meaning (``low`` only: "at least")."""

    text: str
    low: float | None = None
    high: float | None = None
    qualifier: str | None = Field(default=None, description="approx, at_least, ...")
    unit: str | None = None
    counted: str | None = Field(default=None, description="What is counted: 'wounded'.")


class DateMention(WireModel):
    """A time expression; ``value`` is ISO 8601 when it could be resolved."""

    text: str
    value: str | None = None


class Entity(WireModel):
    """A named person, organisation or place."""

    text: str
    label: str


class Claim(WireModel):
    """One factual claim. Key on ``claims``: ``claim_id``."""

    schema_version: Literal[1] = SCHEMA_VERSION
    claim_id: str
    article_id: str
    sentence_index: int = Field(ge=0)
    text: str
    speaker: Speaker | None = None
    cue: str | None = None
    hedged: bool = False
    hedges: tuple[str, ...] = ()
    quantities: tuple[Quantity, ...] = ()
    dates: tuple[DateMention, ...] = ()
    entities: tuple[Entity, ...] = ()
    checkworthiness: float = Field(default=0.0, ge=0.0, le=1.0)
    checkworthy: bool = Field(
        default=False,
        description="checkworthiness at or above the threshold chosen by "
        "cross-validation: worth a fact-checker's time.",
    )
    cluster_id: str | None = None


NoteKind = Literal["published_at_ignored", "corroboration_capped"]


class ArticleNote(WireModel):
    """Something the pipeline could not trust or finish for this article, said so
    rather than hidden: the article is published with what was decided."""

    kind: NoteKind = Field(
        description=(
            "published_at_ignored: the publication time was implausible and is taken"
            " as unknown; corroboration_capped: only part of the claims were grouped."
        )
    )
    detail: str


class EnrichedArticle(WireModel):
    """A cleaned article and its verdicts. Key on ``articles.enriched``: article_id."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article_id: str
    source: str
    url: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    language: str | None = Field(default=None, description="ISO 639-1 code.")
    text: str = Field(description="Normalised main text; sentences point into it.")
    content_hash: str = Field(description="sha256 of the normalised text.")
    sentences: tuple[Sentence, ...]
    duplicate: DuplicateVerdict = DuplicateVerdict()
    claims: tuple[Claim, ...] = ()
    story_id: str | None = Field(
        default=None,
        description="Its story on ``stories`` (set by corroborate; follow "
        "merged_into there).",
    )
    notes: tuple[ArticleNote, ...] = ()
