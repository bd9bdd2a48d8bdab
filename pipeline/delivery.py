"""An input is acknowledged only once everything sent for it is on the brokers.

faust commits a stream's offset once its events are acknowledged, and flushes the
producer first; but that flush gives up on records still in faust's own buffer after
0.1 s (``ProducerBuffer.flush_atmost``), and a table's changelog records go through
that buffer. A decider's input could then be committed while the writes it made to
its state were not yet in the changelog: a worker that restarts without its local
state (a new machine, a lost disk) would rebuild a state that never saw that input,
and later verdicts would differ from those it published.

So a deciding agent does not leave acknowledgement to faust. It collects the delivery
futures of every record sent for an input (its outputs, and through a
``ChangelogSends`` the changelog records of its table writes), and ``DeliveredAcks``
acknowledges the inputs in order, each once all of its futures have resolved. No
offset is then committed past an input whose records the brokers have not
acknowledged, whatever faust's flush does.
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
    for the input being decided (see ``pipeline.decider.log_table``)."""

    def __init__(self) -> None:
        self._sent: list[Awaitable[Any]] = []

    def add(self, sent: Awaitable[Any]) -> None:
        self._sent.append(sent)

    def take(self) -> list[Awaitable[Any]]:
        """The futures collected since the last call."""
        sent, self._sent = self._sent, []
        return sent


class DeliveredAcks:
    """Acknowledges events in the order they were added, each once its records are
    delivered.

    ``ack`` acknowledges one event to faust; ``current`` says whether an event still
    belongs to the consumer's present assignment: an event from before a rebalance
    is dropped, not acknowledged, since its partition was sought back to the
    committed offset and will deliver it again. A failed delivery stops the
    acknowledgements for good (``failure`` then holds the error): acknowledging any
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
        self._queue: asyncio.Queue[tuple[Any, Sequence[Awaitable[Any]]]] = (
            asyncio.Queue(maxsize=backlog)
        )
        self.failure: BaseException | None = None

    async def add(self, event: Any, sent: Sequence[Awaitable[Any]]) -> None:
        """Queue ``event``, to be acknowledged once ``sent`` have all resolved;
        waits while the backlog is full. Raises the failure, if one happened."""
        if self.failure is not None:
            raise self.failure
        await self._queue.put((event, sent))

    async def run(self) -> None:
        """Acknowledge queued events in order, until cancelled or a delivery fails."""
        while True:
            event, sent = await self._queue.get()
            try:
                await asyncio.gather(*sent)
            except Exception as error:
                log.error("a record was not delivered, acks stop: %r", error)
                self.failure = error
                raise
            if self._current(event):
                await self._ack(event)
            self._queue.task_done()

    async def drained(self) -> None:
        """Wait until every queued event is acknowledged (or dropped)."""
        await self._queue.join()
