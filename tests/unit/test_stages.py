"""The in-process chain runs each pooled stage with the worker's isolation."""

from __future__ import annotations

import os
import time

from pipeline.cpu import CpuPool
from pipeline.deadletter import Origin
from pipeline.flow import route_ingest
from pipeline.rejection import Rejection
from pipeline.settings import IngestLimits, Settings
from pipeline.stages import Input, Stages
from schemas import DeadLetter


def _crash_or_hang(value: bytes) -> Rejection:
    """A stage that kills its process on one record and hangs on another."""
    if value == b"crash":
        os._exit(3)
    if value == b"hang":
        time.sleep(60)
    return Rejection(f"read {value.decode()}", "invalid_record")


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
            _crash_or_hang, route_ingest, inputs
        )
    finally:
        pool.kill()
    letters = [o.record for o in outputs]
    assert all(isinstance(letter, DeadLetter) for letter in letters)
    kinds = [letter.error_type for letter in letters if isinstance(letter, DeadLetter)]
    assert kinds == ["invalid_record", "processing_failed", "timeout", "invalid_record"]
