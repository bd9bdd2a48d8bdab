"""Connection options for every Kafka client newsline makes, from the settings object.

faust (the worker) and aiokafka (replay, tail, admin) take the same facts in different
shapes; both are derived here so a SASL or TLS deployment changes settings only.

``check_access`` is what replay, tail and the worker run first: one connection that
authenticates and fetches metadata, so that a wrong password, a missing CA or an
unreachable broker stops them at once with one line that names the cause.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable, Collection, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaClient, AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.conn import collect_hosts, create_conn
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    TopicAlreadyExistsError,
    UnsupportedSaslMechanismError,
)
from aiokafka.protocol.metadata import MetadataRequest
from pydantic import SecretStr

from pipeline.settings import Settings

if TYPE_CHECKING:
    import faust

from pipeline.topics import (
    ALL,
    RAW,
    TopicSpec,
    check_topic_names,
    partition_count,
    topic_name,
)

#: Largest record newsline produces or fetches, and what each pipeline topic accepts
#: (``ensure_topics``). Below Kafka's default socket.request.max.bytes (100 MiB),
#: which the produce request carrying the record must fit in.
MAX_RECORD_BYTES = 96 * 1024 * 1024
#: Room in a dead letter for everything but the base64 original: the reason, the
#: other fields, the JSON around them.
DEAD_LETTER_SLACK_BYTES = 64 * 1024
#: Largest record ``articles.raw`` accepts: one whose dead letter, which carries the
#: value and key base64-encoded (4/3 of their size), still fits in MAX_RECORD_BYTES.
#: A too_large article must reach the dead letter topic with its bytes, not be lost.
MAX_INPUT_RECORD_BYTES = (MAX_RECORD_BYTES - DEAD_LETTER_SLACK_BYTES) * 3 // 4


def bootstrap_list(settings: Settings) -> list[str]:
    """The bootstrap servers as a list of host:port."""
    return [s.strip() for s in settings.kafka_bootstrap_servers.split(",") if s.strip()]


BOOTSTRAP_FORM = "host:port, e.g. 127.0.0.1:9092 ([::1]:9092 for IPv6), comma separated"


def check_bootstrap_servers(settings: Settings) -> None:
    """Raise KafkaAccessError, naming the setting, unless every server is host:port.

    aiokafka would raise a ValueError deep in a connection, or an OverflowError for a
    port past 65535; the setting is checked here, before any client is made.
    """
    servers = bootstrap_list(settings)
    if not servers:
        raise KafkaAccessError(
            f"NEWSLINE_KAFKA_BOOTSTRAP_SERVERS is empty; set it to {BOOTSTRAP_FORM}"
        )
    for server in servers:
        if not _is_host_and_port(server):
            raise KafkaAccessError(
                f"NEWSLINE_KAFKA_BOOTSTRAP_SERVERS: {server!r} is not host:port; "
                f"give {BOOTSTRAP_FORM}"
            )


def _is_host_and_port(server: str) -> bool:
    host, colon, port = server.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # an IPv6 address, bracketed so its colons are not the port's
    elif ":" in host:
        return False
    return bool(colon and host and port.isdigit() and 0 < int(port) < 65536)


#: How long check_access waits for one broker to connect, authenticate and answer.
ACCESS_TIMEOUT_S = 15.0
ACCESS_CLIENT_ID = "newsline-access-check"


# Why a broker hangs up on a client of each protocol, most likely first.
HANGUP_HINTS = {
    "PLAINTEXT": "does its listener need SASL or TLS?",
    "SSL": "does it require a client certificate (NEWSLINE_KAFKA_SSL_CERTFILE)?",
    "SASL_PLAINTEXT": "is this a SASL listener, without TLS?",
    "SASL_SSL": "is this a SASL listener over TLS?",
}


class KafkaAccessError(Exception):
    """The brokers could not be reached or refused us; the message is one line."""


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """A TLS context when the protocol uses TLS; verifies brokers with the CA file.

    With a client certificate it also answers brokers that require mutual TLS.
    """
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    context = ssl.create_default_context(cafile=cafile)
    if settings.kafka_ssl_certfile is not None:
        # Never None: OpenSSL would then ask for the password on the terminal, and a
        # worker would wait there; "" fails on an encrypted key, is unused otherwise.
        password = _secret(settings.kafka_ssl_key_password) or ""
        context.load_cert_chain(
            settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile, password
        )
    return context


def _secret(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret else None


def _sasl_password(settings: Settings) -> str | None:
    return _secret(settings.kafka_sasl_password)


def aiokafka_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments shared by aiokafka producers, consumers and admin clients."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_list(settings),
        "security_protocol": settings.kafka_security_protocol,
        "ssl_context": ssl_context(settings),
    }
    if settings.kafka_security_protocol.startswith("SASL"):
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": _sasl_password(settings),
        }
    return options


def faust_credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """The same connection facts in faust's shape (None for plain connections)."""
    # Imported here: only the worker needs faust, and replay and tail start faster
    # without loading it.
    import faust

    context = ssl_context(settings)
    if settings.kafka_security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=_sasl_password(settings),
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def reader(
    settings: Settings, *topics: str, from_beginning: bool = True
) -> AIOKafkaConsumer:
    """A consumer outside any consumer group that commits nothing and fetches the
    largest record newsline writes: how tail, results, the benchmarks and the
    tests read topics. Subscribed to ``topics`` when given; else ``assign`` it."""
    return AIOKafkaConsumer(
        *topics,
        **aiokafka_options(settings),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
        fetch_max_bytes=MAX_RECORD_BYTES,
    )


