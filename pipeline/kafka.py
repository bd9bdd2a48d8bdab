"""Connection options for every Kafka client newsline makes, from the settings object.

faust (the worker) and aiokafka (replay, tail, admin) take the same facts in different
shapes; both are derived here so a SASL or TLS deployment changes settings only.
"""

from __future__ import annotations

import ssl
from contextlib import suppress
from typing import Any

import faust
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from pipeline.settings import Settings
from pipeline.topics import ALL, partition_count, topic_name

#: Largest record newsline produces or fetches; the local broker accepts as much.
MAX_RECORD_BYTES = 64 * 1024 * 1024


def bootstrap_list(settings: Settings) -> list[str]:
    """The bootstrap servers as a list of host:port."""
    return [s.strip() for s in settings.kafka_bootstrap_servers.split(",") if s.strip()]


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """A TLS context when the protocol uses TLS; verifies brokers with the CA file."""
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    return ssl.create_default_context(cafile=cafile)


def _sasl_password(settings: Settings) -> str | None:
    secret = settings.kafka_sasl_password
    return secret.get_secret_value() if secret else None


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


async def ensure_topics(settings: Settings) -> list[str]:
    """Create the pipeline's topics that do not exist yet; returns the ones created.

    Created here rather than by broker auto-creation so that they get the configured
    partition count and compaction, whichever client touches them first.
    """
    admin = AIOKafkaAdminClient(**aiokafka_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                topic_name(settings, spec),
                num_partitions=partition_count(settings, spec),
                replication_factor=settings.topic_replication_factor,
                topic_configs={"cleanup.policy": "compact"} if spec.compacted else {},
            )
            for spec in ALL
            if topic_name(settings, spec) not in existing
        ]
        if missing:
            # Another client may create them between our list and our create.
            with suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
        return [t.name for t in missing]
    finally:
        await admin.close()
