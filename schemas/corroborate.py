"""``claims.clusters`` and ``claims.conflicts``: the same fact across outlets, and
how their figures compare."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from schemas.base import SCHEMA_VERSION, WireModel
from schemas.enriched import Quantity, Speaker

Relation = Literal[
    "consistent",
    "conflict",
    "update",
    "different_scope",
    "estimate_spread",
    "expectation",
]


class ClusterMember(WireModel):
    """One claim of a cluster, and whether it counts as an independent report."""

    claim_id: str
    article_id: str
    source: str
    sentence_index: int = Field(ge=0)
    text: str
    speaker: Speaker | None = None
    independent: bool = Field(
        description="False for a verbatim copy: a repeated sentence, or a claim of "
        "an article that duplicates an earlier one."
    )


class ClaimCluster(WireModel):
    """Claims about one fact. Key on the compacted ``claims.clusters``: cluster_id.

    Republished whenever a claim joins; the latest record is the cluster. Claims
    are grouped by single linkage (a claim close enough to any listed member of
    several clusters joins them into one), so the grouping of a window does not
    depend on the order its claims arrived in; a cluster is named after its member
    with the earliest publication time (then the smallest claim_id). A large
    cluster lists only its namer and its latest members, and its first
    sources; the counts are exact. Every claim names its cluster (``cluster_id``
    on ``claims``), so the whole membership can be read from there.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    cluster_id: str
    label: str = Field(description="The text of a representative claim.")
    members: tuple[ClusterMember, ...] = Field(
        description="The member it is named by, then the latest ones (all, when few)."
    )
    member_count: int = Field(ge=0, description="Members, listed or not.")
    sources: tuple[str, ...] = Field(
        description="Distinct sources, first seen first (the first 100)."
    )
    source_count: int = Field(ge=0, description="Distinct sources, listed or not.")
    independent_sources: int = Field(
        ge=0, description="Distinct sources among the independent members."
    )
    first_seen: datetime
    updated: datetime
    merged_into: str | None = Field(
        default=None,
        description="Set when a later claim joined this cluster to another: the "
        "cluster that now holds its members (this record then lists none). Claims "
        "published with this cluster_id belong to that one.",
    )

    @model_validator(mode="before")
    @classmethod
    def _counts_of_older_records(cls, data: Any) -> Any:
        # Records published before the counts were kept listed every member.
        if isinstance(data, dict):
            for count, listed in (
                ("member_count", "members"),
                ("source_count", "sources"),
            ):
                if count not in data and isinstance(data.get(listed), list | tuple):
                    data = {**data, count: len(data[listed])}
        return data


class FigureClaim(WireModel):
    """One figure of one claim, as compared."""

    claim_id: str
    article_id: str
    source: str
    cluster_id: str
    speaker: Speaker | None = None
    quantity: Quantity
    when: str | None = Field(
        default=None,
        description="The claim's date: ISO 8601 if resolved, else as said.",
    )


class FigureComparison(WireModel):
    """Two figures that count the same thing. Key on ``claims.conflicts``:
    comparison_id.

    Every comparison is published, agreement included: a desk wants to see which
    figures are corroborated as much as which disagree.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    comparison_id: str
    relation: Relation
    counted: str = Field(description="What both figures count: 'killed:soldier'.")
    first: FigureClaim = Field(description="The earlier figure.")
    second: FigureClaim = Field(description="The later figure.")
    ratio: float | None = Field(
        default=None, ge=1.0, description="Larger over smaller central value."
    )
    explanation: str
