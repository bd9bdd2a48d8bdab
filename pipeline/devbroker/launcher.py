"""start / stop / status of the local broker, composed from the other modules."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.devbroker.errors import BrokerError
from pipeline.devbroker.jars import Progress, require_tool, resolve_jars, say_nothing
from pipeline.devbroker.probe import metadata_answers
from pipeline.devbroker.process import (
    heap_bytes,
    live_broker_pid,
    log_tail,
    port_in_use,
    process_alive,
    spawn_broker,
    terminate_broker,
)
from pipeline.devbroker.storage import (
    HOST,
    BrokerPaths,
    BrokerTls,
    Quorum,
    advertised_address,
    broker_paths,
    check_scram_users,
    check_tls,
    check_users_formatted,
    client_listeners,
    controller_port,
    ensure_cluster_id,
    format_storage,
    formatted_scram_users,
    render_server_properties,
)
from pipeline.settings import LocalBrokerSettings

PROBE_TIMEOUT_S = 5.0
RETRY_S = 0.5


@dataclass(frozen=True)
class BrokerInfo:
    """A running local broker. `started_in_s` is 0.0 when only looked up (status)."""

    bootstrap: str
    pid: int
    data_dir: Path
    already_running: bool
    started_in_s: float
    # Set when the storage has SCRAM users: host:port of the SASL_PLAINTEXT listener.
    sasl_bootstrap: str | None = None
    # Set when started with TLS: the SSL listener, and SASL_SSL if it has SCRAM users.
    ssl_bootstrap: str | None = None
    sasl_ssl_bootstrap: str | None = None


@dataclass(frozen=True)
class BrokerStatus:
    """What answers on the port asked about, and what the data dir's pid file says.

    The two are separate facts: a broker started from another data dir (or another
    working directory, as the default data dir is relative) answers on its port with
    no pid file here, and the data dir's broker may serve another port than asked.
    """

    address: str
    answers: bool
    port_in_use: bool
    data_dir: Path
    #: The data dir's live broker, and the address it serves; None without one.
    pid: int | None
    pid_address: str | None

    def describe(self) -> str:
        """One line saying both facts, and what to do when they disagree."""
        ours = self.pid is not None and self.pid_address == self.address
        if ours and self.answers:
            return f"running: {self.address} (pid {self.pid}, data {self.data_dir})"
        if ours:
            return (
                f"the broker of {self.data_dir} (pid {self.pid}) does not answer on "
                f"{self.address} (starting, or stuck: see its broker.log)"
            )
        if self.answers:
            here = f"a broker answers on {self.address}"
        elif self.port_in_use:
            here = f"{self.address} is in use, but not by a Kafka broker that answers"
        else:
            here = f"not running: nothing answers on {self.address}"
        if self.pid is not None:
            return (
                f"{here}; the broker of {self.data_dir} (pid {self.pid}) runs on "
                f"{self.pid_address}"
            )
        if self.answers:
            return (
                f"{here} (not started from {self.data_dir}; give --data-dir to "
                "manage it)"
            )
        return f"{here}, and no broker runs from {self.data_dir}"


def local_broker_status(config: LocalBrokerSettings) -> BrokerStatus:
    """Probe the port ``config`` asks for and the data dir's broker.

    Without a port asked for (``port`` not set in ``config``), the address is the
    one the data dir's broker serves, or the default port when none runs.
    """
    paths = broker_paths(config.data_dir)
    pid = live_broker_pid(paths)
    pid_address = running_bootstrap(config, paths) if pid is not None else None
    asked = "port" in config.model_fields_set
    address = bootstrap_address(config) if asked or pid_address is None else pid_address
    port = int(address.rpartition(":")[2])
    return BrokerStatus(
        address=address,
        answers=metadata_answers(address),
        port_in_use=port_in_use(port),
        data_dir=paths.data_dir,
        pid=pid,
        pid_address=pid_address,
    )


def broker_status(config: LocalBrokerSettings) -> BrokerInfo | None:
    """The data dir's broker if its process lives and it answers; else None."""
    paths = broker_paths(config.data_dir)
    pid = live_broker_pid(paths)
    if pid is None or not metadata_answers(running_bootstrap(config, paths)):
        return None
    return broker_info(config, paths, pid, already_running=True, started_in_s=0.0)


