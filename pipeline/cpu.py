"""A process pool for CPU-heavy stage work, so the event loop keeps heartbeating."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any, TypeVar

_BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

T = TypeVar("T")
R = TypeVar("R")


class CpuPool:
    """Maps a pure function over a batch across worker processes, keeping order."""

    def __init__(
        self, workers: int = 0, *, initializer: Callable[[], object] | None = None
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.initializer = initializer
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
        loop = asyncio.get_running_loop()
        chunks = _chunks(items, self.workers)
        call = partial(_apply_all, func, **kwargs)
        parts = await asyncio.gather(
            *(loop.run_in_executor(self._pool(), call, chunk) for chunk in chunks)
        )
        return [result for part in parts for result in part]

    def shutdown(self) -> None:
        """Stop the worker processes (waits for running work)."""
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None


def _nothing(item: object) -> None:
    return None


def _apply_all(func: Callable[..., R], chunk: Sequence[T], **kwargs: Any) -> list[R]:
    return [func(item, **kwargs) for item in chunk]


def _chunks(items: Sequence[T], count: int) -> list[Sequence[T]]:
    size = -(-len(items) // count)
    return [items[i : i + size] for i in range(0, len(items), size)]
