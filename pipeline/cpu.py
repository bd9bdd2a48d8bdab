"""A process pool for CPU-heavy stage work, so the event loop keeps heartbeating.

``map_capped`` bounds each item's time. Inside the pool process a timer (SIGALRM)
interrupts an item that runs past its cap, and the item's result is an ``Overrun``:
the other items of the batch carry on. A function with a batch form (``batched``)
gets a pool process's whole chunk at once, within one item's cap; a chunk that
overruns it is run again one item at a time, so the item at fault is found.
Compiled code (an lxml parse, a regular expression) does not return to the
interpreter for the signal, so the parent keeps a backstop as well: a batch that
runs far past what its items' caps allow has the pool's processes killed and raises
``PoolOverrun``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from types import FrameType
from typing import Any, TypeVar

_BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

#: After an item's cap, the timer fires again this often until the item stops, in
#: case a library's bare ``except:`` swallowed the first interruption.
REPEAT_S = 1.0
#: The parent's backstop for a batch: this many times the caps of its largest chunk
#: (run one item after another in one process), plus the grace. Wide, because time
#: spent queued behind other stages' work in the shared pool counts too.
BACKSTOP_FACTOR = 2.0
BACKSTOP_GRACE_S = 30.0

#: How long a thread of the parent holds the GIL before handing it over, while
#: ``fed_promptly`` (Python's default is 5 ms).
FEED_SWITCH_S = 0.0005

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Overrun:
    """The result of an item that was stopped at its time cap of ``seconds``."""

    seconds: float


class PoolOverrun(Exception):  # noqa: N818 -- names what happened, as TimeoutError
    """A batch ran far past its items' caps; the pool's processes were killed."""

    def __init__(self, message: str, *, seconds_per_item: float) -> None:
        super().__init__(message)
        self.seconds_per_item = seconds_per_item


class CpuPool:
    """Maps a pure function over a batch across worker processes, keeping order."""

    def __init__(
        self,
        workers: int = 0,
        *,
        initializer: Callable[[], object] | None = None,
        backstop_factor: float = BACKSTOP_FACTOR,
        backstop_grace_s: float = BACKSTOP_GRACE_S,
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.initializer = initializer
        self.backstop_factor = backstop_factor
        self.backstop_grace_s = backstop_grace_s
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not fork: forking a process that runs an event loop and Kafka
            # client threads can copy held locks into the child.
            context = multiprocessing.get_context("spawn")
            # Each pool process is one core's worth of work: a BLAS that starts a
            # thread per core in every process would oversubscribe the machine.
            # Spawned children read these when they load numpy.
            for name in _BLAS_THREADS:
                os.environ.setdefault(name, "1")
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=self.initializer
            )
        return self._executor

    async def warm(self) -> None:
        """Start the worker processes now, so the first batch does not wait for them."""
        await self.map(_nothing, list(range(self.workers)))

    async def map(
        self, func: Callable[..., R], items: Sequence[T], **kwargs: Any
    ) -> list[R]:
        """``[func(item, **kwargs) for item in items]``, computed in the pool."""
        if not items:
            return []
        parts = self._submit(partial(_apply_all, func, **kwargs), items, self._pool())
        return _joined(await asyncio.gather(*parts))

    async def map_capped(
        self,
        func: Callable[..., R],
        items: Sequence[T],
        *,
        seconds_per_item: float,
        **kwargs: Any,
    ) -> list[R | Overrun]:
        """As ``map``, but an item stops after ``seconds_per_item`` as an Overrun.

        Raises PoolOverrun, having killed the pool's processes, when the batch runs
        far past its caps (see ``backstop_s``).
        """
        if not items:
            return []
        if self._executor is None:
            # Starting processes and their initializer is not the items' time.
            await self.warm()
        call = partial(_apply_capped, func, cap_s=seconds_per_item, **kwargs)
        budget = self.backstop_s(items, seconds_per_item)
        executor = self._pool()
        parts = self._submit(call, items, executor)
        # The processes to kill are those of the executor that runs the batch, which
        # by the deadline another caller may have let go (shutdown() then drops its
        # reference to this map, which stays the processes' live record).
        processes = executor._processes
        try:
            return _joined(await asyncio.wait_for(asyncio.gather(*parts), budget))
        except TimeoutError:
            self._let_go(executor)
            for process in list(processes.values()):
                process.kill()
            raise PoolOverrun(
                f"a batch of {len(items)} ran past {budget:.0f} s, far beyond its "
                f"cap of {seconds_per_item:g} s per item; its processes were killed",
                seconds_per_item=seconds_per_item,
            ) from None

    def backstop_s(self, items: Sequence[object], seconds_per_item: float) -> float:
        """How long a batch may take before ``map_capped`` kills the processes."""
        largest = len(_chunks(items, self.workers)[0])
        caps = largest * seconds_per_item
        return caps * self.backstop_factor + self.backstop_grace_s

    def _submit(
        self,
        call: Callable[[Sequence[T]], list[R]],
        items: Sequence[T],
        executor: ProcessPoolExecutor,
    ) -> list[asyncio.Future[list[R]]]:
        loop = asyncio.get_running_loop()
        chunks = _chunks(items, self.workers)
        return [loop.run_in_executor(executor, call, chunk) for chunk in chunks]

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the worker processes once their running work is done; ``wait`` for
        that. Without waiting, the next call starts new processes meanwhile."""
        if self._executor is not None:
            self._executor.shutdown(wait=wait)
            self._executor = None

    def kill(self) -> None:
        """Stop the worker processes now, running work and all; the next call starts
        new ones. Work of other callers that was running fails (BrokenProcessPool)."""
        executor = self._executor
        if executor is not None:
            # shutdown() lets running calls finish, and one stuck in compiled code
            # never does: only killing its process stops it. Python 3.14 adds
            # ProcessPoolExecutor.kill_workers(); until then the processes are in
            # the executor's private map.
            processes = list(executor._processes.values())
            self._let_go(executor)
            for process in processes:
                process.kill()

    def _let_go(self, executor: ProcessPoolExecutor) -> None:
        if self._executor is executor:
            self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)


