"""bench/throughput.py's profile: py-spy over a worker, its threads and its pool, and
its raw stacks read into samples per kind of process and per stage.

Only bench/throughput.py profiles with py-spy (bench/offline.py uses pyinstrument in
its own process), so this stays beside it rather than in measure.py.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Samples per second: py-spy takes CPU from the cores the workers use.
RATE_HZ = 50
#: Stage functions, deepest first where they nest (the claims stage's spaCy steps).
STAGES = {
    "ingest_record": "ingest (trafilatura, sentences, language)",
    "fingerprint_record": "dedupe fingerprint (MinHash)",
    "parse_syntax": "claims: spaCy parse",
    "add_entities": "claims: spaCy entities",
    "claims_record": "claims: rules and the rest",
}
#: Outside the stages: the library nearest the leaf of the stack says what for.
AREAS = (
    ("faust/stores/", "other: faust tables (RocksDB)"),
    ("pipeline/codec", "other: JSON codec"),
    ("pydantic/", "other: JSON codec"),
    ("aiokafka/", "other: Kafka client (aiokafka)"),
    ("faust/", "other: faust"),
    ("mode/", "other: faust"),
    ("multiprocessing/", "other: pool IPC"),
    ("concurrent/futures/", "other: pool IPC"),
)


@dataclass
class Profile:
    """py-spy over a worker, its threads and its pool for ``seconds``."""

    seconds: int
    raw: Path
    window: tuple[float, float] | None = None
    error: str | None = "the run ended before py-spy started"

    async def record(self, pid: int, clock: Callable[[], float]) -> None:
        """Sample ``pid`` and its children; note when, by ``clock``, so the rate
        meanwhile can be left out of the sustained rates."""
        # The venv's py-spy (a dev dependency) before any other on PATH.
        beside = Path(sys.executable).with_name("py-spy")
        spy = str(beside) if beside.exists() else shutil.which("py-spy") or "py-spy"
        options = ["--subprocesses", "--threads", "--nonblocking"]
        options += ["--rate", str(RATE_HZ), "--format", "raw"]
        command = [spy, "record", *options, "--pid", str(pid)]
        command += ["--duration", str(self.seconds), "--output", str(self.raw)]
        began = clock()
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
        except OSError as error:
            self.error = f"py-spy did not start: {error}"
            return
        output, _ = await process.communicate()
        if process.returncode == 0 and self.raw.exists():
            self.window, self.error = (began, clock()), None
        else:
            self.error = output.decode(errors="replace").strip()[-500:]


@dataclass(frozen=True)
class Stack:
    """One stack py-spy saw ``count`` times, in a process (or thread) of a kind."""

    kind: str
    pid: str
    frames: tuple[str, ...]
    count: int


def read_stacks(raw: Path) -> list[Stack]:
    """py-spy's raw lines: ``process P:"cmd";[process C:"cmd";]thread (T): NAME;
    frame;...;frame COUNT``, a child's stacks under its parent's process frame."""
    stacks = []
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        parts = stack.split(";")
        processes = [p for p in parts if p.startswith("process ")]
        frames = parts[len(processes) :]
        if frames and frames[0].startswith("thread ("):
            thread = frames.pop(0).split("): ", 1)[-1]
        else:
            thread = ""
        if not processes or not frames or not count.isdigit():
            continue
        pid = processes[-1].split(":", 1)[0].removeprefix("process ")
        kind = stack_kind(processes, thread)
        stacks.append(Stack(kind, pid, tuple(frames), int(count)))
    return stacks


def stack_kind(processes: list[str], thread: str) -> str:
    """The worker's event loop, its other threads, or a pool process: they are
    bound by different things, so each gets its own share."""
    if "resource_tracker" in processes[-1]:
        return "resource tracker"
    if len(processes) > 1:
        return "pool process"
    if thread == "MainThread":
        return "worker main thread (event loop)"
    return "worker, other threads"


def stage_of(stack: Stack) -> str:
    """The deepest stage function on a stack, or the decision an agent makes."""
    for frame in reversed(stack.frames):
        function = frame.split(" (", 1)[0]
        if function in STAGES:
            return STAGES[function]
        if function == "_decide" and "agents/" in frame:
            return f"{frame.split('agents/', 1)[1].split('.py')[0]} decision"
    for frame in reversed(stack.frames):
        for path, area in AREAS:
            if f"({path}" in frame:
                return area
    return "other: asyncio and the rest"


@dataclass(frozen=True)
class Share:
    """Where one kind of process or thread spent its sampled time."""

    kind: str
    processes: int
    samples: int
    stages: list[tuple[str, int]]
    leaves: list[tuple[str, int]]


def shares(stacks: list[Stack]) -> list[Share]:
    """Per kind: samples by stage, and the top frames by own time."""
    found = []
    for kind in sorted({s.kind for s in stacks}):
        mine = [s for s in stacks if s.kind == kind]
        stages: Counter[str] = Counter()
        leaves: Counter[str] = Counter()
        for stack in mine:
            stages[stage_of(stack)] += stack.count
            leaves[stack.frames[-1].rsplit(":", 1)[0] + ")"] += stack.count
        total = sum(s.count for s in mine)
        processes = len({s.pid for s in mine})
        found.append(
            Share(kind, processes, total, stages.most_common(), leaves.most_common(20))
        )
    return sorted(found, key=lambda share: -share.samples)


def profile_text(found: list[Share], seconds: float) -> str:
    """The profile file: per kind of process, samples by stage and top frames."""
    lines = [
        f"py-spy record --subprocesses --threads --nonblocking, {seconds:.0f} s at",
        f"{RATE_HZ} Hz, on the 1-worker sustained run of bench/throughput.py.",
        "",
    ]
    for share in found:
        lines += [
            f"== {share.kind} (x{share.processes}): {share.samples} samples",
            "-- by stage (the deepest stage function on the stack)",
            *(f"{n:7d} {n / share.samples:6.1%}  {s}" for s, n in share.stages),
            "-- top frames by own time (the leaf of the stack)",
            *(f"{n:7d} {n / share.samples:6.1%}  {f}" for f, n in share.leaves),
            "",
        ]
    return "\n".join(lines)


def profile_summary(found: list[Share]) -> str:
    """What the pool processes and the event loop spent their samples on."""
    parts = []
    for share in found:
        if share.kind in ("pool process", "worker main thread (event loop)"):
            top = ", ".join(
                f"{stage} {n / share.samples:.0%}" for stage, n in share.stages[:4]
            )
            parts.append(f"{share.kind}: {top}")
    return "; ".join(parts)
