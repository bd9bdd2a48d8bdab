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
from typing import Any

from tqdm import tqdm

from pipeline.claims import claims_record
from pipeline.claims.reuse import ClaimsMemory, remembered
from pipeline.codec import encode, encode_key
from pipeline.corpus import SourceRecord, plan
from pipeline.corroborate import Corroborator
from pipeline.cpu import CpuPool, Overrun
from pipeline.deadletter import Origin
from pipeline.dedupe import DedupeIndex, OrderedKeys, fingerprint_record
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

    Returns the number of records written per topic.
    """
    records = list(plan(paths))
    outputs = asyncio.run(_run_stages(settings, records, show_progress))
    return write_outputs(outputs, out_dir)


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
        claimed = await self._pooled(
            claims_record,
            route_claims,
            self._inputs(decided, DEDUPED),
            memory=self.claims_memory,
        )
        corroborated = [
            out
            for logged in claimed
            if logged.topic == CLAIMED
            for out in self._corroborate(logged)
        ]
        stages = (*ingested, *fingerprinted, *decided, *claimed, *corroborated)
        return [o for o in stages if o.topic in OUTPUTS]

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
    settings: Settings, records: list[SourceRecord], show_progress: bool | None
) -> list[Output]:
    pool = CpuPool(settings.process_workers, initializer=load_models)
    stages = _Stages(settings, pool)
    disable = None if show_progress is None else not show_progress
    outputs: list[Output] = []
    try:
        with tqdm(
            total=len(records), unit="article", disable=disable, file=sys.stderr
        ) as bar:
            for start in range(0, len(records), CHUNK):
                chunk = records[start : start + CHUNK]
                outputs += await stages.run(chunk)
                bar.update(len(chunk))
    finally:
        pool.shutdown()
    return outputs


def write_outputs(outputs: Sequence[Output], out_dir: Path) -> dict[str, int]:
    """One JSON line per record, one file per output topic (empty files included)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for spec in OUTPUTS:
        lines = [encode(o.record) + b"\n" for o in outputs if o.topic == spec]
        (out_dir / f"{spec.name}.jsonl").write_bytes(b"".join(lines))
        counts[spec.name] = len(lines)
    return counts
