"""The local cluster's layout: node ports, data dirs, quorum and what a data dir
records. Nothing here starts java (tests/integration/test_cluster_faults.py does)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.devbroker import BrokerError, is_cluster
from pipeline.devbroker.cluster import (
    LAYOUT_FILE,
    Layout,
    cluster_layout,
    cluster_nodes,
    quorum_of,
    recorded_layout,
    select,
)
from pipeline.devbroker.storage import render_server_properties
from pipeline.settings import LocalBrokerSettings
from tests.unit.devbroker.test_broker import parse_properties


@pytest.fixture
def config_factory(tmp_path: Path) -> Callable[..., LocalBrokerSettings]:
    def make(**overrides: object) -> LocalBrokerSettings:
        values: dict[str, object] = {"data_dir": tmp_path / "cluster", "port": 19092}
        return LocalBrokerSettings(**(values | overrides))  # type: ignore[arg-type]

    return make


def test_nodes_take_the_ports_after_the_first_two_by_two(
    config_factory: Callable[..., LocalBrokerSettings], tmp_path: Path
) -> None:
    config = config_factory(nodes=3)

    nodes = cluster_nodes(cluster_layout(config), config.data_dir, config)

    assert [(n.node_id, n.config.port, n.config.controller_port) for n in nodes] == [
        (1, 19092, 19093),
        (2, 19094, 19095),
        (3, 19096, 19097),
    ]
    assert [n.config.data_dir for n in nodes] == [
        (tmp_path / "cluster" / f"node-{n}").resolve() for n in (1, 2, 3)
    ]


def test_every_node_votes_and_topics_get_three_replicas(
    config_factory: Callable[..., LocalBrokerSettings], tmp_path: Path
) -> None:
    config = config_factory(nodes=3)
    nodes = cluster_nodes(cluster_layout(config), config.data_dir, config)

    second = nodes[1]
    props = parse_properties(
        render_server_properties(
            second.config, tmp_path, quorum=quorum_of(nodes, second)
        )
    )

    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097"
    )
    assert props["listeners"] == (
        "PLAINTEXT://127.0.0.1:19094,CONTROLLER://127.0.0.1:19095"
    )
    for key in (
        "default.replication.factor",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
    ):
        assert props[key] == "3", key
    assert props["min.insync.replicas"] == "2"
    assert props["transaction.state.log.min.isr"] == "2"


def test_a_data_dir_keeps_its_size_and_ports(
    config_factory: Callable[..., LocalBrokerSettings],
) -> None:
    config = config_factory(nodes=3)
    root = config.data_dir
    root.mkdir()
    (root / LAYOUT_FILE).write_text(Layout(3, 19092, 19093).render())

    assert recorded_layout(root) == Layout(3, 19092, 19093)
    # Later commands need neither --nodes nor --port: the data dir says.
    plain = LocalBrokerSettings(data_dir=root)
    assert is_cluster(plain)
    assert cluster_layout(plain) == Layout(3, 19092, 19093)
    with pytest.raises(BrokerError, match="made with nodes 3, not 5"):
        cluster_layout(config_factory(nodes=5))
    with pytest.raises(BrokerError, match="made with port 19092, not 29092"):
        cluster_layout(config_factory(port=29092))


def test_a_one_node_data_dir_does_not_become_a_cluster(
    config_factory: Callable[..., LocalBrokerSettings],
) -> None:
    config = config_factory(nodes=3)
    meta = config.data_dir / "kafka-data" / "meta.properties"
    meta.parent.mkdir(parents=True)
    meta.write_text("cluster.id=AAAAAAAAAAAAAAAAAAAAAA\n")

    with pytest.raises(BrokerError, match="one-node broker"):
        cluster_layout(config)
    assert not is_cluster(config_factory())


def test_overlapping_ports_and_unknown_nodes_are_refused(
    config_factory: Callable[..., LocalBrokerSettings],
) -> None:
    # A controller port that lands on the second node's client port.
    config = config_factory(nodes=3, controller_port=19094)
    with pytest.raises(BrokerError, match="overlap"):
        cluster_nodes(cluster_layout(config), config.data_dir, config)

    fine = config_factory(nodes=3)
    nodes = cluster_nodes(cluster_layout(fine), fine.data_dir, fine)
    assert select(nodes, 2) == [nodes[1]]
    with pytest.raises(BrokerError, match="nodes 1 to 3, not 4"):
        select(nodes, 4)