def partitions_of(settings: Settings, *specs: TopicSpec) -> list[TopicPartition]:
    """Every partition of the topics, as this deployment names and sizes them."""
    return [
        TopicPartition(topic_name(settings, spec), partition)
        for spec in specs
        for partition in range(partition_count(settings, spec))
    ]


async def check_access(
    settings: Settings, *, timeout_s: float = ACCESS_TIMEOUT_S
) -> None:
    """Connect, authenticate and fetch metadata once; else raise KafkaAccessError.

    aiokafka's clients report every such failure as "Unable to bootstrap" and only log
    the cause; here the cause is the message. The first broker that answers is enough,
    as for a client's own bootstrap.
    """
    check_bootstrap_servers(settings)
    check_credentials(settings)
    options = _access_options(settings)
    reasons = []
    for host, port, _ in collect_hosts(settings.kafka_bootstrap_servers, False):
        address = f"{host}:{port}"
        try:
            await asyncio.wait_for(
                _fetch_metadata(host, port, options, timeout_s=timeout_s), timeout_s
            )
        except (OSError, KafkaError) as error:
            # OSError covers refused connections, TLS failures and (3.11+) timeouts.
            reasons.append(describe_failure(settings, address, error, timeout_s))
        else:
            return
    raise KafkaAccessError("; ".join(reasons))


def check_credentials(settings: Settings) -> None:
    """SASL needs a user name and a password; say which setting is missing."""
    protocol = settings.kafka_security_protocol
    if not protocol.startswith("SASL"):
        return
    missing = [
        f"NEWSLINE_KAFKA_SASL_{name.upper()}"
        for name, value in (
            ("username", settings.kafka_sasl_username),
            ("password", settings.kafka_sasl_password),
        )
        if not value
    ]
    if missing:
        raise KafkaAccessError(
            f"NEWSLINE_KAFKA_SECURITY_PROTOCOL is {protocol} but "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set"
        )


def _access_options(settings: Settings) -> dict[str, Any]:
    """aiokafka_options for one connection; unloadable TLS files are access errors."""
    try:
        options = aiokafka_options(settings)
    except OSError as error:  # ssl.SSLError is one too
        raise KafkaAccessError(describe_tls_files(settings, error)) from error
    del options["bootstrap_servers"]
    return options


def describe_tls_files(settings: Settings, error: OSError) -> str:
    """One line on why the CA, certificate or key files could not be loaded."""
    files = {
        "NEWSLINE_KAFKA_SSL_CAFILE": settings.kafka_ssl_cafile,
        "NEWSLINE_KAFKA_SSL_CERTFILE": settings.kafka_ssl_certfile,
        "NEWSLINE_KAFKA_SSL_KEYFILE": settings.kafka_ssl_keyfile,
    }
    missing = [
        f"{name}={path}" for name, path in files.items() if path and not path.is_file()
    ]
    if missing:
        return f"TLS file not found: {', '.join(missing)}"
    given = ", ".join(f"{name}={path}" for name, path in files.items() if path)
    # OpenSSL says only "PEM lib" for a wrong key password or a key that is no key.
    return (
        f"cannot load the TLS files ({given}): {error}; is each a PEM file, and is "
        "NEWSLINE_KAFKA_SSL_KEY_PASSWORD the key's password?"
    )


