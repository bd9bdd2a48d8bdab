"""The local broker launcher's pure parts: config, ids, tool checks, pid files.

Nothing here starts java or opens a Kafka connection; a sleeping Python process
stands in for a broker where a live pid is needed.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.devbroker import (
    KAFKA_VERSION,
    BrokerError,
    broker_status,
    jars,
    resolve_jars,
    start_broker,
    stop_broker,
    storage,
)
from pipeline.devbroker.launcher import check_ports_free, write_properties
from pipeline.devbroker.process import (
    broker_command,
    heap_bytes,
    initial_heap,
    live_broker_pid,
    log_tail,
    port_in_use,
)
from pipeline.devbroker.storage import (
    BrokerPaths,
    BrokerTls,
    advertised_address,
    broker_paths,
    check_scram_users,
    check_tls,
    check_users_formatted,
    ensure_cluster_id,
    format_storage,
    new_cluster_id,
    render_server_properties,
    scram_arguments,
)
from pipeline.settings import LocalBrokerSettings


@pytest.fixture
def broker_config_factory(tmp_path: Path) -> Callable[..., LocalBrokerSettings]:
    def make(**overrides: object) -> LocalBrokerSettings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "broker",
            "cache_dir": tmp_path / "cache",
            "port": 19092,
        }
        return LocalBrokerSettings(**(values | overrides))  # type: ignore[arg-type]

    return make


@pytest.fixture
def broker_config(
    broker_config_factory: Callable[..., LocalBrokerSettings],
) -> LocalBrokerSettings:
    return broker_config_factory()


@pytest.fixture
def paths(broker_config: LocalBrokerSettings) -> BrokerPaths:
    paths = broker_paths(broker_config.data_dir)
    paths.data_dir.mkdir(parents=True)
    return paths


@pytest.fixture
def fake_broker(paths: BrokerPaths) -> Iterator[subprocess.Popen[bytes]]:
    """A process whose command line looks like this data dir's broker."""
    sleep = [sys.executable, "-c", "import time; time.sleep(60)"]
    process = subprocess.Popen(
        [*sleep, "kafka.Kafka", str(paths.properties)], start_new_session=True
    )
    yield process
    process.kill()
    process.wait()


def parse_properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key: value for key, value in pairs if not key.startswith("#")}


