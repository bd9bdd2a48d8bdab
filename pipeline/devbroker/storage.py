"""What the broker keeps in its data dir: layout, config, cluster id, formatted storage.

Everything here is rewritten or checked on each start except the cluster id and the
formatted log dirs, which must survive restarts for the broker to keep its data.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.devbroker.errors import BrokerError
from pipeline.devbroker.jars import Progress, deploy_file, run_tool, say_nothing
from pipeline.settings import LocalBrokerSettings

HOST = "127.0.0.1"
# Large-but-valid records (a whole article with its HTML) must fit.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# The log cleaner takes this from the heap; faust changelogs are compacted.
DEDUPE_BUFFER_BYTES = 16 * 1024 * 1024
SCRAM_MECHANISM = "SCRAM-SHA-512"
JAAS_SCRAM_SERVER = "org.apache.kafka.common.security.scram.ScramLoginModule required;"

StoreType = Literal["PKCS12", "JKS", "PEM"]

CLUSTER_ID_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}")
# StorageTool splits --add-scram on these, with no way to escape them.
SCRAM_VALUE_PATTERN = re.compile(r"[^\s,=\[\]\"']+")


@dataclass(frozen=True)
class BrokerPaths:
    """The files of one broker, all inside its data dir."""

    data_dir: Path
    properties: Path
    log_dirs: Path
    log_file: Path
    pid_file: Path
    cluster_id: Path
    scram_users: Path


@dataclass(frozen=True)
class BrokerTls:
    """Key material of the TLS listeners, as Kafka's ssl.keystore/truststore take it.

    A PKCS12 or JKS keystore is opened with `keystore_password`; a PEM keystore (the
    private key and certificate chain in one file) must hold an encrypted PKCS#8 key,
    and `keystore_password` is that key's password. With a truststore (PEM: the CA
    certificates) the SSL listener requires client certificates signed by it, i.e.
    mutual TLS; the SASL_SSL listener authenticates clients by SCRAM instead.
    """

    keystore: Path
    keystore_password: str = field(repr=False)
    keystore_type: StoreType = "PKCS12"
    truststore: Path | None = None
    truststore_type: StoreType = "PEM"
    truststore_password: str | None = field(default=None, repr=False)


def broker_paths(data_dir: Path) -> BrokerPaths:
    """The layout of a data dir, as absolute paths (the broker has its own cwd)."""
    root = data_dir.expanduser().resolve()
    return BrokerPaths(
        data_dir=root,
        properties=root / "server.properties",
        log_dirs=root / "kafka-data",
        log_file=root / "broker.log",
        pid_file=root / "broker.pid",
        cluster_id=root / "cluster.id",
        scram_users=root / "scram-users",
    )


def controller_port(config: LocalBrokerSettings) -> int:
    """The KRaft controller's port: configured, or the one after the client port."""
    return config.port + 1 if config.controller_port is None else config.controller_port


def sasl_port(config: LocalBrokerSettings) -> int:
    """The SASL_PLAINTEXT listener's port: the first after the other two."""
    return max(config.port, controller_port(config)) + 1


def ssl_port(config: LocalBrokerSettings) -> int:
    """The SSL listener's port: the one after the SASL_PLAINTEXT port."""
    return sasl_port(config) + 1


def sasl_ssl_port(config: LocalBrokerSettings) -> int:
    """The SASL_SSL listener's port: the one after the SSL port."""
    return sasl_port(config) + 2


def client_listeners(
    config: LocalBrokerSettings, *, with_sasl: bool, with_tls: bool
) -> dict[str, int]:
    """Port of each client listener; its name is also its security protocol."""
    listeners = {"PLAINTEXT": config.port}
    if with_sasl:
        listeners["SASL_PLAINTEXT"] = sasl_port(config)
    if with_tls:
        listeners["SSL"] = ssl_port(config)
    if with_sasl and with_tls:
        listeners["SASL_SSL"] = sasl_ssl_port(config)
    return listeners


@dataclass(frozen=True)
class Quorum:
    """A node's place among the combined broker-controller nodes of a local cluster:
    its id (1-based) and the controller port of every node, in id order."""

    node_id: int
    controller_ports: tuple[int, ...]

    @property
    def voters(self) -> str:
        """controller.quorum.voters: every node votes for the metadata leader."""
        return ",".join(
            f"{node}@{HOST}:{port}"
            for node, port in enumerate(self.controller_ports, start=1)
        )

    @property
    def replicas(self) -> int:
        """Copies of each internal topic's partitions: three at most, as is usual."""
        return min(3, len(self.controller_ports))

    @property
    def min_insync(self) -> int:
        """Copies a write must reach: all but one, so one node may be down."""
        return max(1, self.replicas - 1)


