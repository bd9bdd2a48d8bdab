"""A decider publishes an input's outputs only once its state writes are on the
brokers, and acknowledges the input only once its outputs are too.

Acknowledging: faust commits a stream's offset once its events are acknowledged, and
flushes the producer first; but that flush gives up on records still in faust's own
buffer after 0.1 s (``ProducerBuffer.flush_atmost``), and a table's changelog records
go through that buffer. A decider's input could then be committed while the writes
it made to its state were not yet in the changelog: a worker that restarts without
its local state would rebuild a state that never saw that input, and later verdicts
would differ from those it published. So an input is acknowledged, in order, only
once the changelog records of its table writes and its outputs are all delivered.

Publishing: outputs wait for the state writes of the same decision. Had a decision's
outputs got out and its writes not, a crash would make the worker decide that input
again against a state without them, possibly after inputs that came later, and the
redelivered records could differ from the published ones. With outputs only after
the writes, a published decision is always found in the rebuilt state and answered
from there, identically.

Decisions do not wait for any of this: the next input is decided while earlier
records are in flight (at most BACKLOG inputs wait).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

#: Inputs decided but not yet acknowledged, at most; past it the agent waits.
BACKLOG = 256


class ChangelogSends:
    """Collects the delivery futures of the changelog records that table writes send,
    for the input being decided (see ``pipeline.worker.decider.log_table``)."""

    def __init__(self) -> None:
        self._sent: list[Awaitable[Any]] = []

    def add(self, sent: Awaitable[Any]) -> None:
        self._sent.append(sent)

    def take(self) -> list[Awaitable[Any]]:
        """The futures collected since the last call."""
        sent, self._sent = self._sent, []
        return sent


Publish = Callable[[], Awaitable[Sequence[Awaitable[Any]]]]


class DeliveredAcks:
    """Publishes each event's outputs once its state writes are delivered, and
    acknowledges the events in the order they were added, each once its outputs
    are delivered too.

    ``ack`` acknowledges one event to faust; ``current`` says whether an event still
    belongs to the consumer's present assignment: an event from before a rebalance
    is neither published nor acknowledged, since its partition was sought back to
    the committed offset and will deliver it again (its decision, kept in the
    tables, then gives the same outputs). A failed delivery stops publishing and
    acknowledging for good (``failure`` then holds the error): acknowledging any
    later event would let faust commit past the one whose records were lost.
    """

    def __init__(
        self,
        ack: Callable[[Any], Awaitable[object]],
        current: Callable[[Any], bool],
        *,
        backlog: int = BACKLOG,
    ) -> None:
        self._ack = ack
        self._current = current
        self._decided: asyncio.Queue[tuple[Any, Sequence[Awaitable[Any]], Publish]] = (
            asyncio.Queue(maxsize=backlog)
        )
        self._published: asyncio.Queue[tuple[Any, Sequence[Awaitable[Any]] | None]] = (
            asyncio.Queue(maxsize=backlog)
        )
        self.failure: BaseException | None = None

    async def add(
        self, event: Any, written: Sequence[Awaitable[Any]], publish: Publish
    ) -> None:
        """Queue ``event``: ``publish`` (which sends its outputs and returns their
        delivery futures) runs once ``written`` (its changelog records) have all
        resolved. Waits while the backlog is full. Raises the failure, if one
        happened."""
        if self.failure is not None:
            raise self.failure
        await self._decided.put((event, written, publish))

    async def run(self) -> None:
        """Publish and acknowledge queued events in order, until cancelled or a
        delivery fails."""
        loops = [
            asyncio.create_task(self._publish_in_order()),
            asyncio.create_task(self._acknowledge_in_order()),
        ]
        try:
            await asyncio.gather(*loops)
        finally:  # one failed, or run was cancelled: stop the other too
            for loop in loops:
                loop.cancel()

    async def drained(self) -> None:
        """Wait until every queued event is acknowledged (or dropped)."""
        await self._decided.join()
        await self._published.join()

    async def _publish_in_order(self) -> None:
        while True:
            event, written, publish = await self._decided.get()
            await self._delivered(written)
            sent = await publish() if self._current(event) else None
            await self._published.put((event, sent))
            self._decided.task_done()

    async def _acknowledge_in_order(self) -> None:
        while True:
            event, sent = await self._published.get()
            if sent is not None:
                await self._delivered(sent)
                if self._current(event):
                    await self._ack(event)
            self._published.task_done()

    async def _delivered(self, sent: Sequence[Awaitable[Any]]) -> None:
        # One by one, not gathered: a decision sends a hundred records or more,
        # mostly in a few batches that land together, so after the first wait the
        # rest are done. gather would put a callback on every one of them.
        try:
            for record in sent:
                await record
        except Exception as error:
            log.error("a record was not delivered, publishing and acks stop: %r", error)
            self.failure = error
            raise
