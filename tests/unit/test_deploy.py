"""The Docker compose recipe stays in step with the local broker and the CLI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.devbroker import KAFKA_VERSION

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def test_services_run_kafka_a_worker_and_a_replay(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["kafka"]["image"] == f"apache/kafka:{KAFKA_VERSION}"
    kafka_env = services["kafka"]["environment"]
    assert kafka_env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["worker"]["command"] == ["newsline", "worker"]
    assert services["replay"]["command"][:2] == ["newsline", "replay"]
    for name in ("worker", "replay"):
        env = services[name]["environment"]
        assert env["NEWSLINE_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_docker_compose_accepts_the_file() -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker client")
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    checked = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
