"""Readiness of the local broker.

A broker is up once a metadata round trip succeeds, not when its port opens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from aiokafka import AIOKafkaClient
from aiokafka.errors import KafkaError

PROBE_CLIENT_ID = "newsline-broker-probe"


@contextmanager
def aiokafka_silenced() -> Iterator[None]:
    """Mute aiokafka, which logs every refused connection while a broker starts."""
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


async def fetch_broker_count(bootstrap: str, *, timeout_s: float) -> int:
    """How many brokers a metadata request to `bootstrap` reports."""
    client = AIOKafkaClient(
        bootstrap_servers=bootstrap,
        client_id=PROBE_CLIENT_ID,
        request_timeout_ms=int(timeout_s * 1000),
    )
    try:
        await client.bootstrap()
        return len(client.cluster.brokers())
    finally:
        await client.close()


def metadata_answers(bootstrap: str, *, timeout_s: float = 5.0) -> bool:
    """Whether the broker at `bootstrap` answers a metadata request, naming itself."""
    return broker_count(bootstrap, timeout_s=timeout_s) > 0


def broker_count(bootstrap: str, *, timeout_s: float = 5.0) -> int:
    """How many live brokers a metadata request to `bootstrap` reports; 0 when
    nothing answers there."""
    with aiokafka_silenced():
        try:
            return asyncio.run(
                asyncio.wait_for(
                    fetch_broker_count(bootstrap, timeout_s=timeout_s), timeout_s
                )
            )
        except (KafkaError, OSError):
            # OSError covers refused connections and, since 3.11, asyncio timeouts.
            return 0
