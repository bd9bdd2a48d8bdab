"""How the topics newsline creates are replicated, from the brokers up and the
settings (pipeline.clients.kafka.durability)."""

from __future__ import annotations

import pytest

from pipeline.clients.kafka import (
    Durability,
    KafkaAccessError,
    durability,
    topic_configs,
)
from pipeline.settings import Settings
from pipeline.topics import CLUSTERS, RAW


@pytest.mark.parametrize(
    ("brokers", "expected"),
    [
        (1, Durability(1, 1)),
        (2, Durability(1, 1)),
        (3, Durability(3, 2)),
        (5, Durability(3, 2)),
    ],
)
def test_three_replicas_two_in_sync_from_three_brokers(
    brokers: int, expected: Durability
) -> None:
    assert durability(Settings(), brokers) == expected


def test_settings_override_the_cluster() -> None:
    two = Settings(topic_replication_factor=2)
    assert durability(two, 3) == Durability(2, 1)
    strict = Settings(topic_min_insync_replicas=3)
    assert durability(strict, 3) == Durability(3, 3)
    single = Settings(topic_replication_factor=1)
    assert durability(single, 3) == Durability(1, 1)


def test_settings_the_cluster_cannot_honour_fail_clearly() -> None:
    with pytest.raises(KafkaAccessError, match=r"REPLICATION_FACTOR is 3.*1 broker"):
        durability(Settings(topic_replication_factor=3), 1)
    with pytest.raises(KafkaAccessError, match="every write would be refused"):
        durability(Settings(topic_min_insync_replicas=2), 1)


def test_every_topic_states_its_min_insync_replicas() -> None:
    found = Durability(3, 2)
    assert topic_configs(RAW, found)["min.insync.replicas"] == "2"
    compacted = topic_configs(CLUSTERS, found)
    assert compacted["min.insync.replicas"] == "2"
    assert compacted["cleanup.policy"] == "compact"
