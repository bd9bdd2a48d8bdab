"""A decision in steps lets the worker's other agents run between them."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from pipeline.flow import Outputs
from pipeline.rejection import Rejection
from pipeline.steps import Steps
from pipeline.worker import decider
from pipeline.worker.decider import _decided

STEP_S = 0.02


def _three_steps(log: list[str]) -> Steps[Outputs | Rejection]:
    for i in range(3):
        time.sleep(STEP_S)
        log.append(f"step {i}")
        yield
    return ()


async def test_other_work_runs_between_the_steps_and_is_not_timed() -> None:
    log: list[str] = []

    async def other() -> None:
        for _ in range(3):
            await asyncio.sleep(0)
            log.append("other")
            time.sleep(0.1)  # not the decision's time

    def decide(value: bytes, now: datetime) -> Steps[Outputs | Rejection]:
        return _three_steps(log)

    beside = asyncio.create_task(other())
    result, seconds = await _decided(decide, b"x", "corroborate")
    await beside
    assert result == ()
    # The other task ran before the decision ended, not after.
    assert log.index("other") < log.index("step 2")
    assert 3 * STEP_S <= seconds < 3 * STEP_S + 0.09


async def test_a_step_that_raises_is_the_records_dead_letter() -> None:
    def decide(value: bytes, now: datetime) -> Steps[Outputs | Rejection]:
        yield
        raise ValueError("bad cluster")

    result, _ = await _decided(decide, b"x", "corroborate")
    assert isinstance(result, Rejection)
    assert result.error_type == "processing_failed"
    assert "ValueError: bad cluster" in result.reason


async def test_a_sweep_forgets_in_steps_and_stops_at_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(decider, "EXPIRY_BATCH", 50)
    due = list(range(120))
    calls: list[int] = []
    ticks = 0

    def expire(now: datetime, limit: int) -> int:
        calls.append(limit)
        taken = due[:limit]
        del due[:limit]
        return len(taken)

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    ticking = asyncio.create_task(tick())
    await asyncio.sleep(0)
    assert await decider.sweep(expire, datetime.now(UTC)) == 50
    ticking.cancel()
    assert calls == [decider.EXPIRY_STEP] * 2 + [10]
    assert ticks >= 2  # the loop ran other work between the steps
    assert len(due) == 70  # the next sweep goes on
    due.clear()
    assert await decider.sweep(expire, datetime.now(UTC)) == 0


async def test_a_few_leave_every_few_decisions_and_the_rest_in_a_sweep() -> None:
    due = list(range(200))
    calls: list[int] = []
    clock = [0.0]

    def expire(now: datetime, limit: int) -> int:
        calls.append(limit)
        taken = due[:limit]
        del due[:limit]
        return len(taken)

    forgetting = decider.Forgetting(expire, clock=lambda: clock[0])
    now = datetime.now(UTC)
    every, step = decider.EXPIRY_EVERY, decider.EXPIRY_STEP
    forgotten = [await forgetting.after_decision(now) for _ in range(3 * every)]
    # Nothing between, a step's worth every EXPIRY_EVERY decisions.
    assert forgotten == ([0] * (every - 1) + [step]) * 3
    assert calls == [step] * 3
    # Once a sweep is due, the rest leave in steps.
    clock[0] = decider.EXPIRY_INTERVAL_S + 1
    assert await forgetting.after_decision(now) == 200 - 3 * step
    assert max(calls) == step
    # The next sweep is a whole interval away.
    due.extend(range(30))
    calls.clear()
    clock[0] += decider.EXPIRY_INTERVAL_S / 2
    assert sum([await forgetting.after_decision(now) for _ in range(every)]) == step
    assert calls == [step]
