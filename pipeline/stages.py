"""The pipeline's stages in one process: the in-process chain, and the isolation
every pooled stage has in the worker too.

``Stages`` calls the very stage functions the agents call, on the same bytes, and
routes their results with the same code (pipeline.flow), so what it publishes
equals what the service publishes when the articles are decided in the same order.
``compute`` is how both run a batch in the process pool. No faust here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pipeline.claims import claims_record
from pipeline.claims.reuse import ClaimsMemory, remembered
from pipeline.clients.corpus import SourceRecord
from pipeline.codec import encode, encode_key
from pipeline.corroborate import Corroborator
from pipeline.cpu import CpuPool, Overrun, PoolOverrun
from pipeline.deadletter import Origin
from pipeline.dedupe import DedupeIndex, fingerprint_record
from pipeline.flow import (
    Output,
    Outputs,
    crashed,
    route_claims,
    route_corroborated,
    route_decided,
    route_fingerprint,
    route_ingest,
    timed_out,
)
from pipeline.ingest import ingest_record
from pipeline.rejection import Rejection
from pipeline.settings import Settings
from pipeline.state import OrderedKeys
from pipeline.topics import (
    CLAIMED,
    CLEAN,
    DEDUPE_LOG,
    DEDUPED,
    OUTPUTS,
    TopicSpec,
    topic_name,
)
from schemas import EnrichedArticle
from schemas.dedupe import DedupeRequest

log = logging.getLogger(__name__)

R = TypeVar("R")


@dataclass(frozen=True)
class Input:
    """One record as a stage's agent would consume it."""

    value: bytes
    key: bytes | None
    origin: Origin


