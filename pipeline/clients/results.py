"""Reading what the pipeline published for a given set of inputs."""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pydantic import BaseModel

from pipeline.clients.kafka import aiokafka_options, reader
from pipeline.codec import decode
from pipeline.settings import Settings
from pipeline.topics import (
    CLAIMS,
    CLUSTERS,
    CONFLICTS,
    DEADLETTER,
    ENRICHED,
    OUTPUTS,
    STORIES,
    topic_name,
)
from schemas import Claim, DeadLetter, EnrichedArticle, Story
from schemas.corroborate import ClaimCluster, FigureComparison

Offsets = dict[TopicPartition, int]
T = TypeVar("T", bound=BaseModel)
#: Where a record was written: topic, partition, offset.
Position = tuple[str, int, int]


@dataclass(frozen=True)
class Sent:
    """A record replayed to ``articles.raw``: its key, and where it was written.

    Its outcome may carry another id than the key: ingest names a dead letter by the
    id it derives from the record when the record gave none it could read. The
    position is what every ingest dead letter carries whatever its id.
    """

    key: str | None
    topic: str
    partition: int
    offset: int

    @property
    def position(self) -> Position:
        return (self.topic, self.partition, self.offset)


@dataclass
class Results:
    """The outcome records seen per article_id (the last one wins on redelivery).

    ``changed`` names the articles, claims and comparisons whose redelivered copy
    differed from an earlier one: at-least-once delivery promises identical copies.
    Clusters are left out, as a cluster's record changes when a claim joins it.
    """

    enriched: dict[str, EnrichedArticle] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    clusters: dict[str, ClaimCluster] = field(default_factory=dict)
    comparisons: dict[str, FigureComparison] = field(default_factory=dict)
    stories: dict[str, Story] = field(default_factory=dict)
    dead: dict[str, DeadLetter] = field(default_factory=dict)
    dead_without_id: list[DeadLetter] = field(default_factory=list)
    #: Dead letters by the position of the record they hold, and the keys they hold.
    dead_at: dict[Position, DeadLetter] = field(default_factory=dict)
    dead_keys: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    #: Records that repeated an article, claim, comparison or dead letter already read.
    copies: int = 0

    def done(self) -> set[str]:
        """article_ids that reached an outcome, with their claims and clusters read."""
        # Claims and clusters sit on other partitions than their article, so they may
        # arrive after it.
        complete = {
            article_id
            for article_id, article in self.enriched.items()
            if all(self._claim_read(claim) for claim in article.claims)
        }
        return complete | set(self.dead)

    def outstanding(self, sent: Iterable[Sent]) -> list[Sent]:
        """The replayed records without an outcome yet, matched by every id it may
        carry: the key, the article_id, the dead letter's original key and position.
        """
        done = self.done() | self.dead_keys
        return [
            record
            for record in sent
            if record.key not in done and record.position not in self.dead_at
        ]

    def _claim_read(self, claim: Claim) -> bool:
        cluster = claim.cluster_id
        return claim.claim_id in self.claims and (
            cluster is None or cluster in self.clusters
        )

    def count(self) -> int:
        """Records seen, counting dead letters without an article_id."""
        return len(self.enriched) + len(self.dead) + len(self.dead_without_id)


