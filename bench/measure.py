"""How the benchmarks and the fault tests measure: processes from /proc, quantiles,
free ports and the BBC texts they replay, one copy of each, so that every figure is
taken the same way.

Standard library only, and no import of another bench module: the bench scripts
import it as ``measure`` (``python bench/x.py`` puts bench/ on sys.path) and the
tests as ``bench.measure`` (pytest puts the repository root there).
"""

from __future__ import annotations

import itertools
import math
import os
import random
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


def free_port_run(length: int) -> int:
    """The first of ``length`` consecutive free ports, for a local cluster's nodes
    (node N on the first + 2(N-1), its controller on the next)."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20_000, 60_000)
        if all(_port_free(base + offset) for offset in range(length)):
            return base
    raise RuntimeError(f"no {length} consecutive free ports on 127.0.0.1")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As a broker's listener does, so that a port in TIME_WAIT counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# --- inputs -----------------------------------------------------------------------

BBC = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bbc-news"


def bbc_texts() -> list[Path]:
    """The BBC News texts (``../shared/corpora/bbc-news``), the five sections in
    turn, so that every stretch of a paced run gets a mix of them: by section, its
    last minute would be tech's texts, half as long again as sport's."""
    sections = [sorted(d.glob("*.txt")) for d in sorted(BBC.iterdir()) if d.is_dir()]
    return [t for group in itertools.zip_longest(*sections) for t in group if t]


def link_numbered(folder: Path, texts: Sequence[Path]) -> Path:
    """A new folder of links to ``texts`` (the corpus is not copied), numbered
    because replay reads a folder in name order; a link's name, the article's
    source, keeps the section and file name."""
    folder.mkdir(parents=True)
    for number, text in enumerate(texts):
        (folder / f"{number:05d}-{text.parent.name}-{text.name}").symlink_to(text)
    return folder


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
