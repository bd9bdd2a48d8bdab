"""The Kafka jars: found in the per-version cache, or resolved there once by Maven."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from pipeline.devbroker.errors import BrokerError
from pipeline.settings import LocalBrokerSettings

# The one place the broker version lives; the pom receives it as -Dkafka.version.
KAFKA_VERSION = "3.9.1"

# The package is installed editable from the repository root, where deploy/ lives.
DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "kafka"

COPY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
# Written only after a complete copy, so an interrupted one is redone, not trusted.
COMPLETE_MARKER = "libs.complete"

Progress = Callable[[str], None]


def say_nothing(message: str) -> None:
    """The default progress sink."""


def missing_tool_message(tool: str) -> str:
    """What to tell a user who lacks `tool`: how to install it, or what instead."""
    return (
        f"`{tool}` was not found on PATH; the local Kafka broker needs Java 17+ and "
        "Maven.\n"
        "  Install them:  apt-get install openjdk-17-jre-headless maven\n"
        "                 (macOS: brew install openjdk@17 maven)\n"
        "  Or use a cluster you already have:  "
        "export NEWSLINE_KAFKA_BOOTSTRAP_SERVERS=host:9092\n"
        "  Or run Kafka in Docker:  docker compose -f deploy/compose.yaml up -d kafka"
    )


def require_tool(tool: str) -> str:
    """The path of `tool` on PATH, or a BrokerError that says how to get it."""
    found = shutil.which(tool)
    if found is None:
        raise BrokerError(missing_tool_message(tool))
    return found


def deploy_file(name: str) -> Path:
    """A file of deploy/kafka, which only a source checkout of newsline has."""
    path = DEPLOY_DIR / name
    if not path.is_file():
        raise BrokerError(
            f"{path} is missing. The local broker runs from a source checkout of "
            "newsline (pip install -e .); otherwise point "
            "NEWSLINE_KAFKA_BOOTSTRAP_SERVERS at an existing cluster."
        )
    return path


def libs_dir(config: LocalBrokerSettings) -> Path:
    """Where the jars of KAFKA_VERSION are kept, whether resolved yet or not."""
    return config.cache_dir.expanduser().resolve() / KAFKA_VERSION / "libs"


def resolve_jars(
    config: LocalBrokerSettings, *, progress: Progress = say_nothing
) -> Path:
    """The directory of the broker's jars, copied there by Maven on first use."""
    libs = libs_dir(config)
    marker = libs.parent / COMPLETE_MARKER
    if marker.is_file() and libs.is_dir():
        return libs
    mvn = require_tool("mvn")
    pom = deploy_file("pom.xml")
    progress(f"Resolving Apache Kafka {KAFKA_VERSION} jars with Maven into {libs}")
    shutil.rmtree(libs, ignore_errors=True)
    libs.mkdir(parents=True)
    command = [
        mvn, "-B", "-q", "-f", str(pom), f"-Dkafka.version={KAFKA_VERSION}",
        COPY_PLUGIN, "-DincludeScope=runtime", f"-DoutputDirectory={libs}",
    ]  # fmt: skip
    run_tool(command, doing="Resolving the Kafka jars with Maven", timeout_s=900.0)
    jars = list(libs.glob("*.jar"))
    if not jars:
        raise BrokerError(f"Maven finished but copied no jars into {libs}.")
    marker.write_text(f"{len(jars)} jars of Apache Kafka {KAFKA_VERSION}\n")
    return libs


def run_tool(command: list[str], *, doing: str, timeout_s: float) -> None:
    """Run a command to completion; a failure becomes a BrokerError with its output."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BrokerError(f"{doing} did not finish in {timeout_s:.0f} s.") from exc
    if done.returncode != 0:
        output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
        raise BrokerError(f"{doing} failed (exit {done.returncode}):\n{output}")
