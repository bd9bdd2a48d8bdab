"""``newsline extract``: the pipeline's stages in-process, without a broker.

It calls the very stage functions the agents call, on the same bytes, and routes
their results with the same code (pipeline.flow), so its files equal what the
service publishes when the articles are decided in the same order.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from tqdm import tqdm

from pipeline.claims import claims_record
from pipeline.claims.reuse import ClaimsMemory, remembered
from pipeline.codec import encode, encode_key
from pipeline.corpus import SourceRecord, plan
from pipeline.corroborate import Corroborator
from pipeline.cpu import CpuPool, Overrun, fed_promptly
from pipeline.deadletter import Origin
from pipeline.dedupe import DedupeIndex, fingerprint_record
from pipeline.flow import (
    Output,
    Outputs,
    route_claims,
    route_corroborated,
    route_decided,
    route_fingerprint,
    route_ingest,
    timed_out,
)
from pipeline.ingest import ingest_record
from pipeline.models import load_models
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

#: Records handed to the process pool at a time (keeps the progress bar moving).
CHUNK = 64
#: Chunks claimed ahead of the one being corroborated.
AHEAD = 3


@dataclass(frozen=True)
class Input:
    """One record as a stage's agent would consume it."""

    value: bytes
    key: bytes | None
    origin: Origin


def extract(
    settings: Settings,
    paths: Sequence[Path],
    out_dir: Path,
    *,
    show_progress: bool | None = None,
) -> dict[str, int]:
    """Run the corpus through the stages; write one ``<topic>.jsonl`` per output topic.

    Returns the number of records written per topic. Records are written as each
    chunk of the corpus comes out, so memory does not grow with the output.
    """
    records = list(plan(paths))
    with OutputFiles(out_dir) as files, fed_promptly():
        asyncio.run(_run_stages(settings, records, show_progress, files.write))
    return files.counts


class _Stages:
    """The stages over one corpus, in order, with the dedupe index in memory."""

    def __init__(self, settings: Settings, pool: CpuPool) -> None:
        self.settings = settings
        self.pool = pool
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

    async def decided(self, records: Sequence[SourceRecord]) -> list[Output]:
        """Every output of ingest, fingerprint and dedupe, in stage order."""
        inputs = [
            Input(r.value, encode_key(r.key), Origin(topic=r.origin)) for r in records
        ]
        ingested = await self._pooled(
            ingest_record, route_ingest, inputs, limits=self.settings.ingest
        )
        fingerprinted = await self._pooled(
            fingerprint_record,
            route_fingerprint,
            self._inputs(ingested, CLEAN),
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
        claimed = await self._pooled(
            claims_record,
            route_claims,
            self._inputs(decided, DEDUPED),
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

    async def _pooled(
        self,
        work: Callable[..., Any],
        route: Any,
        inputs: list[Input],
        *,
        memory: ClaimsMemory | None = None,
        **kwargs: Any,
    ) -> list[Output]:
        # The worker's cap per article holds here too, so a page that times out
        # in the service times out offline, and the two stay record-for-record.
        async def in_pool(values: list[bytes]) -> list[Any]:
            return await self.pool.map_capped(
                work,
                values,
                seconds_per_item=self.settings.ingest.max_seconds_per_article,
                **kwargs,
            )

        results = await remembered(memory, [i.value for i in inputs], in_pool)
        return [
            out
            for i, result in zip(inputs, results, strict=True)
            for out in route(
                timed_out(result.seconds) if isinstance(result, Overrun) else result,
                value=i.value,
                key=i.key,
                origin=i.origin,
            )
        ]

    def _inputs(self, outputs: Sequence[Output], spec: TopicSpec) -> list[Input]:
        """The records a stage consuming ``spec`` would read, as its agent sees them."""
        return [self._as_input(o) for o in outputs if o.topic == spec]

    def _as_input(self, output: Output) -> Input:
        origin = Origin(topic=topic_name(self.settings, output.topic))
        return Input(encode(output.record), encode_key(output.key), origin)

    def _corroborate(self, output: Output) -> Outputs:
        assert isinstance(output.record, EnrichedArticle)
        done = self.corroborator.corroborate(output.record, seen_at=datetime.now(UTC))
        return route_corroborated(done)

    def _decide(self, output: Output) -> Outputs:
        assert isinstance(output.record, DedupeRequest)
        decided = self.index.decide(output.record, seen_at=datetime.now(UTC))
        # A refusal's dead letter carries the request, as the worker's decider does.
        given = self._as_input(output)
        return route_decided(
            decided, value=given.value, key=given.key, origin=given.origin
        )


async def _run_stages(
    settings: Settings,
    records: list[SourceRecord],
    show_progress: bool | None,
    write: Callable[[Sequence[Output]], None],
) -> None:
    pool = CpuPool(settings.process_workers, initializer=load_models)
    stages = _Stages(settings, pool)
    disable = None if show_progress is None else not show_progress
    chunks = [records[i : i + CHUNK] for i in range(0, len(records), CHUNK)]
    # Dedupe decides chunk after chunk, in order. A chunk's claims are parsed in
    # the pool while the next chunks are ingested and decided, and while earlier
    # ones are corroborated here: the pool is never left waiting for a batch.
    loop = asyncio.get_running_loop()
    ready: asyncio.Queue[asyncio.Future[list[Output]]] = asyncio.Queue(AHEAD)

    async def claim_all() -> None:
        for chunk in chunks:
            try:
                decided = await stages.decided(chunk)
            except Exception as error:  # raised below, where its chunk is awaited
                failed: asyncio.Future[list[Output]] = loop.create_future()
                failed.set_exception(error)
                await ready.put(failed)
                return
            await ready.put(asyncio.ensure_future(stages.claimed(decided)))

    claiming = asyncio.ensure_future(claim_all())
    try:
        with tqdm(
            total=len(records), unit="article", disable=disable, file=sys.stderr
        ) as bar:
            for chunk in chunks:
                claimed = await (await ready.get())
                write(await stages.corroborated(claimed))
                bar.update(len(chunk))
    finally:
        claiming.cancel()
        while not ready.empty():
            ready.get_nowait().cancel()
        pool.shutdown()


class OutputFiles:
    """One ``<topic>.jsonl`` per output topic in a folder, one JSON line per record
    (empty files included). The files are created on entry, before any work."""

    def __init__(self, out_dir: Path) -> None:
        self._out_dir = out_dir
        self._files: dict[TopicSpec, BinaryIO] = {}
        self.counts: dict[str, int] = {spec.name: 0 for spec in OUTPUTS}

    def __enter__(self) -> OutputFiles:
        self._out_dir.mkdir(parents=True, exist_ok=True)
        try:
            for spec in OUTPUTS:
                path = self._out_dir / f"{spec.name}.jsonl"
                self._files[spec] = path.open("wb")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write(self, outputs: Sequence[Output]) -> None:
        for output in outputs:
            if output.topic in self._files:
                self._files[output.topic].write(encode(output.record) + b"\n")
                self.counts[output.topic.name] += 1

    def close(self) -> None:
        for file in self._files.values():
            file.close()