async def _fetch_metadata(
    host: str, port: int, options: dict[str, Any], *, timeout_s: float
) -> None:
    connection = await create_conn(
        host,
        port,
        client_id=ACCESS_CLIENT_ID,
        request_timeout_ms=int(timeout_s * 1000),
        **options,
    )
    try:
        await connection.send(MetadataRequest([]))
    finally:
        connection.close()


def describe_failure(
    settings: Settings, address: str, error: BaseException, timeout_s: float
) -> str:
    """One line on why `address` refused or failed us, and what setting to look at."""
    if isinstance(error, KafkaError) and not isinstance(error, KafkaConnectionError):
        return _refusal(settings, address, error)
    if isinstance(error, ssl.SSLError):
        return _tls_failure(address, error)
    return _network_failure(settings, address, error, timeout_s)


def _refusal(settings: Settings, address: str, error: KafkaError) -> str:
    reason = error.args[0] if error.args else str(error)
    if isinstance(error, SaslAuthenticationFailed):
        user = settings.kafka_sasl_username
        return f"authentication failed for user {user!r} on {address}: {reason}"
    if isinstance(error, UnsupportedSaslMechanismError):
        mechanism = settings.kafka_sasl_mechanism
        return f"the broker at {address} does not offer {mechanism}: {reason}"
    return f"the broker at {address} refused us: {error}"


def _tls_failure(address: str, error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"TLS: the certificate of the broker at {address} is not trusted "
            f"({error.verify_message}); set NEWSLINE_KAFKA_SSL_CAFILE to the CA that "
            "signed it"
        )
    reason = getattr(error, "reason", None) or error  # set only by the ssl module
    return f"TLS handshake with {address} failed: {reason}"


def _network_failure(
    settings: Settings, address: str, error: BaseException, timeout_s: float
) -> str:
    protocol = settings.kafka_security_protocol
    if isinstance(error, TimeoutError):
        return f"no answer from {address} within {timeout_s:.0f} s ({protocol})"
    if isinstance(error, KafkaConnectionError | ConnectionResetError):
        # A SASL or TLS listener hangs up on a client that skips its handshake, and
        # a mutual-TLS listener on one without a certificate.
        return (
            f"the broker at {address} closed the connection before answering "
            f"(NEWSLINE_KAFKA_SECURITY_PROTOCOL is {protocol}): "
            + HANGUP_HINTS[protocol]
        )
    if isinstance(error, OSError):
        # A reset during the handshake has no text of its own; its type says it.
        return f"cannot connect to {address}: {error.strerror or repr(error)}"
    return f"the broker at {address} failed: {error}"


#: Brokers up from which the topics newsline creates get three replicas, so that
#: one broker can fail, and a second be restarted, without losing a write.
CLUSTER_BROKERS = 3


@dataclass(frozen=True)
class Durability:
    """How the topics newsline creates are replicated (see ``durability``)."""

    replication_factor: int
    min_insync_replicas: int


def durability(settings: Settings, brokers: int) -> Durability:
    """The settings' replication, or what ``brokers`` up call for: three copies,
    two of which must have a write (acks=all), on a cluster of three or more; one
    copy on a smaller one. Raises KafkaAccessError for settings the cluster cannot
    honour, which would otherwise fail every topic creation or every write."""
    replicas = settings.topic_replication_factor or (
        3 if brokers >= CLUSTER_BROKERS else 1
    )
    insync = settings.topic_min_insync_replicas or (2 if replicas >= 3 else 1)
    if replicas > brokers:
        raise KafkaAccessError(
            f"NEWSLINE_TOPIC_REPLICATION_FACTOR is {replicas}, but the cluster has "
            f"{brokers} broker(s) up: start the others, or lower it"
        )
    if insync > replicas:
        raise KafkaAccessError(
            f"NEWSLINE_TOPIC_MIN_INSYNC_REPLICAS is {insync}, above the {replicas} "
            "replica(s) of each partition: every write would be refused"
        )
    return Durability(replicas, insync)


async def cluster_durability(settings: Settings) -> Durability:
    """``durability`` for the brokers the cluster reports up now."""
    admin = AIOKafkaAdminClient(**aiokafka_options(settings))
    await admin.start()
    try:
        return durability(settings, len((await admin.describe_cluster())["brokers"]))
    finally:
        await admin.close()


async def with_durability(settings: Settings) -> Settings:
    """The settings with the replication the cluster calls for written in, so
    that the worker's own topics (faust's changelogs) get it too."""
    found = await cluster_durability(settings)
    return settings.model_copy(
        update={
            "topic_replication_factor": found.replication_factor,
            "topic_min_insync_replicas": found.min_insync_replicas,
        }
    )