def start_broker(
    config: LocalBrokerSettings,
    *,
    scram_users: Mapping[str, str] | None = None,
    tls: BrokerTls | None = None,
    progress: Progress = say_nothing,
) -> BrokerInfo:
    """Start the data dir's broker and wait until it answers; reuse it if running.

    `tls` adds an SSL listener (and SASL_SSL, with SCRAM users) for this run; a
    broker that already runs keeps the listeners it was started with.
    """
    began = time.monotonic()
    paths = broker_paths(config.data_dir)
    users = dict(scram_users or {})
    check_scram_users(users)
    check_users_formatted(paths, users)
    if tls is not None:
        check_tls(tls)
    pid = live_broker_pid(paths)
    if pid is None:
        pid = launch(config, paths, users, tls=tls, progress=progress)
        already_running = False
    else:
        progress(f"A broker (pid {pid}) already runs from {paths.data_dir}")
        check_same_port(config, paths, pid)
        wait_until_ready(config, paths, pid)
        already_running = True
    return broker_info(
        config,
        paths,
        pid,
        already_running=already_running,
        started_in_s=time.monotonic() - began,
    )


def stop_broker(config: LocalBrokerSettings, *, timeout_s: float = 30.0) -> bool:
    """Stop the data dir's broker (SIGTERM, then SIGKILL); False if none was running."""
    paths = broker_paths(config.data_dir)
    pid = live_broker_pid(paths)
    if pid is None:
        return False
    terminate_broker(pid, timeout_s=timeout_s)
    paths.pid_file.unlink(missing_ok=True)
    return True


def launch(
    config: LocalBrokerSettings,
    paths: BrokerPaths,
    users: Mapping[str, str],
    *,
    tls: BrokerTls | None = None,
    progress: Progress,
) -> int:
    """Prepare the data dir, spawn the broker and wait for it; its pid."""
    pid = spawn_node(config, paths, users, tls=tls, progress=progress)
    try:
        wait_until_ready(config, paths, pid)
    except BrokerError:
        abandon(paths, pid)
        raise
    return pid


def spawn_node(
    config: LocalBrokerSettings,
    paths: BrokerPaths,
    users: Mapping[str, str],
    *,
    tls: BrokerTls | None = None,
    quorum: Quorum | None = None,
    cluster_id: str | None = None,
    progress: Progress,
) -> int:
    """Prepare the data dir (config, formatted storage) and spawn the broker without
    waiting for it; its pid. A node of a cluster gets its ``quorum`` and the
    cluster's id; a single node keeps an id of its own."""
    java = require_tool("java")
    heap_bytes(config.heap)
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    with_sasl = bool(users) or bool(formatted_scram_users(paths))
    check_ports_free(config, paths, with_sasl=with_sasl, with_tls=tls is not None)
    libs = resolve_jars(config, progress=progress)
    write_properties(
        paths,
        render_server_properties(
            config, paths.log_dirs, with_sasl=with_sasl, tls=tls, quorum=quorum
        ),
    )
    if cluster_id is None:
        cluster_id = ensure_cluster_id(paths)
    else:
        paths.cluster_id.write_text(cluster_id + "\n")
    format_storage(
        java, libs, paths, cluster_id=cluster_id, scram_users=users, progress=progress
    )
    progress(f"Starting Apache Kafka on {bootstrap_address(config)}")
    return spawn_broker(java, libs, paths, heap=config.heap)


def abandon(paths: BrokerPaths, pid: int) -> None:
    """Stop a broker that never became ready: it is not left behind half-started."""
    if process_alive(pid):
        terminate_broker(pid, timeout_s=10.0)
    paths.pid_file.unlink(missing_ok=True)


