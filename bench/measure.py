"""How the benchmarks and the fault tests measure: processes from /proc, quantiles and
free ports, one copy of each, so that every figure is taken the same way.

Standard library only, and no import of another bench module: the bench scripts
import it as ``measure`` (``python bench/x.py`` puts bench/ on sys.path) and the
tests as ``bench.measure`` (pytest puts the repository root there).
"""

from __future__ import annotations

import math
import os
import resource
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# --- one process ------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name, from the state on.

    The name is in parentheses and may itself hold spaces and parentheses, so the
    fields are what follows the last ")". Raises OSError once the process is gone.
    """
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_s(fields: Sequence[str]) -> float:
    """User and system CPU seconds from the stat fields (utime, stime: the 12th and
    13th after the name), in the kernel's clock ticks."""
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kb(status: str) -> int:
    """VmRSS from /proc/PID/status text; 0 when absent (a zombie has none)."""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def state(pid: int) -> str | None:
    """The process's state letter ('R', 'S', 'Z' ...); None once it is gone."""
    try:
        return _stat(pid)[0]
    except (OSError, IndexError):
        return None


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process: a zombie has ended, only not been reaped."""
    return state(pid) not in (None, "Z")


def rss_mb(pid: int) -> float:
    """Resident memory of one process now (not its peak), in MB; 0 once it ended."""
    try:
        return _rss_kb(Path(f"/proc/{pid}/status").read_text()) / 1024
    except OSError:
        return 0.0


def peak_rss_mb(*, children: bool = False) -> float:
    """The peak resident memory the kernel kept: of this process, or with
    ``children`` of the largest child waited for. Unlike sampling it misses no spike."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024  # KB on Linux


@dataclass(frozen=True)
class Usage:
    """Resident memory (MB) and CPU seconds so far: what a sample adds up."""

    mb: float = 0.0
    cpu_s: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.mb + other.mb, self.cpu_s + other.cpu_s)


def usage(pid: int) -> tuple[int, Usage]:
    """A process's group and usage; group -1 and no usage once it is gone, so a
    process that ends between two reads counts for nothing rather than half."""
    try:
        fields = _stat(pid)
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, IndexError):
        return -1, Usage()
    # After the name: state, ppid, pgrp.
    return int(fields[2]), Usage(_rss_kb(status) / 1024, _cpu_s(fields))


# --- a process and the processes under it -----------------------------------------


def children(pid: int) -> list[int]:
    """The processes ``pid`` started, from any of its threads; [] once it is gone."""
    found: list[int] = []
    for tasks in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in tasks.read_text().split()]
        except FileNotFoundError:  # the thread ended meanwhile
            continue
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process under it that is still running: a worker or
    ``newsline extract`` and its pool, whose processes hold most of the memory."""
    pids, found = [pid], []
    while pids:
        current = pids.pop()
        found.append(current)
        pids += children(current)
    return found


def tree_cpu_s(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and every process under it: a pool's work
    shows in its processes, not in the process that waits for it."""
    found = 0.0
    for member in process_tree(pid):
        try:
            found += _cpu_s(_stat(member))
        except (OSError, IndexError):  # it ended meanwhile
            continue
    return found


class TreePeak:
    """The largest total resident memory of a running process and its children,
    sampled every ``every_s`` until the process ends (a thread, so the caller can
    wait on the process meanwhile)."""

    def __init__(self, process: subprocess.Popen[bytes], every_s: float = 0.2) -> None:
        self.peak_mb = 0.0
        self._process = process
        self._every_s = every_s
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while self._process.poll() is None:
            total = sum(map(rss_mb, process_tree(self._process.pid)))
            self.peak_mb = max(self.peak_mb, total)
            time.sleep(self._every_s)

    def join(self) -> float:
        """The peak, once the process has ended."""
        self._thread.join()
        return self.peak_mb


# --- process groups ----------------------------------------------------------------
# A worker leads its own process group and its pool joins it, so a group is a
# worker with its pool even after the pool's processes were replaced.


def group_usage(groups: Sequence[int]) -> tuple[Usage, Usage]:
    """Usage of the groups' leaders (the workers) and of the rest (their pools):
    apart, because a worker's event loop is bound by one core and its pool is not."""
    main, pool = Usage(), Usage()
    for pid in (int(entry) for entry in os.listdir("/proc") if entry.isdigit()):
        group, used = usage(pid)
        if group in groups:
            main, pool = (main + used, pool) if group == pid else (main, pool + used)
    return main, pool


def group_rss_mb(group: int) -> float:
    """Resident memory of a process group (a worker and its pool), in MB."""
    main, pool = group_usage([group])
    return main.mb + pool.mb


# --- the machine -------------------------------------------------------------------


def machine_busy_s() -> float:
    """CPU seconds the machine has spent on anything but idling, all cores: on a
    shared machine, what our processes got is read against it."""
    # cpu  user nice system idle iowait irq softirq steal ...
    first = Path("/proc/stat").read_text().split("\n", 1)[0]
    ticks = [int(value) for value in first.split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port nobody listens on now, for a broker or a worker's web server that
    must not meet another run's."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- figures -----------------------------------------------------------------------


def quantile(values: Sequence[float], q: float, *, above: bool = False) -> float:
    """The nearest-rank quantile: the smallest value with at least a share ``q`` of
    the values at or below it; NaN for no values.

    ``above`` takes one rank higher where ``q`` times the count is a whole number
    (the median of 1,000 values is then the 501st): the rule bench/dedupe.py and
    bench/growth.py have always reported by, kept so their figures compare with
    earlier runs. Elsewhere the two agree.
    """
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = int(q * len(ordered)) if above else math.ceil(q * len(ordered)) - 1
    return ordered[min(len(ordered) - 1, max(rank, 0))]