class Stages:
    """The pipeline's stages in one process, with the deciders' state in memory:
    what ``newsline extract`` and the benchmarks run. Each pooled stage has the
    worker's isolation (``compute``): a record that crashes or hangs a pool
    process, or runs past its cap, is that record's dead letter.

    ``seconds`` adds up the wall time spent in each stage (ingest, fingerprint,
    dedupe decide, claims, corroborate): what the benchmarks report."""

    def __init__(self, settings: Settings, pool: CpuPool) -> None:
        self.settings = settings
        self.pool = pool
        self.seconds: dict[str, float] = defaultdict(float)
        times = settings.event_time
        self.index = DedupeIndex(
            {}, OrderedKeys(), settings=settings.dedupe, times=times
        )
        self.corroborator = Corroborator(
            {}, OrderedKeys(), settings=settings.corroborate, times=times
        )
        self.claims_memory = ClaimsMemory(settings.claims.memory_articles)

    async def run(self, records: Sequence[SourceRecord]) -> list[Output]:
        """The published outputs of every stage for ``records``, in stage order."""
        return await self.corroborated(await self.claimed(await self.decided(records)))

    async def overlapped(
        self, chunks: AsyncIterator[Sequence[SourceRecord]], *, ahead: int
    ) -> AsyncIterator[tuple[Sequence[SourceRecord], list[Output]]]:
        """Each chunk with its published outputs, in the chunks' order, its two kinds
        of work overlapped: dedupe decides chunk after chunk, in order; a chunk's
        claims are parsed in the pool while the next chunks (up to ``ahead``) are
        ingested and decided, and while earlier ones are corroborated here, so the
        pool is never left waiting for a batch."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Queue[
            tuple[Sequence[SourceRecord], asyncio.Future[list[Output]]] | None
        ] = asyncio.Queue(ahead)

        async def claim_all() -> None:
            async for chunk in chunks:
                try:
                    decided = await self.decided(chunk)
                except Exception as error:  # raised where its chunk is awaited
                    failed: asyncio.Future[list[Output]] = loop.create_future()
                    failed.set_exception(error)
                    await ready.put((chunk, failed))
                    return
                await ready.put((chunk, asyncio.ensure_future(self.claimed(decided))))
            await ready.put(None)

        claiming = asyncio.ensure_future(claim_all())
        try:
            while (item := await ready.get()) is not None:
                chunk, claimed = item
                yield chunk, await self.corroborated(await claimed)
            await claiming  # its failure, if any, is raised here
        finally:
            claiming.cancel()
            while not ready.empty():
                if (left := ready.get_nowait()) is not None:
                    left[1].cancel()

    async def decided(self, records: Sequence[SourceRecord]) -> list[Output]:
        """Every output of ingest, fingerprint and dedupe, in stage order."""
        inputs = [
            Input(r.value, encode_key(r.key), Origin(topic=r.origin)) for r in records
        ]
        ingested = await self.pooled(
            ingest_record,
            route_ingest,
            inputs,
            stage="ingest",
            limits=self.settings.ingest,
        )
        fingerprinted = await self.pooled(
            fingerprint_record,
            route_fingerprint,
            self._inputs(ingested, CLEAN),
            stage="fingerprint",
            settings=self.settings.dedupe,
        )
        decided = [
            out
            for logged in fingerprinted
            if logged.topic == DEDUPE_LOG
            for out in self._decide(logged)
        ]
        return [*ingested, *fingerprinted, *decided]

    async def claimed(self, decided: list[Output]) -> list[Output]:
        """``decided``, then the claims stage's outputs for its articles."""
        claimed = await self.pooled(
            claims_record,
            route_claims,
            self._inputs(decided, DEDUPED),
            stage="claims",
            memory=self.claims_memory,
        )
        return [*decided, *claimed]

    async def corroborated(self, claimed: list[Output]) -> list[Output]:
        """The published ones of ``claimed``, then those of corroborating them.

        The event loop runs between articles, so that the pool's work on the next
        records moves from stage to stage meanwhile."""
        corroborated: list[Output] = []
        for logged in claimed:
            if logged.topic == CLAIMED:
                corroborated += self._corroborate(logged)
                await asyncio.sleep(0)
        return [o for o in (*claimed, *corroborated) if o.topic in OUTPUTS]

    async def pooled(
        self,
        work: Callable[..., Any],
        route: Any,
        inputs: list[Input],
        *,
        stage: str,
        memory: ClaimsMemory | None = None,
        **kwargs: Any,
    ) -> list[Output]:
        """One pooled stage over ``inputs``, its results routed as the agent does."""

        # The worker's cap per article holds here too, so a page that times out
        # in the service times out offline, and the two stay record-for-record.
        cap = self.settings.ingest.max_seconds_per_article
        values = [i.value for i in inputs]
        with self._timed(stage):
            results = await compute_batch(
                self.pool,
                work,
                values,
                seconds_per_item=cap,
                memory=memory,
                priority=POOL_PRIORITY[stage],
                **kwargs,
            )
        return [
            out
            for i, result in zip(inputs, results, strict=True)
            for out in route(result, value=i.value, key=i.key, origin=i.origin)
        ]

    @contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - started

    def _inputs(self, outputs: Sequence[Output], spec: TopicSpec) -> list[Input]:
        """The records a stage consuming ``spec`` would read, as its agent sees them."""
        return [self._as_input(o) for o in outputs if o.topic == spec]

    def _as_input(self, output: Output) -> Input:
        origin = Origin(topic=topic_name(self.settings, output.topic))
        return Input(encode(output.record), encode_key(output.key), origin)

    def _corroborate(self, output: Output) -> Outputs:
        assert isinstance(output.record, EnrichedArticle)
        with self._timed("corroborate"):
            done = self.corroborator.corroborate(
                output.record, seen_at=datetime.now(UTC)
            )
        return route_corroborated(done)

    def _decide(self, output: Output) -> Outputs:
        assert isinstance(output.record, DedupeRequest)
        with self._timed("dedupe decide"):
            decided = self.index.decide(output.record, seen_at=datetime.now(UTC))
        # A refusal's dead letter carries the request, as the worker's decider does.
        given = self._as_input(output)
        return route_decided(
            decided, value=given.value, key=given.key, origin=given.origin
        )


