"""A process pool for CPU-heavy stage work, so the event loop keeps heartbeating.

``map_capped`` bounds each item's time. Inside the pool process a timer (SIGALRM)
interrupts an item that runs past its cap, and the item's result is an ``Overrun``:
the other items of the batch carry on. A function with a batch form (``batched``)
gets a pool process's whole chunk at once, within one item's cap; a chunk that
overruns it is run again one item at a time, so the item at fault is found.
Compiled code (an lxml parse, a regular expression) does not return to the
interpreter for the signal, so the parent keeps a backstop as well: a chunk that
runs far past what its items' caps allow has the pool's processes killed, and its
batch raises ``PoolOverrun``.

The pool is shared by stages, and a batch is cut into chunks of at most
``chunk_items`` items, handed to the processes one chunk per free process, lowest
``priority`` first (then in order of submission). So work of an urgent stage waits
for at most one chunk per process, not behind every batch queued before it: an
executor's own queue is first come, first served.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.context import Process
from types import FrameType
from typing import Any, TypeVar

_BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

#: After an item's cap, the timer fires again this often until the item stops, in
#: case a library's bare ``except:`` swallowed the first interruption.
REPEAT_S = 1.0
#: The parent's backstop for a chunk: this many times its items' caps (run one
#: after another in one process), plus the grace, from when a process takes it.
BACKSTOP_FACTOR = 2.0
BACKSTOP_GRACE_S = 30.0

#: Items per chunk handed to a pool process: small enough that urgent work does
#: not wait long behind it, large enough that a batch form (spaCy's) still batches.
CHUNK_ITEMS = 4

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


@dataclass(order=True)
class _Waiting:
    """A chunk waiting for a free process; ordered by priority, then arrival."""

    priority: int
    seq: int
    call: Callable[[Sequence[Any]], list[Any]] = field(compare=False)
    chunk: Sequence[Any] = field(compare=False)
    future: asyncio.Future[list[Any]] = field(compare=False)
    #: The items' time cap, if any, and the timer of the backstop once running.
    cap_s: float | None = field(compare=False, default=None)
    backstop: asyncio.TimerHandle | None = field(compare=False, default=None)


class CpuPool:
    """Maps a pure function over a batch across worker processes, keeping order."""

    def __init__(
        self,
        workers: int = 0,
        *,
        initializer: Callable[[], object] | None = None,
        backstop_factor: float = BACKSTOP_FACTOR,
        backstop_grace_s: float = BACKSTOP_GRACE_S,
        chunk_items: int = CHUNK_ITEMS,
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.initializer = initializer
        self.backstop_factor = backstop_factor
        self.backstop_grace_s = backstop_grace_s
        self.chunk_items = chunk_items
        self._executor: ProcessPoolExecutor | None = None
        self._waiting: list[_Waiting] = []
        self._order = itertools.count()
        #: Chunks running in the current executor's processes.
        self._busy = 0

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
        self,
        func: Callable[..., R],
        items: Sequence[T],
        *,
        priority: int = 0,
        **kwargs: Any,
    ) -> list[R]:
        """``[func(item, **kwargs) for item in items]``, computed in the pool."""
        if not items:
            return []
        parts = self._submit(partial(_apply_all, func, **kwargs), items, priority)
        return _joined(await asyncio.gather(*parts))

    async def map_capped(
        self,
        func: Callable[..., R],
        items: Sequence[T],
        *,
        seconds_per_item: float,
        priority: int = 0,
        **kwargs: Any,
    ) -> list[R | Overrun]:
        """As ``map``, but an item stops after ``seconds_per_item`` as an Overrun.

        Raises PoolOverrun, having killed the pool's processes, when a chunk runs
        in its process far past its items' caps (see ``backstop_s``). Time spent
        waiting for a free process does not count: a batch of a stage that other
        stages' urgent work keeps waiting is late, not stuck.
        """
        if not items:
            return []
        if self._executor is None:
            # Starting processes and their initializer is not the items' time.
            await self.warm()
        call = partial(_apply_capped, func, cap_s=seconds_per_item, **kwargs)
        parts = self._submit(call, items, priority, cap_s=seconds_per_item)
        try:
            return _joined(await asyncio.gather(*parts))
        except PoolOverrun:
            for part in parts:  # the rest of the batch is given up with it
                part.cancel()
            raise

    def backstop_s(self, items: Sequence[object], seconds_per_item: float) -> float:
        """How long the largest chunk of a batch may run before ``map_capped``
        kills the processes."""
        return self._chunk_backstop_s(len(self._chunks(items)[0]), seconds_per_item)

    def _chunk_backstop_s(self, size: int, seconds_per_item: float) -> float:
        return size * seconds_per_item * self.backstop_factor + self.backstop_grace_s

    def _chunks(self, items: Sequence[T]) -> list[Sequence[T]]:
        return _chunks(items, self.workers, most=self.chunk_items)

    def _submit(
        self,
        call: Callable[[Sequence[T]], list[R]],
        items: Sequence[T],
        priority: int,
        *,
        cap_s: float | None = None,
    ) -> list[asyncio.Future[list[R]]]:
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[list[R]]] = []
        for chunk in self._chunks(items):
            future: asyncio.Future[list[R]] = loop.create_future()
            waiting = _Waiting(priority, next(self._order), call, chunk, future, cap_s)
            heapq.heappush(self._waiting, waiting)
            futures.append(future)
        self._dispatch()
        return futures

    def _dispatch(self) -> None:
        """Hands waiting chunks to free processes, most urgent first."""
        while self._waiting and self._busy < self.workers:
            waiting = heapq.heappop(self._waiting)
            if waiting.future.done():  # its batch was given up (cancelled)
                continue
            executor = self._pool()
            self._busy += 1
            loop = asyncio.get_running_loop()
            running = loop.run_in_executor(executor, waiting.call, waiting.chunk)
            running.add_done_callback(partial(self._finished, executor, waiting))
            if waiting.cap_s is not None:
                budget = self._chunk_backstop_s(len(waiting.chunk), waiting.cap_s)
                # The executor's map of its processes, held from now: shutdown()
                # drops the executor's own reference to it.
                processes = executor._processes
                waiting.backstop = loop.call_later(
                    budget, self._overran, executor, processes, waiting, budget
                )

    def _overran(
        self,
        executor: ProcessPoolExecutor,
        processes: MutableMapping[int, Process],
        waiting: _Waiting,
        budget: float,
    ) -> None:
        """A chunk is stuck where its items' timer cannot stop it: kill the
        processes of the executor it runs in (which another caller may have let
        go meanwhile) and fail the chunk."""
        if waiting.future.done():
            return
        self._let_go(executor)
        for process in list(processes.values()):
            process.kill()
        assert waiting.cap_s is not None
        waiting.future.set_exception(
            PoolOverrun(
                f"a chunk of {len(waiting.chunk)} ran past {budget:.0f} s, far beyond"
                f" its cap of {waiting.cap_s:g} s per item; the pool's processes"
                " were killed",
                seconds_per_item=waiting.cap_s,
            )
        )

    def _finished(
        self,
        executor: ProcessPoolExecutor,
        waiting: _Waiting,
        running: asyncio.Future[list[Any]],
    ) -> None:
        if waiting.backstop is not None:
            waiting.backstop.cancel()
        # Chunks of an executor let go of no longer hold a place in the new one.
        if executor is self._executor:
            self._busy -= 1
        if not waiting.future.done():
            if running.cancelled():
                waiting.future.cancel()
            elif (error := running.exception()) is not None:
                waiting.future.set_exception(error)
            else:
                waiting.future.set_result(running.result())
        self._dispatch()

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the worker processes once their running work is done; ``wait`` for
        that. Without waiting, the next call starts new processes meanwhile."""
        if self._executor is not None:
            executor, self._executor, self._busy = self._executor, None, 0
            executor.shutdown(wait=wait)

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
            self._executor, self._busy = None, 0
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


def _chunks(items: Sequence[T], count: int, most: int = 0) -> list[Sequence[T]]:
    """``items`` in ``count`` chunks of near equal size, or more chunks of at most
    ``most`` items when that is smaller."""
    size = -(-len(items) // count)
    if most:
        size = min(size, most)
    return [items[i : i + size] for i in range(0, len(items), size)]
