"""The in-process chain runs each pooled stage with the worker's isolation: a
record that crashes or hangs a pool process is the same dead letter in both."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from pipeline.cpu import CpuPool
from pipeline.deadletter import Origin
from pipeline.flow import route_ingest
from pipeline.rejection import Rejection
from pipeline.settings import IngestLimits, Settings
from pipeline.stages import Input, Stages
from pipeline.worker.pooled import run_pooled
from schemas import DeadLetter


def _crash_or_hang(value: bytes) -> Rejection:
    """A stage that kills its process on one record and hangs on another."""
    if value == b"crash":
        os._exit(3)
    if value == b"hang":
        time.sleep(60)
    return Rejection(f"read {value.decode()}", "invalid_record")


@pytest.mark.slow
async def test_a_record_that_crashes_or_hangs_its_process_is_its_own_dead_letter() -> (
    None
):
    settings = Settings(
        process_workers=1, ingest=IngestLimits(max_seconds_per_article=1)
    )
    pool = CpuPool(settings.process_workers)
    values = [b"a", b"crash", b"hang", b"b"]
    inputs = [Input(value, None, Origin(topic="corpus")) for value in values]
    try:
        outputs = await Stages(settings, pool).pooled(
            _crash_or_hang, route_ingest, inputs, stage="ingest"
        )
    finally:
        pool.kill()
    letters = [o.record for o in outputs]
    assert all(isinstance(letter, DeadLetter) for letter in letters)
    kinds = [letter.error_type for letter in letters if isinstance(letter, DeadLetter)]
    assert kinds == ["invalid_record", "processing_failed", "timeout", "invalid_record"]


class _Batches:
    """A stream as ``run_pooled`` reads it: one batch of events, then its end."""

    def __init__(self, values: list[bytes]) -> None:
        self.events = [
            SimpleNamespace(
                value=value,
                message=SimpleNamespace(
                    topic="articles.raw", partition=0, offset=offset, key=None
                ),
            )
            for offset, value in enumerate(values)
        ]

    async def take_events(self, size: int, *, within: float) -> AsyncIterator[Any]:
        yield self.events


@pytest.mark.slow
async def test_the_worker_gives_a_crash_and_a_hang_the_same_dead_letters() -> None:
    settings = Settings(
        process_workers=1, ingest=IngestLimits(max_seconds_per_article=1)
    )
    published: list[Any] = []

    async def publish(replies: list[Any], *, stage: str) -> None:
        published.extend(out.record for _, outputs in replies for out in outputs)

    pool = CpuPool(settings.process_workers)
    runtime = SimpleNamespace(settings=settings, pool=pool, publish=publish)
    stream = _Batches([b"a", b"crash", b"hang", b"b"])
    try:
        await run_pooled(
            runtime,  # type: ignore[arg-type]
            stream,  # type: ignore[arg-type]
            _crash_or_hang,
            route_ingest,
            stage="ingest",
        )
    finally:
        pool.kill()
    kinds = [letter.error_type for letter in published]
    assert kinds == ["invalid_record", "processing_failed", "timeout", "invalid_record"]
