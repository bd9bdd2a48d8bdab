"""Every topic of the pipeline, declared once, as data.

Who writes each one, and who reads it (agents in ``agents/``, routing in
``pipeline/flow.py``):

- ``articles.raw``: your producers, ``newsline replay`` -> the ingest agent.
- ``articles.clean``: the ingest agent -> the fingerprint agent (``agents/dedupe.py``).
- ``dedupe.requests``: the fingerprint agent -> the dedupe decider (same module).
- ``articles.deduped``: the dedupe decider -> the claims agent.
- ``articles.claimed``: the claims agent -> the corroborate decider.
- ``claims``, ``claims.clusters``, ``claims.conflicts``, ``articles.enriched``: the
  corroborate decider -> your consumers, ``newsline tail`` and ``run``.
- ``articles.deadletter``: every stage (``route_rejection``) -> your consumers.

``record`` names the schema class of a topic's values (``schemas``), ``key`` the
field (a dotted path into it) its records are keyed on; ``tests/unit/test_topics.py``
holds them to that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.settings import Settings

#: Kafka's own rule for a topic name; a client that asks for another is refused, and
#: aiokafka then retries it forever.
LEGAL_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")
TOPIC_NAME_RULE = (
    "a topic name is 1 to 249 of the characters a-z A-Z 0-9 . _ - (and not '.' or '..')"
)


class TopicNameError(ValueError):
    """A topic name Kafka would refuse; the message says which and the rule."""


@dataclass(frozen=True)
class TopicSpec:
    """A pipeline topic: its base name (before the deployment prefix) and its role."""

    name: str
    record: str
    key: str
    compacted: bool = False
    #: A fixed partition count, for topics whose order matters more than spread.
    partitions: int | None = None


RAW = TopicSpec("articles.raw", record="RawArticle", key="article_id")
CLEAN = TopicSpec("articles.clean", record="EnrichedArticle", key="article_id")
#: The dedupe decision log: one partition, so that every duplicate decision sees
#: every earlier article in one order, whichever partition it came from.
DEDUPE_LOG = TopicSpec(
    "dedupe.requests", record="DedupeRequest", key="article.article_id", partitions=1
)
DEDUPED = TopicSpec("articles.deduped", record="EnrichedArticle", key="article_id")
#: The corroborate decision log: one partition, so every claim of a cluster is
#: decided in one place, against every earlier claim of the window.
CLAIMED = TopicSpec(
    "articles.claimed", record="EnrichedArticle", key="article_id", partitions=1
)
CLAIMS = TopicSpec("claims", record="Claim", key="claim_id")
CLUSTERS = TopicSpec(
    "claims.clusters", record="ClaimCluster", key="cluster_id", compacted=True
)
CONFLICTS = TopicSpec(
    "claims.conflicts", record="FigureComparison", key="comparison_id"
)
STORIES = TopicSpec("stories", record="Story", key="story_id", compacted=True)
ENRICHED = TopicSpec("articles.enriched", record="EnrichedArticle", key="article_id")
DEADLETTER = TopicSpec("articles.deadletter", record="DeadLetter", key="article_id")

#: Topics the pipeline reads or writes today, in flow order.
ALL: tuple[TopicSpec, ...] = (
    RAW,
    CLEAN,
    DEDUPE_LOG,
    DEDUPED,
    CLAIMED,
    CLAIMS,
    CLUSTERS,
    CONFLICTS,
    STORIES,
    ENRICHED,
    DEADLETTER,
)

#: Topics a consumer of the pipeline's results reads.
OUTPUTS: tuple[TopicSpec, ...] = (
    ENRICHED,
    CLAIMS,
    CLUSTERS,
    CONFLICTS,
    STORIES,
    DEADLETTER,
)


def topic_name(settings: Settings, spec: TopicSpec) -> str:
    """The topic's name on the cluster, with the deployment's prefix."""
    return settings.topic(spec.name)


def partition_count(settings: Settings, spec: TopicSpec) -> int:
    """How many partitions the topic is created with."""
    return spec.partitions or settings.topic_partitions


def spec_for(name: str) -> TopicSpec | None:
    """The spec of a base topic name, or None for a topic the pipeline does not own."""
    return next((spec for spec in ALL if spec.name == name), None)


def is_legal_topic_name(name: str) -> bool:
    """Whether Kafka accepts ``name`` as a topic name."""
    return bool(LEGAL_TOPIC_NAME.fullmatch(name)) and name not in (".", "..")


def check_topic_name(name: str) -> str:
    """``name``, or TopicNameError when Kafka would refuse it."""
    if not is_legal_topic_name(name):
        raise TopicNameError(f"{name!r} is not a valid topic name: {TOPIC_NAME_RULE}")
    return name


def check_topic_names(settings: Settings) -> None:
    """Refuse a NEWSLINE_TOPIC_PREFIX that makes any pipeline topic name invalid."""
    bad = [
        name
        for name in (topic_name(settings, spec) for spec in ALL)
        if not is_legal_topic_name(name)
    ]
    if bad:
        raise TopicNameError(
            f"NEWSLINE_TOPIC_PREFIX={settings.topic_prefix!r} makes invalid topic "
            f"names such as {bad[0]!r}; {TOPIC_NAME_RULE}"
        )
