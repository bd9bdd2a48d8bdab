"""A local cluster: ``newsline broker start --nodes 3`` and one node at a time.

Each node is a combined KRaft broker and controller with a data dir of its own
(``<data dir>/node-N``); node N listens on ``port + 2(N-1)`` and its controller on
the port after it, so node 1 has the ports a single broker would. Every node votes in
the metadata quorum, so three nodes keep working with one down. The data dir records
the number of nodes and the first ports (``cluster.layout``) the first time, and
every later command follows them.
The cluster serves PLAINTEXT only: SCRAM users and TLS are for a single node.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.devbroker.errors import BrokerError
from pipeline.devbroker.jars import Progress, say_nothing
from pipeline.devbroker.launcher import (
    abandon,
    bootstrap_address,
    spawn_node,
    wait_until_ready,
)
from pipeline.devbroker.probe import broker_count, metadata_answers
from pipeline.devbroker.process import live_broker_pid, signal_group, terminate_broker
from pipeline.devbroker.storage import (
    BrokerPaths,
    Quorum,
    broker_paths,
    controller_port,
    ensure_cluster_id,
    formatted_cluster_id,
)
from pipeline.settings import LocalBrokerSettings

LAYOUT_FILE = "cluster.layout"
#: Node N's ports are the first node's plus this times N-1: a client port and the
#: controller's.
PORTS_PER_NODE = 2
RETRY_S = 0.5


@dataclass(frozen=True)
class Node:
    """One node of the cluster: its id and the settings of its own broker."""

    node_id: int
    config: LocalBrokerSettings

    @property
    def paths(self) -> BrokerPaths:
        return broker_paths(self.config.data_dir)

    @property
    def address(self) -> str:
        return bootstrap_address(self.config)


@dataclass(frozen=True)
class NodeStatus:
    """What `broker status` says of a node: its pid file's live process, and
    whether it answers a metadata request."""

    node_id: int
    address: str
    pid: int | None
    up: bool

    def describe(self) -> str:
        pid = "-" if self.pid is None else str(self.pid)
        state = "up" if self.up else ("starting or stuck" if self.pid else "down")
        return f"node {self.node_id}  {self.address}  pid {pid}  {state}"


@dataclass(frozen=True)
class ClusterInfo:
    """A running cluster: its bootstrap list and its nodes."""

    bootstrap: str
    nodes: tuple[NodeStatus, ...]
    started: tuple[int, ...]
    started_in_s: float


@dataclass(frozen=True)
class Layout:
    """What a cluster's data dir records when first started: its size and the first
    node's ports, which every later command follows."""

    nodes: int
    port: int
    controller_port: int

    def render(self) -> str:
        return (
            f"nodes={self.nodes}\nport={self.port}\n"
            f"controller_port={self.controller_port}\n"
        )


def recorded_layout(data_dir: Path) -> Layout | None:
    """The layout the data dir's cluster was first started with, if any."""
    try:
        text = (data_dir.expanduser().resolve() / LAYOUT_FILE).read_text()
        values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        return Layout(
            int(values["nodes"]), int(values["port"]), int(values["controller_port"])
        )
    except (OSError, ValueError, KeyError):
        return None


def is_cluster(config: LocalBrokerSettings) -> bool:
    """Whether `broker` commands on this config address a cluster, not one node."""
    recorded = recorded_layout(config.data_dir)
    return (recorded.nodes if recorded else config.nodes) > 1


def cluster_layout(config: LocalBrokerSettings) -> Layout:
    """The data dir's cluster: as recorded, or as asked for a new one. A size or
    port asked for that differs from the recorded one is an error, not a move."""
    root = config.data_dir.expanduser().resolve()
    asked = Layout(config.nodes, config.port, controller_port(config))
    recorded = recorded_layout(root)
    if recorded is None:
        if config.nodes > 1 and formatted_cluster_id(broker_paths(root)) is not None:
            raise BrokerError(
                f"{root} holds the storage of a one-node broker; start a cluster of "
                f"{config.nodes} nodes in another data dir (--data-dir)."
            )
        return asked
    given = config.model_fields_set
    for field, value in (("nodes", asked.nodes), ("port", asked.port)):
        if field in given and value != getattr(recorded, field):
            raise BrokerError(
                f"The cluster in {root} was made with {field} "
                f"{getattr(recorded, field)}, not {value}; a cluster keeps its size "
                "and ports (use another data dir for others)."
            )
    return recorded


def cluster_nodes(
    layout: Layout, data_dir: Path, base: LocalBrokerSettings
) -> list[Node]:
    """The nodes of a cluster, each with its own data dir and ports."""
    root = data_dir.expanduser().resolve()
    nodes = [
        Node(
            node_id=number,
            config=base.model_copy(
                update={
                    "data_dir": root / f"node-{number}",
                    "port": layout.port + PORTS_PER_NODE * (number - 1),
                    "controller_port": layout.controller_port
                    + PORTS_PER_NODE * (number - 1),
                }
            ),
        )
        for number in range(1, layout.nodes + 1)
    ]
    check_ports_distinct(nodes)
    return nodes


def nodes_of(config: LocalBrokerSettings) -> list[Node]:
    """The nodes of the data dir's cluster (see ``cluster_layout``)."""
    return cluster_nodes(cluster_layout(config), config.data_dir, config)


