"""The broker's JVM: spawned detached, found again by its pid file, and stopped.

A pid file alone is not trusted: the pid must still be a java process running
kafka.Kafka with this data dir's server.properties, because pids are reused.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pipeline.devbroker.errors import BrokerError
from pipeline.devbroker.jars import deploy_file
from pipeline.devbroker.storage import HOST, BrokerPaths

KILL_WAIT_S = 10.0
INITIAL_HEAP = "128m"
HEAP_PATTERN = re.compile(r"([1-9][0-9]*)([kKmMgG]?)")
HEAP_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
POLL_S = 0.2

# Brokers spawned by this process, kept so they are reaped (not left as zombies that
# look alive) and so the interpreter does not warn about a running child it lost.
_children: dict[int, subprocess.Popen[bytes]] = {}


def read_pid(pid_file: Path) -> int | None:
    """The pid in `pid_file`, or None when it is missing or unreadable."""
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def process_alive(pid: int) -> bool:
    """Whether `pid` is a running (not zombie) process."""
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return process_state(pid) != "Z"


def process_state(pid: int) -> str | None:
    """The state letter from /proc (Linux only), e.g. 'S', 'R' or 'Z'."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may itself contain spaces and parentheses.
    return stat.rpartition(")")[2].split()[0]


def command_line(pid: int) -> str:
    """The command `pid` runs, arguments joined by spaces; "" when unreadable."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        pass
    else:
        return " ".join(arguments.rstrip("\0").split("\0"))
    if sys.platform == "linux":
        return ""
    # Without /proc (macOS), ps prints the same, already joined by spaces.
    done = subprocess.run(
        ["ps", "-o", "command=", "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


def is_broker_process(pid: int, properties: Path) -> bool:
    """Whether `pid` is a live broker started with this `properties` file."""
    # broker_command puts these last; a reused pid or another data dir's broker differ.
    return process_alive(pid) and command_line(pid).endswith(
        f" kafka.Kafka {properties}"
    )


def live_broker_pid(paths: BrokerPaths) -> int | None:
    """The pid of the data dir's running broker; a stale pid file is removed."""
    pid = read_pid(paths.pid_file)
    if pid is not None and is_broker_process(pid, paths.properties):
        return pid
    paths.pid_file.unlink(missing_ok=True)
    return None


def port_in_use(port: int) -> bool:
    """Whether something already listens on HOST:`port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the broker's own listener does, so a port in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def heap_bytes(heap: str) -> int:
    """The size of a java heap option such as 512m or 1g, in bytes."""
    match = HEAP_PATTERN.fullmatch(heap)
    if match is None:
        raise BrokerError(
            f"The broker heap {heap!r} is not a java size such as 512m or 1g "
            "(NEWSLINE_BROKER__HEAP)."
        )
    number, unit = match.groups()
    return int(number) * HEAP_UNITS[unit.lower()]


def initial_heap(heap: str) -> str:
    """-Xms for a -Xmx of `heap`: 128m, unless the maximum is smaller (java refuses)."""
    return heap if heap_bytes(heap) < heap_bytes(INITIAL_HEAP) else INITIAL_HEAP


def broker_command(java: str, libs: Path, properties: Path, *, heap: str) -> list[str]:
    """The java command that runs kafka.Kafka, as bin/kafka-server-start.sh would."""
    log4j = deploy_file("log4j.properties")
    return [
        java, f"-Xms{initial_heap(heap)}", f"-Xmx{heap}",
        "-XX:+UseG1GC", "-Djava.awt.headless=true",
        f"-Dlog4j.configuration={log4j.as_uri()}",
        "-cp", f"{libs}/*", "kafka.Kafka", str(properties),
    ]  # fmt: skip


def spawn_broker(java: str, libs: Path, paths: BrokerPaths, *, heap: str) -> int:
    """Start the broker detached from this process's session; its pid, also on disk."""
    if paths.log_file.exists():
        paths.log_file.replace(paths.log_file.with_name(paths.log_file.name + ".1"))
    with paths.log_file.open("wb") as log:
        child = subprocess.Popen(
            broker_command(java, libs, paths.properties, heap=heap),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=paths.data_dir,
            # Its own session: a Ctrl-C or closed terminal here does not reach it.
            start_new_session=True,
        )
    _children[child.pid] = child
    paths.pid_file.write_text(f"{child.pid}\n")
    return child.pid


def wait_for_exit(pid: int, *, timeout_s: float) -> bool:
    """Wait up to `timeout_s` for `pid` to end; True if it did."""
    deadline = time.monotonic() + timeout_s
    while process_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True


def signal_group(pid: int, signum: signal.Signals) -> None:
    """Send `signum` to the process group `pid` leads (the broker's own session)."""
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass
    except PermissionError as exc:
        raise BrokerError(f"Not allowed to stop broker process {pid}: {exc}") from exc


def terminate_broker(pid: int, *, timeout_s: float) -> None:
    """SIGTERM the broker for a clean shutdown; SIGKILL it after `timeout_s`."""
    signal_group(pid, signal.SIGTERM)
    if not wait_for_exit(pid, timeout_s=timeout_s):
        signal_group(pid, signal.SIGKILL)
        if not wait_for_exit(pid, timeout_s=KILL_WAIT_S):
            raise BrokerError(f"Broker process {pid} survived SIGKILL.")
    _children.pop(pid, None)


def log_tail(log_file: Path, *, lines: int = 30) -> str:
    """The last `lines` lines of the broker's log, for error messages."""
    try:
        text = log_file.read_text(errors="replace")
    except OSError:
        return "(no broker log)"
    return "\n".join(text.rstrip().splitlines()[-lines:]) or "(the log is empty)"
