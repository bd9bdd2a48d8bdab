"""The local Apache Kafka behind `newsline broker start|stop|status`.

A KRaft broker (one node, or a local cluster: see cluster.py), run from jars that
Maven resolves once into a per-version cache, listening on 127.0.0.1 only. A data dir
holds server.properties (rewritten on each start), the cluster id and formatted
storage (kept between runs), broker.log and broker.pid; a cluster's nodes have one
each under it. Starting is idempotent: a live broker of the same data dir is reused.
Besides PLAINTEXT a single node can serve SASL/SCRAM (users created when storage is
formatted) and TLS listeners, on the ports after the controller's; see
docs/security.md. Needs `java` (17+) and, for the first run, `mvn` on PATH.
"""

from pipeline.devbroker.cluster import (
    ClusterInfo,
    NodeStatus,
    cluster_status,
    is_cluster,
    start_cluster,
    stop_cluster,
)
from pipeline.devbroker.errors import BrokerError
from pipeline.devbroker.jars import KAFKA_VERSION, resolve_jars
from pipeline.devbroker.launcher import (
    BrokerInfo,
    BrokerStatus,
    broker_status,
    local_broker_status,
    start_broker,
    stop_broker,
)
from pipeline.devbroker.storage import BrokerTls

__all__ = [
    "KAFKA_VERSION",
    "BrokerError",
    "BrokerInfo",
    "BrokerStatus",
    "BrokerTls",
    "ClusterInfo",
    "NodeStatus",
    "broker_status",
    "cluster_status",
    "is_cluster",
    "local_broker_status",
    "resolve_jars",
    "start_broker",
    "start_cluster",
    "stop_broker",
    "stop_cluster",
]
