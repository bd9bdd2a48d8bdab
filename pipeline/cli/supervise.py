"""A ``newsline worker`` in a child process, for ``newsline run`` and the tests.

The worker runs in its own session, so that a Ctrl-C at the terminal reaches only its
parent, which then stops it (and its process pool, by process group) on purpose. A
parent that exits on a signal must therefore stop it first: ``raising_on_signals``
turns SIGTERM and SIGHUP into an exception that unwinds through ``with
WorkerProcess``, and a worker started with ``die_with_parent`` is sent SIGTERM by
the kernel when its parent dies in a way no code can see (SIGKILL).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType, TracebackType

#: prctl(2) option: the signal a process gets when its parent thread exits (Linux).
PR_SET_PDEATHSIG = 1
#: Signals that would end the parent while it stops its worker.
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


class Terminated(BaseException):
    """A stop signal (SIGTERM, SIGHUP, or SIGINT where asked), raised so that
    ``with`` blocks stop what they started.

    A BaseException, as KeyboardInterrupt is, so that no ``except Exception`` on
    the way up swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


@contextmanager
def raising_on_signals(
    signums: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGHUP),
) -> Iterator[None]:
    """Within the block, the first of ``signums`` raises Terminated; later ones are
    ignored, so that a second signal cannot interrupt the cleanup the first began.

    Python's default for these signals ends the process on the spot, leaving a
    worker started in its own session running. Main thread only.
    """
    raised = False

    def handle(signum: int, frame: FrameType | None) -> None:
        nonlocal raised
        if not raised:
            raised = True
            raise Terminated(signum)

    previous = {signum: signal.signal(signum, handle) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class WorkerProcess:
    """Starts ``newsline worker`` with extra environment; stops it on exit.

    With ``die_with_parent`` (Linux), the kernel sends the worker SIGTERM if this
    process dies without stopping it, even by SIGKILL. Start it from the main thread
    then: the kernel watches the thread that started it.
    """

    def __init__(
        self,
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        die_with_parent: bool = False,
        args: Sequence[str] = ("-m", "pipeline.cli", "worker"),
    ) -> None:
        self.log_path = log_path
        #: What the interpreter runs: ``newsline worker``, or a benchmark's peer.
        self.args = tuple(args)
        self.env = {**os.environ, **(env or {})}
        self.die_with_parent = die_with_parent
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        """Launch the worker; its output goes to ``log_path``."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # Signals are not held back here: the child would inherit the mask and never
        # see the SIGTERM that stops it. One that lands inside Popen loses the
        # process object; die_with_parent still stops that worker with its parent.
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, *self.args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
                # The function only calls prctl, getppid and kill: no lock that
                # another thread could have held at the fork.
                preexec_fn=_parent_death_signal() if self.die_with_parent else None,  # noqa: PLW1509
            )
        return self

    def alive(self) -> bool:
        """True while the worker process runs."""
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        """The worker's exit status once it has ended (negative: killed by signal)."""
        return self.process.poll() if self.process is not None else None

    def stop(self, *, timeout: float = 30.0) -> int | None:
        """SIGTERM (faust shuts down cleanly), SIGKILL after ``timeout`` seconds.

        Ctrl-C, SIGTERM and SIGHUP wait until the worker is gone: one arriving
        meanwhile must not leave it running, which is what stopping is for.
        """
        if self.process is None:
            return None
        with _signals_held():
            self._stop(self.process, timeout)
        return self.process.returncode

    def _stop(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        if process.poll() is not None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()

    def kill(self) -> None:
        """SIGKILL the worker and its process pool: a crash, as tests need one."""
        if self.alive() and self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        """The end of the worker's log, for error messages."""
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> WorkerProcess:
        try:
            return self.start()
        except BaseException:  # __exit__ is not called when __enter__ fails
            self.stop()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back until the block ends (this thread)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _signal_group(pid: int, signum: signal.Signals) -> None:
    # The worker may have ended between the check and the signal.
    with suppress(ProcessLookupError):
        os.killpg(pid, signum)


def _parent_death_signal() -> Callable[[], None] | None:
    """A function for the child, before exec, that asks the kernel for SIGTERM when
    this process dies; None where prctl does not exist."""
    if not sys.platform.startswith("linux"):
        return None
    # Looked up here, in the parent: the child between fork and exec should only call.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def arrange() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took hold
            os.kill(os.getpid(), signal.SIGTERM)

    return arrange