async def output_offsets(settings: Settings) -> Offsets:
    """Current end offsets of the output topics: a mark to read new results from."""
    partitions = await output_partitions(settings)
    consumer = reader(settings)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def output_partitions(
    settings: Settings, *, timeout_s: float = 30.0
) -> list[TopicPartition]:
    """Every partition of the output topics, waiting for topics just created and
    for a cluster with a broker down (the admin client asks a random one, and
    does not try another)."""
    names = [topic_name(settings, spec) for spec in OUTPUTS]
    admin = AIOKafkaAdminClient(**aiokafka_options(settings))
    await admin.start()
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                described = await admin.describe_topics(names)
            except KafkaError as error:
                if not error.retriable or time.monotonic() > deadline:
                    raise
                described = []
            found = [
                TopicPartition(topic["topic"], partition["partition"])
                for topic in described
                if topic["error_code"] == 0
                for partition in topic["partitions"]
            ]
            if {p.topic for p in found} == set(names):
                return sorted(found)
            if time.monotonic() > deadline:
                raise TimeoutError(f"output topics not found: {', '.join(names)}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def collect(
    settings: Settings,
    since: Offsets,
    *,
    expect: Collection[str | Sent | None],
    timeout: float,
    settle_s: float = 0.0,
    alive: Callable[[], bool] | None = None,
) -> Results:
    """Read outputs after ``since`` until every expected record has an outcome, then
    on until no record has come for ``settle_s`` seconds.

    A ``Sent`` record is matched by every id its outcome may carry (Results.
    outstanding). An expected article_id must have an outcome under that id, and an
    expected ``None`` (a record without a usable key) counts a dead letter without an
    id. Returns what arrived when done, when ``timeout`` seconds have passed, or as
    soon as ``alive`` (the producer of the outcomes, a worker) says False.
    """
    sent = [item for item in expect if isinstance(item, Sent)]
    keys = [item for item in expect if not isinstance(item, Sent)]
    wanted = {key for key in keys if key is not None}
    anonymous = sum(1 for key in keys if key is None)
    results, deadline = Results(), time.monotonic() + timeout
    consumer = reader(settings)
    await consumer.start()
    try:
        consumer.assign(list(since))
        for partition, offset in since.items():
            consumer.seek(partition, offset)
        # Read once at least: a consumer stopped before it ever waited raises the
        # CancelledError of a task it had not yet started.
        while True:
            await _read(consumer, results, settings, wait_s=0.5)
            if (
                _complete(results, wanted, anonymous, sent)
                or time.monotonic() >= deadline
                or (alive is not None and not alive())
            ):
                break
        while settle_s and await _read(consumer, results, settings, wait_s=settle_s):
            pass
    finally:
        await consumer.stop()
    return results


async def _read(
    consumer: AIOKafkaConsumer, results: Results, settings: Settings, *, wait_s: float
) -> int:
    """Add what arrives within ``wait_s`` seconds; returns how many records came."""
    batch = await consumer.getmany(timeout_ms=int(wait_s * 1000))
    for records in batch.values():
        for record in records:
            _add(results, settings, record.topic, record.value or b"")
    return sum(len(records) for records in batch.values())


def _complete(
    results: Results, wanted: set[str], anonymous: int, sent: list[Sent]
) -> bool:
    return (
        wanted <= results.done()
        and len(results.dead_without_id) >= anonymous
        and not results.outstanding(sent)
    )


def _add(results: Results, settings: Settings, topic: str, value: bytes) -> None:
    if topic == topic_name(settings, ENRICHED):
        article = decode(EnrichedArticle, value)
        _keep(results, results.enriched, article.article_id, article)
    elif topic == topic_name(settings, CLAIMS):
        claim = decode(Claim, value)
        _keep(results, results.claims, claim.claim_id, claim)
    elif topic == topic_name(settings, CLUSTERS):
        cluster = decode(ClaimCluster, value)
        results.clusters[cluster.cluster_id] = cluster
    elif topic == topic_name(settings, STORIES):
        story = decode(Story, value)
        results.stories[story.story_id] = story
    elif topic == topic_name(settings, CONFLICTS):
        comparison = decode(FigureComparison, value)
        _keep(results, results.comparisons, comparison.comparison_id, comparison)
    elif topic == topic_name(settings, DEADLETTER):
        letter = decode(DeadLetter, value)
        _index_letter(results, letter)
        if letter.article_id is None:
            results.dead_without_id.append(letter)
        else:
            # ``time`` says when the letter was written: a redelivery may differ there.
            _keep(results, results.dead, letter.article_id, letter, ignore={"time"})


def _keep(
    results: Results,
    seen: dict[str, T],
    key: str,
    record: T,
    *,
    ignore: set[str] | None = None,
) -> None:
    earlier = seen.get(key)
    results.copies += earlier is not None
    if earlier is not None and earlier.model_dump(exclude=ignore) != record.model_dump(
        exclude=ignore
    ):
        results.changed.add(key)
    seen[key] = record


def _index_letter(results: Results, letter: DeadLetter) -> None:
    """File a dead letter under the position and the key of the record it holds."""
    if (
        letter.topic is not None
        and letter.partition is not None
        and letter.offset is not None
    ):
        results.dead_at[(letter.topic, letter.partition, letter.offset)] = letter
    key = _original_key(letter)
    if key is not None:
        results.dead_keys.add(key)


def _original_key(letter: DeadLetter) -> str | None:
    if letter.original_key_base64 is None:
        return None
    try:
        return base64.b64decode(letter.original_key_base64).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):  # any key a producer chose
        return None
