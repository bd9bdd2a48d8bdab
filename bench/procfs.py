"""What /proc says about a process and the processes under it (its pools)."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process under it that is still running."""
    pids, found = [pid], []
    while pids:
        current = pids.pop()
        found.append(current)
        for tasks in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pids += [int(child) for child in tasks.read_text().split()]
            except FileNotFoundError:  # it ended meanwhile
                continue
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of one process; 0 once it has ended."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0.0
    kb = next((int(ln.split()[1]) for ln in status.splitlines() if "VmRSS:" in ln), 0)
    return kb / 1024


class TreePeak:
    """The largest total resident memory of a running process and its children,
    sampled every ``every_s`` until the process ends."""

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
        self._thread.join()
        return self.peak_mb