def single_node(config: LocalBrokerSettings) -> Quorum:
    """The quorum of a one-node broker: itself."""
    return Quorum(node_id=1, controller_ports=(controller_port(config),))


def render_server_properties(
    config: LocalBrokerSettings,
    log_dirs: Path,
    *,
    with_sasl: bool = False,
    tls: BrokerTls | None = None,
    quorum: Quorum | None = None,
) -> str:
    """server.properties of a KRaft broker and controller that listens on loopback
    only: a single node, or one node of a local cluster (``quorum``)."""
    quorum = quorum or single_node(config)
    cport = controller_port(config)
    clients = client_listeners(config, with_sasl=with_sasl, with_tls=tls is not None)
    advertised = [f"{name}://{HOST}:{port}" for name, port in clients.items()]
    listeners = [*advertised, f"CONTROLLER://{HOST}:{cport}"]
    protocols = [f"{name}:{name}" for name in clients] + ["CONTROLLER:PLAINTEXT"]
    lines = [
        "# Written by newsline on every `broker start`; edits here are overwritten.",
        "process.roles=broker,controller",
        f"node.id={quorum.node_id}",
        f"controller.quorum.voters={quorum.voters}",
        f"listeners={','.join(listeners)}",
        f"advertised.listeners={','.join(advertised)}",
        "inter.broker.listener.name=PLAINTEXT",
        "controller.listener.names=CONTROLLER",
        f"listener.security.protocol.map={','.join(protocols)}",
        f"log.dirs={log_dirs}",
        "num.partitions=4",
        "auto.create.topics.enable=true",
        f"offsets.topic.replication.factor={quorum.replicas}",
        "offsets.topic.num.partitions=1",
        f"transaction.state.log.replication.factor={quorum.replicas}",
        f"transaction.state.log.min.isr={quorum.min_insync}",
        # Topics created without their own settings (faust's internal ones) are
        # replicated like the cluster's internal topics.
        f"default.replication.factor={quorum.replicas}",
        f"min.insync.replicas={quorum.min_insync}",
        "group.initial.rebalance.delay.ms=0",
        f"log.cleaner.dedupe.buffer.size={DEDUPE_BUFFER_BYTES}",
        f"message.max.bytes={MAX_MESSAGE_BYTES}",
        f"replica.fetch.max.bytes={MAX_MESSAGE_BYTES}",
    ]
    if with_sasl:
        lines.append(f"sasl.enabled.mechanisms={SCRAM_MECHANISM}")
    # Inter-broker traffic stays PLAINTEXT, so the server side needs no credentials
    # of its own, only the login module on each SASL listener.
    lines += [
        f"listener.name.{name.lower()}.{SCRAM_MECHANISM.lower()}.sasl.jaas.config="
        + JAAS_SCRAM_SERVER
        for name in clients
        if name.startswith("SASL")
    ]
    if tls is not None:
        lines += tls_properties(tls)
    return "\n".join(lines) + "\n"


def tls_properties(tls: BrokerTls) -> list[str]:
    """The ssl.* lines of server.properties for the SSL and SASL_SSL listeners."""
    lines = [
        f"ssl.keystore.type={tls.keystore_type}",
        f"ssl.keystore.location={tls.keystore.resolve()}",
        f"ssl.key.password={tls.keystore_password}",
    ]
    if tls.keystore_type != "PEM":
        # Kafka refuses a store password on PEM keystores: only the key has one.
        lines.append(f"ssl.keystore.password={tls.keystore_password}")
    if tls.truststore is not None:
        lines += [
            f"ssl.truststore.type={tls.truststore_type}",
            f"ssl.truststore.location={tls.truststore.resolve()}",
            # Only on the SSL listener: SASL_SSL clients prove who they are by SCRAM.
            "listener.name.ssl.ssl.client.auth=required",
        ]
        if tls.truststore_password is not None:
            lines.append(f"ssl.truststore.password={tls.truststore_password}")
    return lines