def write_properties(paths: BrokerPaths, text: str) -> None:
    """Write server.properties readable by its owner only: it may hold TLS passwords."""
    paths.properties.touch(mode=0o600, exist_ok=True)
    paths.properties.chmod(0o600)
    paths.properties.write_text(text)


def check_ports_free(
    config: LocalBrokerSettings,
    paths: BrokerPaths,
    *,
    with_sasl: bool,
    with_tls: bool = False,
) -> None:
    """Fail clearly when another process holds a port the broker needs."""
    listeners = client_listeners(config, with_sasl=with_sasl, with_tls=with_tls)
    ports = {port: name for name, port in listeners.items()}
    ports[config.port] = "client"
    ports[controller_port(config)] = "KRaft controller"
    taken = [port for port in ports if port_in_use(port)]
    if not taken:
        return
    owner = "another process"
    if config.port in taken and metadata_answers(bootstrap_address(config)):
        owner = "a Kafka broker that was not started from this data dir"
    raise BrokerError(
        f"Port {taken[0]} on {HOST} (the broker's {ports[taken[0]]} port) is already "
        f"in use by {owner}; this broker's data dir is {paths.data_dir}. Stop that "
        "process, or choose other ports with --port / NEWSLINE_BROKER__PORT (the "
        "controller takes the next one unless NEWSLINE_BROKER__CONTROLLER_PORT is set)."
    )


def check_same_port(config: LocalBrokerSettings, paths: BrokerPaths, pid: int) -> None:
    """Refuse to report a running broker as if it served a port it does not."""
    running = running_bootstrap(config, paths)
    if running != bootstrap_address(config):
        raise BrokerError(
            f"The broker of {paths.data_dir} (pid {pid}) already runs on {running}, "
            f"not on port {config.port}; stop it first to move it."
        )


def wait_until_ready(config: LocalBrokerSettings, paths: BrokerPaths, pid: int) -> None:
    """Wait until broker `pid` answers metadata requests, or fail with its log."""
    bootstrap = running_bootstrap(config, paths)
    deadline = time.monotonic() + config.start_timeout_s
    while True:
        if not process_alive(pid):
            raise BrokerError(
                f"The broker (pid {pid}) exited while starting. Last lines of "
                f"{paths.log_file}:\n{log_tail(paths.log_file)}"
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrokerError(
                f"The broker (pid {pid}) did not answer on {bootstrap} within "
                f"{config.start_timeout_s:.0f} s. Last lines of {paths.log_file}:\n"
                f"{log_tail(paths.log_file)}"
            )
        if metadata_answers(bootstrap, timeout_s=min(PROBE_TIMEOUT_S, remaining)):
            return
        time.sleep(RETRY_S)


def bootstrap_address(config: LocalBrokerSettings) -> str:
    """host:port of the broker's PLAINTEXT listener."""
    return f"{HOST}:{config.port}"


def running_bootstrap(config: LocalBrokerSettings, paths: BrokerPaths) -> str:
    """host:port the data dir's broker serves, per the config it was started with."""
    properties = paths.properties.read_text() if paths.properties.is_file() else ""
    return advertised_address(properties, "PLAINTEXT") or bootstrap_address(config)


def broker_info(
    config: LocalBrokerSettings,
    paths: BrokerPaths,
    pid: int,
    *,
    already_running: bool,
    started_in_s: float,
) -> BrokerInfo:
    """Describe broker `pid`, with the addresses of the config it runs with."""
    properties = paths.properties.read_text() if paths.properties.is_file() else ""
    return BrokerInfo(
        bootstrap=running_bootstrap(config, paths),
        pid=pid,
        data_dir=paths.data_dir,
        already_running=already_running,
        started_in_s=started_in_s,
        sasl_bootstrap=advertised_address(properties, "SASL_PLAINTEXT"),
        ssl_bootstrap=advertised_address(properties, "SSL"),
        sasl_ssl_bootstrap=advertised_address(properties, "SASL_SSL"),
    )