def test_server_properties_single_node_on_loopback(tmp_path: Path) -> None:
    config = LocalBrokerSettings(port=19092)

    props = parse_properties(render_server_properties(config, tmp_path / "logs"))

    assert props["listeners"] == (
        "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    )
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["process.roles"] == "broker,controller"
    assert props["log.dirs"] == str(tmp_path / "logs")
    assert props["auto.create.topics.enable"] == "true"
    assert props["num.partitions"] == "4"
    assert props["log.cleaner.dedupe.buffer.size"] == str(16 * 1024 * 1024)
    assert props["message.max.bytes"] == str(64 * 1024 * 1024)
    assert props["replica.fetch.max.bytes"] == str(64 * 1024 * 1024)
    assert "sasl.enabled.mechanisms" not in props
    assert props["node.id"] == "1"
    assert props["default.replication.factor"] == "1"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["min.insync.replicas"] == "1"


def test_server_properties_explicit_controller_port(tmp_path: Path) -> None:
    config = LocalBrokerSettings(port=19092, controller_port=29999)

    props = parse_properties(render_server_properties(config, tmp_path))

    assert props["controller.quorum.voters"] == "1@127.0.0.1:29999"
    assert "CONTROLLER://127.0.0.1:29999" in props["listeners"]


def test_server_properties_with_sasl_adds_scram_listener(tmp_path: Path) -> None:
    config = LocalBrokerSettings(port=19092)

    text = render_server_properties(config, tmp_path, with_sasl=True)
    props = parse_properties(text)

    assert "SASL_PLAINTEXT://127.0.0.1:19094" in props["listeners"]
    assert advertised_address(text, "SASL_PLAINTEXT") == "127.0.0.1:19094"
    assert advertised_address(text, "PLAINTEXT") == "127.0.0.1:19092"
    assert props["inter.broker.listener.name"] == "PLAINTEXT"
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    jaas = props["listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"]
    assert "ScramLoginModule required;" in jaas


def test_server_properties_with_tls_add_ssl_listeners(tmp_path: Path) -> None:
    config = LocalBrokerSettings(port=19092)
    tls = BrokerTls(
        keystore=tmp_path / "broker.p12",
        keystore_password="store-pw",
        truststore=tmp_path / "ca.pem",
    )

    text = render_server_properties(config, tmp_path, with_sasl=True, tls=tls)
    props = parse_properties(text)

    assert advertised_address(text, "SSL") == "127.0.0.1:19095"
    assert advertised_address(text, "SASL_SSL") == "127.0.0.1:19096"
    assert "SSL:SSL" in props["listener.security.protocol.map"].split(",")
    assert props["inter.broker.listener.name"] == "PLAINTEXT"
    assert props["ssl.keystore.type"] == "PKCS12"
    assert props["ssl.keystore.location"] == str(tmp_path / "broker.p12")
    assert props["ssl.keystore.password"] == "store-pw"
    assert props["ssl.truststore.type"] == "PEM"
    assert props["ssl.truststore.location"] == str(tmp_path / "ca.pem")
    # Mutual TLS on the SSL listener only; SASL_SSL clients log in by SCRAM.
    assert props["listener.name.ssl.ssl.client.auth"] == "required"
    assert "ssl.client.auth" not in props
    jaas = props["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"]
    assert "ScramLoginModule required;" in jaas


def test_server_properties_with_tls_only(tmp_path: Path) -> None:
    tls = BrokerTls(
        keystore=tmp_path / "broker.pem",
        keystore_password="key-pw",
        keystore_type="PEM",
    )

    text = render_server_properties(LocalBrokerSettings(port=19092), tmp_path, tls=tls)
    props = parse_properties(text)

    assert advertised_address(text, "SSL") == "127.0.0.1:19095"
    assert advertised_address(text, "SASL_SSL") is None
    assert advertised_address(text, "SASL_PLAINTEXT") is None
    assert "sasl.enabled.mechanisms" not in props
    # Kafka refuses a store password on a PEM keystore; the key has the password.
    assert "ssl.keystore.password" not in props
    assert props["ssl.key.password"] == "key-pw"
    assert "ssl.truststore.location" not in props


def test_tls_passwords_stay_out_of_repr(tmp_path: Path) -> None:
    tls = BrokerTls(keystore=tmp_path / "k.p12", keystore_password="store-pw")

    assert "store-pw" not in repr(tls)


def test_missing_tls_store_is_refused_before_java(tmp_path: Path) -> None:
    (tmp_path / "broker.p12").write_bytes(b"")
    check_tls(BrokerTls(keystore=tmp_path / "broker.p12", keystore_password="pw"))

    with pytest.raises(BrokerError, match=r"TLS truststore .*ca\.pem does not exist"):
        check_tls(
            BrokerTls(
                keystore=tmp_path / "broker.p12",
                keystore_password="pw",
                truststore=tmp_path / "ca.pem",
            )
        )


def test_properties_are_readable_by_their_owner_only(paths: BrokerPaths) -> None:
    write_properties(paths, "ssl.keystore.password=store-pw\n")

    assert paths.properties.stat().st_mode & 0o777 == 0o600
    assert paths.properties.read_text() == "ssl.keystore.password=store-pw\n"


def test_busy_tls_port_is_named(
    broker_config_factory: Callable[..., LocalBrokerSettings], paths: BrokerPaths
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        # The SSL listener comes three ports after the client port.
        config = broker_config_factory(port=listener.getsockname()[1] - 3)

        with pytest.raises(BrokerError, match="the broker's SSL port"):
            check_ports_free(config, paths, with_sasl=False, with_tls=True)


def test_failed_format_does_not_show_scram_passwords(
    paths: BrokerPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(command: list[str], *, doing: str, timeout_s: float) -> None:
        raise BrokerError(f"{doing} failed (exit 1):\nbad argument {command[-1]}")

    monkeypatch.setattr(storage, "run_tool", fail)

    with pytest.raises(BrokerError) as caught:
        format_storage(
            "java",
            paths.data_dir,
            paths,
            cluster_id="A" * 22,
            scram_users={"alice": "alice-secret"},
        )

    assert "alice-secret" not in str(caught.value)
    assert "name=alice,password=******" in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_cluster_id_is_22_urlsafe_chars() -> None:
    for _ in range(200):
        cluster_id = new_cluster_id()
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
        assert not cluster_id.startswith("-")


def test_cluster_id_never_starts_with_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0xF8 encodes as '-' in URL-safe base64, so the first draw must be rejected.
    draws = iter([b"\xf8" * 16, b"\x00" * 16])
    monkeypatch.setattr(storage.os, "urandom", lambda size: next(draws))

    assert new_cluster_id() == "A" * 22


def test_cluster_id_is_kept_between_runs(paths: BrokerPaths) -> None:
    first = ensure_cluster_id(paths)

    assert ensure_cluster_id(paths) == first
    assert paths.cluster_id.read_text().strip() == first


def test_lost_cluster_id_is_recovered_from_formatted_storage(
    paths: BrokerPaths,
) -> None:
    paths.log_dirs.mkdir()
    (paths.log_dirs / "meta.properties").write_text(
        "version=1\ncluster.id=abcdefghijklmnopqrstuv\nnode.id=1\n"
    )

    assert ensure_cluster_id(paths) == "abcdefghijklmnopqrstuv"


def test_missing_java_says_what_to_do(
    broker_config: LocalBrokerSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jars.shutil, "which", lambda name: None)

    with pytest.raises(BrokerError) as caught:
        start_broker(broker_config)

    message = str(caught.value)
    assert "`java`" in message
    assert "apt-get install openjdk-17-jre-headless maven" in message
    assert "NEWSLINE_KAFKA_BOOTSTRAP_SERVERS" in message
    assert "docker compose -f deploy/compose.yaml" in message


def test_missing_mvn_is_reported_when_jars_are_not_cached(
    broker_config: LocalBrokerSettings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    with pytest.raises(BrokerError, match="`mvn` was not found on PATH"):
        resolve_jars(broker_config)


def test_cached_jars_need_no_maven(
    broker_config: LocalBrokerSettings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    libs = broker_config.cache_dir / KAFKA_VERSION / "libs"
    libs.mkdir(parents=True)
    (libs.parent / "libs.complete").write_text("57 jars\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    assert resolve_jars(broker_config) == libs.resolve()


def test_half_copied_jars_are_resolved_again(
    broker_config: LocalBrokerSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    libs = broker_config.cache_dir / KAFKA_VERSION / "libs"
    libs.mkdir(parents=True)
    (libs / "partial.jar").write_bytes(b"")
    commands: list[list[str]] = []
    monkeypatch.setattr(jars.shutil, "which", lambda name: f"/usr/bin/{name}")

    def copy_one_jar(command: list[str], *, doing: str, timeout_s: float) -> None:
        commands.append(command)
        (libs / "kafka.jar").write_bytes(b"")

    monkeypatch.setattr(jars, "run_tool", copy_one_jar)

    assert resolve_jars(broker_config) == libs.resolve()
    assert f"-Dkafka.version={KAFKA_VERSION}" in commands[0]
    assert sorted(path.name for path in libs.iterdir()) == ["kafka.jar"]
    assert (libs.parent / "libs.complete").is_file()


def test_missing_deploy_files_are_explained(
    broker_config: LocalBrokerSettings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(jars, "DEPLOY_DIR", tmp_path / "nowhere")
    monkeypatch.setattr(jars.shutil, "which", lambda name: f"/usr/bin/{name}")

    with pytest.raises(BrokerError, match=r"pom\.xml is missing"):
        resolve_jars(broker_config)


def test_stale_pid_file_is_removed(
    broker_config: LocalBrokerSettings, paths: BrokerPaths
) -> None:
    # This test process is alive but is not a broker, as after a pid is reused.
    paths.pid_file.write_text(f"{os.getpid()}\n")

    assert broker_status(broker_config) is None
    assert not paths.pid_file.exists()


def test_unreadable_pid_file_is_removed(
    broker_config: LocalBrokerSettings, paths: BrokerPaths
) -> None:
    paths.pid_file.write_text("not a pid")

    assert stop_broker(broker_config) is False
    assert not paths.pid_file.exists()


def test_stop_without_broker_returns_false(
    broker_config: LocalBrokerSettings,
) -> None:
    assert stop_broker(broker_config) is False


def test_live_broker_is_found_and_stopped(
    broker_config: LocalBrokerSettings,
    paths: BrokerPaths,
    fake_broker: subprocess.Popen[bytes],
) -> None:
    paths.pid_file.write_text(f"{fake_broker.pid}\n")
    assert live_broker_pid(paths) == fake_broker.pid

    assert stop_broker(broker_config, timeout_s=5.0) is True

    assert fake_broker.wait(timeout=5) != 0
    assert not paths.pid_file.exists()


def test_running_broker_on_another_port_is_not_reused(
    broker_config_factory: Callable[..., LocalBrokerSettings],
    paths: BrokerPaths,
    fake_broker: subprocess.Popen[bytes],
) -> None:
    started = broker_config_factory(port=19092)
    paths.properties.write_text(render_server_properties(started, paths.log_dirs))
    paths.pid_file.write_text(f"{fake_broker.pid}\n")

    with pytest.raises(BrokerError, match=r"already runs on 127\.0\.0\.1:19092"):
        start_broker(broker_config_factory(port=19500))


def test_broker_of_another_data_dir_is_not_ours(
    broker_config_factory: Callable[..., LocalBrokerSettings],
    paths: BrokerPaths,
    fake_broker: subprocess.Popen[bytes],
    tmp_path: Path,
) -> None:
    other = broker_config_factory(data_dir=tmp_path / "other")
    other_paths = broker_paths(other.data_dir)
    other_paths.data_dir.mkdir()
    other_paths.pid_file.write_text(f"{fake_broker.pid}\n")

    assert stop_broker(other) is False
    assert fake_broker.poll() is None


def test_scram_values_that_storage_tool_cannot_parse_are_refused() -> None:
    check_scram_users({"alice": "s3cret!#$%&()*+-./:;<>?@^_`{|}~"})

    with pytest.raises(BrokerError, match="password"):
        check_scram_users({"alice": "a,b"})
    with pytest.raises(BrokerError, match="name"):
        check_scram_users({"al ice": "secret"})


def test_scram_arguments_one_per_user() -> None:
    assert scram_arguments({"bob": "b", "alice": "a"}) == [
        "--add-scram",
        "SCRAM-SHA-512=[name=alice,password=a]",
        "--add-scram",
        "SCRAM-SHA-512=[name=bob,password=b]",
    ]


def test_scram_users_missing_from_formatted_storage(paths: BrokerPaths) -> None:
    paths.log_dirs.mkdir()
    (paths.log_dirs / "meta.properties").write_text("cluster.id=x\n")
    paths.scram_users.write_text("alice\n")

    check_users_formatted(paths, {"alice": "a"})
    with pytest.raises(BrokerError, match="without the SCRAM user"):
        check_users_formatted(paths, {"alice": "a", "bob": "b"})


def test_heap_sizes() -> None:
    assert heap_bytes("512m") == 512 << 20
    assert heap_bytes("1G") == 1 << 30
    assert initial_heap("1g") == "128m"
    assert initial_heap("64m") == "64m"
    with pytest.raises(BrokerError, match="not a java size"):
        heap_bytes("lots")


def test_broker_command_runs_kafka_from_the_jar_dir(tmp_path: Path) -> None:
    command = broker_command(
        "/usr/bin/java", tmp_path / "libs", tmp_path / "server.properties", heap="1g"
    )

    assert command[:3] == ["/usr/bin/java", "-Xms128m", "-Xmx1g"]
    assert command[-4:] == [
        "-cp",
        f"{tmp_path / 'libs'}/*",
        "kafka.Kafka",
        str(tmp_path / "server.properties"),
    ]
    assert any(arg.startswith("-Dlog4j.configuration=file:/") for arg in command)


def test_port_in_use_sees_a_listener() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        assert port_in_use(port)


def test_log_tail_keeps_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "broker.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)))

    assert log_tail(log, lines=2) == "line 98\nline 99"
    assert log_tail(tmp_path / "missing.log") == "(no broker log)"