def check_tls(tls: BrokerTls) -> None:
    """Fail before starting java when a TLS store is missing."""
    for what, path in (("keystore", tls.keystore), ("truststore", tls.truststore)):
        if path is not None and not path.is_file():
            raise BrokerError(f"The broker's TLS {what} {path} does not exist.")


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every one of `secrets` replaced by asterisks."""
    for secret in secrets:
        text = text.replace(secret, "******")
    return text


def advertised_address(properties: str, listener: str) -> str | None:
    """host:port that server.properties advertises for `listener`, if any."""
    for line in properties.splitlines():
        key, _, value = line.partition("=")
        if key.strip() != "advertised.listeners":
            continue
        for entry in value.split(","):
            name, _, address = entry.strip().partition("://")
            if name == listener:
                return address
    return None


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding."""
    while True:
        cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        # A leading '-' would be read as an option by StorageTool's argument parser.
        if not cluster_id.startswith("-"):
            return cluster_id


def formatted_cluster_id(paths: BrokerPaths) -> str | None:
    """The cluster id the log dirs were formatted with, if they were."""
    meta = paths.log_dirs / "meta.properties"
    if not meta.is_file():
        return None
    for line in meta.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "cluster.id":
            return value.strip()
    return None


def ensure_cluster_id(paths: BrokerPaths) -> str:
    """The data dir's cluster id, created on first use and kept for good."""
    if paths.cluster_id.is_file():
        kept = paths.cluster_id.read_text().strip()
        if CLUSTER_ID_PATTERN.fullmatch(kept):
            return kept
    # Formatted storage only accepts its own id, so a lost cluster.id is recovered.
    cluster_id = formatted_cluster_id(paths) or new_cluster_id()
    paths.cluster_id.write_text(cluster_id + "\n")
    return cluster_id


def check_scram_users(users: Mapping[str, str]) -> None:
    """Refuse names or passwords that StorageTool's --add-scram syntax cannot carry."""
    for name, password in users.items():
        for what, value in (("name", name), ("password", password)):
            if not SCRAM_VALUE_PATTERN.fullmatch(value):
                raise BrokerError(
                    f"SCRAM user {name!r}: the {what} must be non-empty and free of "
                    "whitespace, quotes, ',', '=', '[' and ']'."
                )


def formatted_scram_users(paths: BrokerPaths) -> set[str]:
    """The SCRAM user names the storage was formatted with."""
    if not paths.scram_users.is_file():
        return set()
    return {line for line in paths.scram_users.read_text().splitlines() if line}


def check_users_formatted(paths: BrokerPaths, users: Mapping[str, str]) -> None:
    """SCRAM users exist only if added at format time; say so when they were not."""
    if formatted_cluster_id(paths) is None:
        return
    missing = sorted(set(users) - formatted_scram_users(paths))
    if missing:
        raise BrokerError(
            f"The broker storage in {paths.data_dir} was formatted without the SCRAM "
            f"user(s) {', '.join(missing)}; SCRAM users are created only when storage "
            "is first formatted. Use a fresh data dir."
        )


def scram_arguments(users: Mapping[str, str]) -> list[str]:
    """StorageTool arguments that create `users` with SCRAM_MECHANISM credentials."""
    arguments: list[str] = []
    for name, password in sorted(users.items()):
        arguments += [
            "--add-scram",
            f"{SCRAM_MECHANISM}=[name={name},password={password}]",
        ]
    return arguments


def format_storage(
    java: str,
    libs: Path,
    paths: BrokerPaths,
    *,
    cluster_id: str,
    scram_users: Mapping[str, str],
    progress: Progress = say_nothing,
) -> bool:
    """Format the log dirs unless they already are; True if this call formatted them."""
    if formatted_cluster_id(paths) is not None:
        return False
    progress(f"Formatting broker storage in {paths.log_dirs}")
    log4j = deploy_file("log4j.properties")
    command = [
        java, f"-Dlog4j.configuration={log4j.as_uri()}", "-cp", f"{libs}/*",
        "kafka.tools.StorageTool", "format", "-t", cluster_id,
        "-c", str(paths.properties), "--ignore-formatted",
        *scram_arguments(scram_users),
    ]  # fmt: skip
    try:
        run_tool(command, doing="Formatting the broker storage", timeout_s=120.0)
    except BrokerError as error:
        # The passwords are arguments of the command; its output must not show them.
        message = redact(str(error), scram_users.values())
        raise BrokerError(message) from None
    paths.scram_users.write_text("".join(f"{name}\n" for name in sorted(scram_users)))
    return True