@contextmanager
def fed_promptly() -> Iterator[None]:
    """Within the block, the process's threads hand the GIL over every
    ``FEED_SWITCH_S``.

    The executor's own threads move work to the pool processes and results back,
    and need the GIL for it. A parent busy with pure-Python work between awaits
    (corroborating) held it 5 ms at a time, and the pool processes sat idle
    waiting for their next batch: ``newsline extract`` of 10,000 short records
    took 56 s, against 51 s with this.
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(FEED_SWITCH_S)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _nothing(item: object) -> None:
    return None


def _apply_all(func: Callable[..., R], chunk: Sequence[T], **kwargs: Any) -> list[R]:
    return [func(item, **kwargs) for item in chunk]


class _TimeUp(BaseException):
    """Raised into an item's code when its cap passes. A BaseException, so that the
    stages' ``except Exception`` (which turns a bug into a rejection) lets it by."""


# Whether the item running now may be interrupted. The handler checks it, so that
# once an item's cleanup has begun, a late tick of the timer cannot escape as an
# exception into the pool machinery (and back to the parent).
_armed = False


def batched(
    batch: Callable[[Sequence[Any]], list[Any]],
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Declare ``batch`` as the batch form of the decorated one-item function: the
    same results, item for item, for many items at a time."""

    def declare(func: Callable[..., R]) -> Callable[..., R]:
        setattr(func, _BATCH, batch)  # an attribute of a function: mypy has no type
        return func

    return declare


_BATCH = "newsline_batch"


def _apply_capped(
    func: Callable[..., R], chunk: Sequence[T], *, cap_s: float, **kwargs: Any
) -> list[R | Overrun]:
    # Runs in a pool process's main thread, the only one that may handle signals.
    previous = signal.signal(signal.SIGALRM, _time_up)
    try:
        batch = getattr(func, _BATCH, None)
        if batch is not None and len(chunk) > 1:
            # A chunk of ordinary items takes far less than one item's cap. One
            # that overruns it, or fails, is run again item by item: the item at
            # fault then gets its own outcome, as without a batch form.
            try:
                results = _call_capped(batch, chunk, cap_s, kwargs)
            except Exception:
                results = Overrun(cap_s)
            if not isinstance(results, Overrun):
                return list(results)
        return [_call_capped(func, item, cap_s, kwargs) for item in chunk]
    finally:
        # Disarmed before the old handler returns: by default SIGALRM kills.
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _call_capped(
    func: Callable[..., R], item: T, cap_s: float, kwargs: dict[str, Any]
) -> R | Overrun:
    global _armed  # noqa: PLW0603 -- shared with the signal handler, by design
    try:
        try:
            _armed = True
            signal.setitimer(signal.ITIMER_REAL, cap_s, REPEAT_S)
            return func(item, **kwargs)
        finally:
            _armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    # Also when the timer fired just as the item ended: it had used its whole cap.
    except _TimeUp:
        return Overrun(cap_s)


def _time_up(signum: int, frame: FrameType | None) -> None:
    if _armed:
        raise _TimeUp


def _joined(parts: Sequence[list[R]]) -> list[R]:
    return [result for part in parts for result in part]


def _chunks(items: Sequence[T], count: int) -> list[Sequence[T]]:
    size = -(-len(items) // count)
    return [items[i : i + size] for i in range(0, len(items), size)]