def check_ports_distinct(nodes: list[Node]) -> None:
    """Refuse a layout where one node's port is another's (an odd controller port)."""
    ports = [
        port
        for node in nodes
        for port in (node.config.port, controller_port(node.config))
    ]
    if len(set(ports)) < len(ports) or max(ports) >= 1 << 16:
        raise BrokerError(
            f"The nodes' ports {ports} overlap or run past 65535: leave the controller "
            "port unset (each node's controller takes the port after its own) or "
            "choose another first port."
        )


def quorum_of(nodes: list[Node], node: Node) -> Quorum:
    return Quorum(
        node_id=node.node_id,
        controller_ports=tuple(controller_port(each.config) for each in nodes),
    )


def shared_cluster_id(root: Path, nodes: list[Node]) -> str:
    """The cluster's id: the one its nodes were formatted with, else the data dir's."""
    for node in nodes:
        formatted = formatted_cluster_id(node.paths)
        if formatted is not None:
            return formatted
    return ensure_cluster_id(broker_paths(root))


def start_cluster(
    config: LocalBrokerSettings,
    *,
    only: int | None = None,
    progress: Progress = say_nothing,
) -> ClusterInfo:
    """Start every node of the data dir's cluster that is not running (or node
    `only`), then wait until each answers and, for a whole cluster, until the
    cluster reports all its brokers."""
    began = time.monotonic()
    root = config.data_dir.expanduser().resolve()
    layout = cluster_layout(config)
    nodes = cluster_nodes(layout, root, config)
    chosen = select(nodes, only)
    if only is not None and recorded_layout(root) is None:
        raise BrokerError(f"There is no cluster in {root} to start node {only} of.")
    root.mkdir(parents=True, exist_ok=True)
    (root / LAYOUT_FILE).write_text(layout.render())
    cluster_id = shared_cluster_id(root, nodes)
    spawned: dict[int, int] = {}
    try:
        for node in chosen:
            if live_broker_pid(node.paths) is None:
                spawned[node.node_id] = spawn_node(
                    node.config,
                    node.paths,
                    {},
                    quorum=quorum_of(nodes, node),
                    cluster_id=cluster_id,
                    progress=progress,
                )
        for node in chosen:
            pid = spawned.get(node.node_id) or live_broker_pid(node.paths)
            if pid is None:
                raise BrokerError(
                    f"Node {node.node_id} exited; see {node.paths.log_file}"
                )
            wait_until_ready(node.config, node.paths, pid)
        if only is None:
            wait_for_brokers(config, nodes)
    except BrokerError:
        for node in chosen:
            if node.node_id in spawned:
                abandon(node.paths, spawned[node.node_id])
        raise
    return ClusterInfo(
        bootstrap=bootstrap_list(nodes),
        nodes=tuple(node_status(node) for node in nodes),
        started=tuple(spawned),
        started_in_s=time.monotonic() - began,
    )


def select(nodes: list[Node], only: int | None) -> list[Node]:
    """All nodes, or node `only`; a clear error for a node the cluster lacks."""
    if only is None:
        return nodes
    if not 1 <= only <= len(nodes):
        raise BrokerError(f"The cluster has nodes 1 to {len(nodes)}, not {only}.")
    return [nodes[only - 1]]


def wait_for_brokers(config: LocalBrokerSettings, nodes: list[Node]) -> None:
    """Wait until the cluster's metadata lists every node as a broker: before
    then, a topic with three replicas cannot be created."""
    deadline = time.monotonic() + config.start_timeout_s
    seen = 0
    while time.monotonic() < deadline:
        seen = broker_count(bootstrap_list(nodes))
        if seen == len(nodes):
            return
        time.sleep(RETRY_S)
    raise BrokerError(
        f"Only {seen} of the cluster's {len(nodes)} brokers registered within "
        f"{config.start_timeout_s:.0f} s; see each node's broker.log under "
        f"{config.data_dir}."
    )


def stop_cluster(
    config: LocalBrokerSettings, *, only: int | None = None, timeout_s: float = 30.0
) -> list[int]:
    """Stop the cluster's running nodes (or node `only`); the ids of those stopped.

    All are asked to stop at once: a node stopped alone waits for the quorum to
    move its partitions, which the last nodes of a stopping cluster no longer have.
    """
    nodes = select(nodes_of(config), only)
    running = [(node, live_broker_pid(node.paths)) for node in nodes]
    live = [(node, pid) for node, pid in running if pid is not None]
    for _, pid in live:
        signal_group(pid, signal.SIGTERM)
    for node, pid in live:
        terminate_broker(pid, timeout_s=timeout_s)
        node.paths.pid_file.unlink(missing_ok=True)
    return [node.node_id for node, _ in live]


def cluster_status(config: LocalBrokerSettings) -> list[NodeStatus]:
    """Each node of the data dir's cluster: address, pid and whether it answers."""
    return [node_status(node) for node in nodes_of(config)]


def node_status(node: Node) -> NodeStatus:
    pid = live_broker_pid(node.paths)
    return NodeStatus(
        node_id=node.node_id,
        address=node.address,
        pid=pid,
        up=pid is not None and metadata_answers(node.address),
    )


def bootstrap_list(nodes: list[Node]) -> str:
    """host:port,host:port,... of every node, for NEWSLINE_KAFKA_BOOTSTRAP_SERVERS."""
    return ",".join(node.address for node in nodes)
