from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Iterator

import pytest

from pipeline.cpu import (
    FEED_SWITCH_S,
    CpuPool,
    Overrun,
    PoolOverrun,
    _chunks,
    fed_promptly,
)
from pipeline.rejection import Rejection

#: Small caps keep these tests short; the backstop still waits for the timer first.
CAP_S = 1.0


def _square(value: int, *, offset: int = 0) -> int:
    return value * value + offset


def _sleepy(value: int) -> int:
    if value < 0:
        time.sleep(60)  # interrupted by the timer in the pool process
    return value


def _swallowing(value: int) -> str:
    # Stage code turns every Exception into a rejection; the cap must get past that.
    try:
        while True:
            pass
    except Exception:
        return "swallowed"


def _stuck() -> None:
    # Like a call into C code that never returns to the interpreter: the timer's
    # signal stays pending and no Python handler runs.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(60)


def _nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _hangs_on_zero(value: int) -> int:
    if value == 0:
        _stuck()
    return value


def _stage(value: bytes) -> str | Rejection:
    """A stand-in for a stage's work function, by the record it is given."""
    if value == b"slow":
        time.sleep(60)
    if value == b"stuck":
        _stuck()
    if value == b"bad":
        return Rejection("bad record", "invalid_record")
    return value.decode()


@pytest.fixture
def pool() -> Iterator[CpuPool]:
    pool = CpuPool(2, backstop_factor=1.0, backstop_grace_s=2.0)
    yield pool
    pool.kill()


async def test_map_keeps_order_across_processes() -> None:
    pool = CpuPool(2)
    try:
        assert await pool.map(_square, list(range(25)), offset=1) == [
            v * v + 1 for v in range(25)
        ]
        assert await pool.map(_square, []) == []
    finally:
        pool.shutdown()


@pytest.mark.parametrize(("size", "count"), [(1, 4), (7, 2), (8, 4), (100, 3)])
def test_chunks_cover_everything_once(size: int, count: int) -> None:
    items = list(range(size))
    chunks = _chunks(items, count)
    assert len(chunks) <= count
    assert [x for chunk in chunks for x in chunk] == items