async def ensure_topics(settings: Settings) -> list[str]:
    """Create the pipeline's topics that do not exist yet; returns the ones created.

    Created here rather than by broker auto-creation so that they get the configured
    partition count, replication (``durability``), compaction and record size limit
    (``topic_configs``), whichever client touches them first. A topic that exists
    already keeps its configuration.
    """
    check_topic_names(settings)
    return await _create_missing(
        settings,
        lambda found: [
            NewTopic(
                topic_name(settings, spec),
                num_partitions=partition_count(settings, spec),
                replication_factor=found.replication_factor,
                topic_configs=topic_configs(spec, found),
            )
            for spec in ALL
        ],
    )


async def ensure_changelogs(settings: Settings, changelogs: Mapping[str, int]) -> None:
    """Create the worker's changelog topics (name: partitions) before faust starts,
    compacted and replicated like the pipeline's. faust would create them itself
    while starting, moments before its consumer group assigns partitions; on a
    cluster the broker it then asks may not know a topic that new yet, and faust
    leaves that topic out of every assignment until the next rebalance: a table
    whose changelog is never assigned cannot be written by the worker that takes it
    over. Waits until every broker knows them all, new or not."""
    await _create_missing(
        settings,
        lambda found: [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=found.replication_factor,
                topic_configs={
                    "cleanup.policy": "compact",
                    "min.insync.replicas": str(found.min_insync_replicas),
                    "max.message.bytes": str(MAX_RECORD_BYTES),
                },
            )
            for name, partitions in changelogs.items()
        ],
    )
    await known_everywhere(settings, list(changelogs))


async def _create_missing(
    settings: Settings, wanted: Callable[[Durability], list[NewTopic]]
) -> list[str]:
    """Create those of the ``wanted`` topics (made for the cluster's durability)
    that do not exist yet, and wait until every broker knows them; their names."""
    admin = AIOKafkaAdminClient(**aiokafka_options(settings))
    await admin.start()
    try:
        found = durability(settings, len((await admin.describe_cluster())["brokers"]))
        existing = set(await admin.list_topics())
        missing = [topic for topic in wanted(found) if topic.name not in existing]
        if missing:
            # Another client may create them between our list and our create.
            with suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()
    created = [topic.name for topic in missing]
    await known_everywhere(settings, created)
    return created


async def known_everywhere(
    settings: Settings, names: Collection[str], *, timeout_s: float = 30.0
) -> None:
    """Wait until every live broker's metadata has each topic of ``names`` with a
    leader for each partition. The controller knows a topic it created at once,
    the other brokers of a cluster a moment later; a client that asks one of
    those in that moment is told the topic does not exist. Gives up quietly after
    ``timeout_s``: the clients' own retries take over from there."""
    if not names:
        return
    client = AIOKafkaClient(**aiokafka_options(settings))
    await client.bootstrap()
    try:
        deadline = time.monotonic() + timeout_s
        while await _unknown_somewhere(client, names) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    finally:
        await client.close()


async def _unknown_somewhere(client: AIOKafkaClient, names: Collection[str]) -> bool:
    for broker in client.cluster.brokers():
        try:
            response = await client.send(broker.nodeId, MetadataRequest(list(names)))
        except KafkaError as error:
            if error.retriable:
                continue  # a broker going down does not hold the others up
            raise
        for topic in response.to_object()["topics"]:
            partitions = topic["partitions"]
            if topic["error_code"] != 0 or not partitions:
                return True
            if any(partition["leader"] < 0 for partition in partitions):
                return True
    return False


async def existing_topics(settings: Settings) -> set[str]:
    """The names of the topics the cluster has."""
    admin = AIOKafkaAdminClient(**aiokafka_options(settings))
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def topic_configs(spec: TopicSpec, found: Durability) -> dict[str, str]:
    """A pipeline topic's settings on the cluster.

    ``max.message.bytes`` is set per topic so that the limits hold on any cluster,
    whatever its brokers' default (1 MB unless raised), the local broker included;
    ``min.insync.replicas`` so that a write is acknowledged only once that many
    copies have it, whatever the brokers' default.
    """
    limit = MAX_INPUT_RECORD_BYTES if spec == RAW else MAX_RECORD_BYTES
    configs = {
        "max.message.bytes": str(limit),
        "min.insync.replicas": str(found.min_insync_replicas),
    }
    if spec.compacted:
        configs["cleanup.policy"] = "compact"
    return configs
