"""Integration fixtures: a real Kafka broker, and per-test topics, groups and workers.

The broker comes from NEWSLINE_KAFKA_BOOTSTRAP_SERVERS when set, else from
testcontainers (Confluent cp-kafka 7.9, KRaft) when a Docker engine answers, else from
``newsline broker start`` on a free port. On CI (CI=true) a missing broker fails the
run instead of skipping the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.measure import free_port
from pipeline.cli.supervise import WorkerProcess
from pipeline.settings import Settings
from tests.integration.outcomes import Reference, reference_of
from tests.integration.streams import FAULT_RUN, Stream, write_stream

CP_KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        probe = subprocess.run(
            ["docker", "info"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"no Kafka broker for the integration tests: {reason}")
    pytest.skip(f"no Kafka broker: {reason}")


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("NEWSLINE_KAFKA_BOOTSTRAP_SERVERS")
    if given:
        yield given
    elif _docker_answers():
        yield from _container_broker()
    else:
        yield from _local_broker(tmp_path_factory.mktemp("broker"))


def _container_broker() -> Iterator[str]:
    from testcontainers.kafka import KafkaContainer

    with KafkaContainer(CP_KAFKA_IMAGE).with_kraft() as kafka:
        yield kafka.get_bootstrap_server()


def _local_broker(data_dir: Path) -> Iterator[str]:
    from pipeline.devbroker import BrokerError, start_broker, stop_broker

    port = free_port()
    # From the environment's settings, so NEWSLINE_BROKER__CACHE_DIR and heap apply.
    config = Settings().broker.model_copy(
        update={"data_dir": data_dir, "port": port, "controller_port": free_port()}
    )
    try:
        info = start_broker(config)
    except BrokerError as error:
        _unavailable(str(error))
        return
    try:
        yield info.bootstrap
    finally:
        stop_broker(config)


@pytest.fixture
def settings_factory(kafka_bootstrap: str, tmp_path: Path) -> Callable[..., Settings]:
    """Settings with this test's own topics, consumer group, state and web port."""

    def make(**overrides: object) -> Settings:
        run = uuid.uuid4().hex[:10]
        values: dict[str, object] = {
            "kafka_bootstrap_servers": kafka_bootstrap,
            "topic_prefix": f"test-{run}.",
            "app_id": f"newsline-test-{run}",
            "data_dir": tmp_path / f"state-{run}",
            "web_port": free_port(),
            "topic_partitions": 4,
            "batch_within_s": 0.05,
        }
        return Settings(**(values | overrides))  # type: ignore[arg-type]

    return make


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process the same settings."""
    return settings.as_environment()


@pytest.fixture
def worker_factory(tmp_path: Path) -> Iterator[Callable[[Settings], WorkerProcess]]:
    """Starts ``newsline worker`` processes; stops them after the test."""
    started: list[WorkerProcess] = []

    def start(settings: Settings) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        worker = WorkerProcess(log_path=log, env=settings_env(settings)).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def worker(
    worker_factory: Callable[[Settings], WorkerProcess], settings: Settings
) -> WorkerProcess:
    return worker_factory(settings)


@pytest.fixture(scope="session")
def stream(tmp_path_factory: pytest.TempPathFactory) -> Stream:
    """The fault runs' stream: real sentences, designed copies and bad records."""
    return write_stream(tmp_path_factory.mktemp("stream") / "stream.jsonl", FAULT_RUN)


@pytest.fixture(scope="session")
def reference(stream: Stream, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """What ``newsline extract`` makes of ``stream``: the runs' expected records."""
    return reference_of(stream.path, tmp_path_factory.mktemp("reference"))