@pytest.mark.parametrize(("size", "most"), [(20, 8), (3, 8), (17, 4)])
def test_chunks_hold_at_most_the_given_items(size: int, most: int) -> None:
    items = list(range(size))
    chunks = _chunks(items, 2, most=most)
    assert max(len(chunk) for chunk in chunks) == min(most, -(-size // 2))
    assert [x for chunk in chunks for x in chunk] == items


async def test_urgent_work_waits_for_one_chunk_not_the_whole_queue() -> None:
    pool = CpuPool(1, chunk_items=1)
    try:
        await pool.warm()
        done: list[str] = []

        async def run(name: str, items: list[float], priority: int) -> None:
            await pool.map(_nap, items, priority=priority)
            done.append(name)

        slow = asyncio.create_task(run("slow", [0.3] * 4, priority=2))
        await asyncio.sleep(0.05)  # its first chunk is running
        urgent = asyncio.create_task(run("urgent", [0.0], priority=0))
        started = time.monotonic()
        await urgent
        # The urgent item waited for the running chunk only, not the three queued.
        assert time.monotonic() - started < 0.6
        await slow
        assert done == ["urgent", "slow"]
    finally:
        pool.shutdown()


@pytest.mark.slow
async def test_waiting_for_a_process_does_not_count_against_the_backstop() -> None:
    pool = CpuPool(1, backstop_factor=1.0, backstop_grace_s=1.0, chunk_items=1)
    try:
        await pool.warm()
        # Each chunk may run 2 s; the late batch waits about 3.6 s for the process.
        busy = asyncio.create_task(
            pool.map_capped(_nap, [0.9] * 4, seconds_per_item=CAP_S, priority=0)
        )
        await asyncio.sleep(0.05)
        late = await pool.map_capped(_nap, [0.0], seconds_per_item=CAP_S, priority=1)
        assert late == [0.0]
        assert await busy == [0.9] * 4
    finally:
        pool.shutdown()


@pytest.mark.slow
async def test_an_item_past_its_cap_is_an_overrun_and_the_rest_go_on(
    pool: CpuPool,
) -> None:
    started = time.monotonic()
    results = await pool.map_capped(_sleepy, [1, -1, 2, 3], seconds_per_item=CAP_S)
    assert results == [1, Overrun(CAP_S), 2, 3]
    assert time.monotonic() - started < 30
    # The process that was interrupted serves the next batch.
    assert await pool.map_capped(_sleepy, [4, 5], seconds_per_item=CAP_S) == [4, 5]
    assert await pool.map(_square, [3]) == [9]


@pytest.mark.slow
async def test_the_cap_gets_past_a_catch_all_except(pool: CpuPool) -> None:
    assert await pool.map_capped(_swallowing, [0], seconds_per_item=CAP_S) == [
        Overrun(CAP_S)
    ]


@pytest.mark.slow
async def test_a_batch_stuck_past_the_backstop_has_its_processes_killed(
    pool: CpuPool,
) -> None:
    await pool.warm()
    processes = list(pool._pool()._processes.values())
    budget = pool.backstop_s([0, 1, 2, 3], CAP_S)
    started = time.monotonic()
    with pytest.raises(PoolOverrun) as raised:
        await pool.map_capped(_hangs_on_zero, [0, 1, 2, 3], seconds_per_item=CAP_S)
    assert budget <= time.monotonic() - started < budget + 10
    assert raised.value.seconds_per_item == CAP_S
    await asyncio.sleep(0.5)
    assert not any(process.is_alive() for process in processes)
    # New processes take over.
    assert await pool.map_capped(_hangs_on_zero, [5], seconds_per_item=CAP_S) == [5]


@pytest.mark.slow
async def test_the_backstop_kills_the_processes_it_ran_on_after_a_let_go(
    pool: CpuPool,
) -> None:
    await pool.warm()
    processes = list(pool._pool()._processes.values())
    batch = asyncio.create_task(
        pool.map_capped(_hangs_on_zero, [0], seconds_per_item=CAP_S)
    )
    await asyncio.sleep(0.5)
    pool.shutdown(wait=False)  # as another stage's crash path does
    assert await pool.map(_square, [2]) == [4]  # new processes serve others
    with pytest.raises(PoolOverrun):
        await batch
    await asyncio.sleep(0.5)
    assert not any(process.is_alive() for process in processes)


def test_the_backstop_grows_with_the_largest_chunk() -> None:
    pool = CpuPool(2, backstop_factor=2.0, backstop_grace_s=30.0)
    assert pool.backstop_s([0], 20.0) == 2 * 20.0 + 30.0
    assert pool.backstop_s(list(range(5)), 20.0) == 3 * 2 * 20.0 + 30.0


@pytest.mark.slow
async def test_compute_rejects_only_the_records_that_overran(pool: CpuPool) -> None:
    # Imported here: the pool processes import this module to find _stage, and
    # pipeline.stages would bring the models' libraries into them, on the clock
    # of the first batch.
    from pipeline.stages import compute

    values = [b"a", b"slow", b"stuck", b"bad", b"b"]
    results = await compute(pool, _stage, values, seconds_per_item=CAP_S)

    assert results[0] == "a"
    assert results[4] == "b"
    assert results[3] == Rejection("bad record", "invalid_record")
    slow, stuck = results[1], results[2]
    assert isinstance(slow, Rejection)
    assert isinstance(stuck, Rejection)
    assert (slow.error_type, stuck.error_type) == ("timeout", "timeout")
    for rejection in (slow, stuck):
        assert "1-second cap per article" in rejection.reason
        assert "NEWSLINE_INGEST__MAX_SECONDS_PER_ARTICLE" in rejection.reason
    assert "was stopped" in slow.reason
    assert "worker process was killed" in stuck.reason


async def test_compute_without_a_cap_maps_plainly(pool: CpuPool) -> None:
    from pipeline.stages import compute

    assert await compute(pool, _stage, [b"a", b"bad"]) == [
        "a",
        Rejection("bad record", "invalid_record"),
    ]


def test_fed_promptly_shortens_the_switch_interval_within_the_block_only() -> None:
    before = sys.getswitchinterval()
    with fed_promptly():
        assert sys.getswitchinterval() == FEED_SWITCH_S < before
    assert sys.getswitchinterval() == before
    with pytest.raises(RuntimeError), fed_promptly():
        raise RuntimeError
    assert sys.getswitchinterval() == before