#: The pool's order between the stages' waiting work, most urgent first. An
#: article's first step must not wait behind the claims of the articles before it:
#: ingest and fingerprint are short, and claims, the longest, fill the gaps.
POOL_PRIORITY = {"ingest": 0, "fingerprint": 1, "claims": 2}


async def compute_batch(
    pool: CpuPool,
    work: Callable[..., R | Rejection],
    values: Sequence[bytes],
    *,
    seconds_per_item: float | None,
    memory: ClaimsMemory | None = None,
    priority: int = 0,
    **kwargs: Any,
) -> Sequence[Any]:
    """One pooled batch as the worker and ``Stages`` both run it: what ``memory``
    answers skips the pool, the rest goes through ``compute``."""

    async def in_pool(todo: list[bytes]) -> list[R | Rejection]:
        return await compute(
            pool,
            work,
            todo,
            seconds_per_item=seconds_per_item,
            priority=priority,
            **kwargs,
        )

    return await remembered(memory, list(values), in_pool)


async def compute(
    pool: CpuPool,
    work: Callable[..., R | Rejection],
    values: Sequence[bytes],
    *,
    seconds_per_item: float | None = None,
    priority: int = 0,
    **kwargs: Any,
) -> list[R | Rejection]:
    """``work`` over a batch in the pool; a record that kills a process is rejected.

    ``priority`` orders the batch's chunks among other stages' waiting for the
    pool, lowest first (pipeline.cpu).

    With ``seconds_per_item`` a record is stopped at that cap inside its process
    (a ``timeout``); a batch that overruns far past the caps, stuck where the
    timer cannot interrupt, has its processes killed by the pool, and its records
    are then run one at a time, so only the one that hangs is rejected.
    """
    call: _Call[R] = _Call(work, seconds_per_item, priority, kwargs)
    try:
        results = await call.map(pool, values)
    except Exception as error:  # a process died or hung: isolate the record
        log.warning("batch failed (%r); retrying one record at a time", error)
        _replace_processes(pool)
        return [await call.one(pool, value) for value in values]
    return [_unless_overrun(result) for result in results]


def _replace_processes(pool: CpuPool) -> None:
    # A broken pool takes no more work. Not waited for: the pool is shared, and
    # another stage's work may still be running in it, stuck even, until its own
    # caller's backstop kills it; waiting would block the event loop meanwhile.
    pool.shutdown(wait=False)


@dataclass(frozen=True)
class _Call(Generic[R]):
    """How ``compute`` maps ``work`` over values in the pool."""

    work: Callable[..., R | Rejection]
    seconds_per_item: float | None
    priority: int
    kwargs: dict[str, Any]

    async def map(
        self, pool: CpuPool, values: Sequence[bytes]
    ) -> list[R | Rejection | Overrun]:
        if self.seconds_per_item is None:
            return list(
                await pool.map(self.work, values, priority=self.priority, **self.kwargs)
            )
        return await pool.map_capped(
            self.work,
            values,
            seconds_per_item=self.seconds_per_item,
            priority=self.priority,
            **self.kwargs,
        )

    async def one(self, pool: CpuPool, value: bytes) -> R | Rejection:
        """One record on its own: what it does to a process is its own outcome."""
        try:
            [result] = await self.map(pool, [value])
        except PoolOverrun as overrun:  # the pool has killed the process already
            return timed_out(overrun.seconds_per_item, killed=True)
        except Exception as error:
            _replace_processes(pool)
            return crashed(error)
        return _unless_overrun(result)


def _unless_overrun(result: R | Rejection | Overrun) -> R | Rejection:
    if isinstance(result, Overrun):
        return timed_out(result.seconds)
    return result
