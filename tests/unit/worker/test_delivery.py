"""DeliveredAcks: outputs wait for their state writes; acks wait for both."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

import pytest

from pipeline.worker.delivery import ChangelogSends, DeliveredAcks, Publish


class Acked:
    """Records acknowledgements; events of generation 0 are stale."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    async def ack(self, event: Any) -> bool:
        self.events.append(event)
        return True

    @staticmethod
    def current(event: Any) -> bool:
        return not str(event).startswith("stale")


class Published:
    """Records which events' outputs were sent; each send returns ``sent``."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def of(self, event: Any, sent: Sequence[Awaitable[Any]] = ()) -> Publish:
        async def publish() -> Sequence[Awaitable[Any]]:
            self.events.append(event)
            return sent

        return publish


NOTHING = Published().of("nothing")


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_acknowledges_only_after_delivery_and_in_order() -> None:
    acked = Acked()
    acks = DeliveredAcks(acked.ack, acked.current)
    task = asyncio.create_task(acks.run())
    loop = asyncio.get_running_loop()
    first, second, third = (loop.create_future() for _ in range(3))
    await acks.add("e1", [first], NOTHING)
    await acks.add("e2", [second, third], NOTHING)
    second.set_result(None)
    third.set_result(None)
    await _settle()
    # e2 is delivered, but e1 is not: acking e2 would let faust commit past e1.
    assert acked.events == []
    first.set_result(None)
    await asyncio.wait_for(acks.drained(), 1)
    assert acked.events == ["e1", "e2"]
    task.cancel()


async def test_an_event_from_before_a_rebalance_is_not_acknowledged() -> None:
    acked = Acked()
    acks = DeliveredAcks(acked.ack, acked.current)
    task = asyncio.create_task(acks.run())
    await acks.add("stale-e1", [], NOTHING)
    await acks.add("e2", [], NOTHING)
    await asyncio.wait_for(acks.drained(), 1)
    assert acked.events == ["e2"]
    task.cancel()


async def test_a_failed_delivery_stops_every_later_acknowledgement() -> None:
    acked = Acked()
    acks = DeliveredAcks(acked.ack, acked.current)
    task = asyncio.create_task(acks.run())
    loop = asyncio.get_running_loop()
    lost: asyncio.Future[None] = loop.create_future()
    await acks.add("e1", [lost], NOTHING)
    await acks.add("e2", [], NOTHING)
    lost.set_exception(RuntimeError("broker refused"))
    with pytest.raises(RuntimeError, match="broker refused"):
        await asyncio.wait_for(task, 1)
    assert acked.events == []
    with pytest.raises(RuntimeError, match="broker refused"):
        await acks.add("e3", [], NOTHING)


async def test_a_full_backlog_makes_the_decider_wait() -> None:
    acked = Acked()
    acks = DeliveredAcks(acked.ack, acked.current, backlog=1)
    task = asyncio.create_task(acks.run())
    loop = asyncio.get_running_loop()
    pending: asyncio.Future[None] = loop.create_future()
    await acks.add("e1", [pending], NOTHING)
    await _settle()  # e1 is taken off the queue, waiting for its delivery
    await acks.add("e2", [], NOTHING)
    third = asyncio.create_task(acks.add("e3", [], NOTHING))
    await _settle()
    assert not third.done()
    pending.set_result(None)
    await asyncio.wait_for(third, 1)
    await asyncio.wait_for(acks.drained(), 1)
    assert acked.events == ["e1", "e2", "e3"]
    task.cancel()


async def test_outputs_are_published_only_after_their_state_writes_land() -> None:
    acked, published = Acked(), Published()
    acks = DeliveredAcks(acked.ack, acked.current)
    task = asyncio.create_task(acks.run())
    loop = asyncio.get_running_loop()
    written, output = loop.create_future(), loop.create_future()
    await acks.add("e1", [written], published.of("e1", [output]))
    await acks.add("e2", [], published.of("e2"))
    await _settle()
    # Outputs out before the writes would let a crash re-decide e1 differently.
    assert published.events == []
    written.set_result(None)
    await _settle()
    assert published.events == ["e1", "e2"]
    assert acked.events == []  # e1's output is not delivered yet
    output.set_result(None)
    await asyncio.wait_for(acks.drained(), 1)
    assert acked.events == ["e1", "e2"]
    task.cancel()


async def test_an_event_from_before_a_rebalance_is_not_published() -> None:
    acked, published = Acked(), Published()
    acks = DeliveredAcks(acked.ack, acked.current)
    task = asyncio.create_task(acks.run())
    await acks.add("stale-e1", [], published.of("stale-e1"))
    await acks.add("e2", [], published.of("e2"))
    await asyncio.wait_for(acks.drained(), 1)
    assert published.events == ["e2"]
    task.cancel()


def test_changelog_sends_are_taken_once() -> None:
    sends = ChangelogSends()
    futures: list[Awaitable[Any]] = [asyncio.sleep(0), asyncio.sleep(0)]
    for future in futures:
        sends.add(future)
    assert sends.take() == futures
    assert sends.take() == []
    for future in futures:
        future.close()  # type: ignore[attr-defined]  # coroutines, never awaited
