"""The local broker launcher against a real Apache Kafka it starts itself.

Each test runs its own broker on free ports in a tmp data dir; the jar cache in
~/.cache/newsline/kafka is shared, so only the first run ever waits for Maven.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaClient, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from pipeline.devbroker import BrokerError, broker_status, start_broker, stop_broker
from pipeline.settings import LocalBrokerSettings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

# Far above Kafka's 1 MiB default, well under the launcher's 64 MiB limit.
LARGE_RECORD_BYTES = 10 * 1024 * 1024


def free_port_run(length: int) -> int:
    """The first of `length` consecutive free loopback ports."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            first = int(sock.getsockname()[1])
        if first + length < 65536 and all(
            port_free(port) for port in range(first, first + length)
        ):
            return first
    raise RuntimeError(f"no run of {length} free ports found")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def broker_config_factory(
    tmp_path: Path,
) -> Iterator[Callable[..., LocalBrokerSettings]]:
    """Configs on free ports in tmp dirs; their brokers are stopped afterwards."""
    if shutil.which("java") is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("java is not on PATH; CI must run the local broker")
        pytest.skip("java is not on PATH")
    made: list[LocalBrokerSettings] = []

    def make(**overrides: object) -> LocalBrokerSettings:
        values: dict[str, object] = {
            "data_dir": tmp_path / f"broker-{len(made)}",
            "port": free_port_run(3),
            "start_timeout_s": 90.0,
        }
        config = LocalBrokerSettings(**(values | overrides))  # type: ignore[arg-type]
        made.append(config)
        return config

    yield make
    for config in made:
        stop_broker(config)


@pytest.fixture
def broker_config(
    broker_config_factory: Callable[..., LocalBrokerSettings],
) -> LocalBrokerSettings:
    return broker_config_factory()


async def produce_large_record(bootstrap: str, topic: str) -> int:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, max_request_size=2 * LARGE_RECORD_BYTES
    )
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b"x" * LARGE_RECORD_BYTES)
    finally:
        await producer.stop()
    return int(sent.offset)


async def scram_broker_count(bootstrap: str, user: str, password: str) -> int:
    client = AIOKafkaClient(
        bootstrap_servers=bootstrap,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username=user,
        sasl_plain_password=password,
        request_timeout_ms=10_000,
    )
    try:
        await client.bootstrap()
        return len(client.cluster.brokers())
    finally:
        await client.close()


def test_start_status_restart_and_stop(broker_config: LocalBrokerSettings) -> None:
    info = start_broker(broker_config)

    assert not info.already_running
    assert info.bootstrap == f"127.0.0.1:{broker_config.port}"
    assert info.sasl_bootstrap is None
    status = broker_status(broker_config)
    assert status is not None
    assert status.pid == info.pid
    again = start_broker(broker_config)
    assert again.already_running
    assert again.pid == info.pid
    # Topics are created on first use and take records far above 1 MiB.
    assert asyncio.run(produce_large_record(info.bootstrap, "launcher-large")) == 0

    assert stop_broker(broker_config)
    assert broker_status(broker_config) is None
    assert not stop_broker(broker_config)


def test_restart_keeps_the_data_dir(broker_config: LocalBrokerSettings) -> None:
    start_broker(broker_config)
    cluster_id = (broker_config.data_dir / "cluster.id").read_text()
    stop_broker(broker_config)

    info = start_broker(broker_config)

    assert not info.already_running
    assert (broker_config.data_dir / "cluster.id").read_text() == cluster_id


def test_port_taken_by_another_broker_is_reported(
    broker_config_factory: Callable[..., LocalBrokerSettings],
) -> None:
    first = broker_config_factory()
    start_broker(first)
    second = broker_config_factory(port=first.port)

    with pytest.raises(BrokerError, match="already in use by a Kafka broker"):
        start_broker(second)


def test_scram_user_authenticates(
    broker_config: LocalBrokerSettings,
) -> None:
    info = start_broker(broker_config, scram_users={"alice": "alice-secret"})

    assert info.sasl_bootstrap is not None
    assert (
        asyncio.run(scram_broker_count(info.sasl_bootstrap, "alice", "alice-secret"))
        == 1
    )
    with pytest.raises(KafkaConnectionError):
        asyncio.run(scram_broker_count(info.sasl_bootstrap, "alice", "wrong"))
