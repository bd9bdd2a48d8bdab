"""The records on every newsline topic, as frozen pydantic models.

``python -m schemas.export`` writes their JSON Schema next to this file for consumers
written in other languages.
"""

from schemas.base import SCHEMA_VERSION, WireModel
from schemas.corroborate import (
    ClaimCluster,
    ClusterMember,
    FigureClaim,
    FigureComparison,
    Relation,
)
from schemas.deadletter import DeadLetter, encode_original
from schemas.enriched import (
    ArticleNote,
    Claim,
    DateMention,
    DuplicateVerdict,
    EnrichedArticle,
    Entity,
    Quantity,
    Sentence,
    SentenceRef,
    Speaker,
)
from schemas.raw import RawArticle, derive_article_id
from schemas.story import Story, StoryArticle

__all__ = [
    "SCHEMA_VERSION",
    "ArticleNote",
    "Claim",
    "ClaimCluster",
    "ClusterMember",
    "DateMention",
    "DeadLetter",
    "DuplicateVerdict",
    "EnrichedArticle",
    "Entity",
    "FigureClaim",
    "FigureComparison",
    "Quantity",
    "RawArticle",
    "Relation",
    "Sentence",
    "SentenceRef",
    "Speaker",
    "Story",
    "StoryArticle",
    "WireModel",
    "derive_article_id",
    "encode_original",
]
