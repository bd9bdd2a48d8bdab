"""faust's Kafka consumer, made to deliver every record at least once.

Two pieces of faust's consumer bookkeeping can lose a record after a restart or a
rebalance (kill loops in tests/integration/test_kills.py; docs/reliability.md):

- **Records dropped as "already read".** faust remembers the offset it last handed
  to a stream and silently drops any fetched record below it, so that records
  fetched again after a seek are not processed twice. But at the end of recovery
  faust seeks back to the committed offsets and clears the stream queues, while its
  fetch loop may still be finishing a batch fetched earlier: that batch moves the
  remembered offset past records that were cleared unprocessed, and their new
  copies are then dropped. A jump of the remembered offset also marks the offsets
  in between as a gap, which faust later counts as done.
- **A commit past the first record.** faust commits past a one-record hole at the
  head of a partition (``min(acked) - committed > 1``; faust-streaming #606), which
  is exactly a record that was cleared or dropped.

- **No seek back where nothing was committed.** The seek at the end of recovery
  leaves a partition without a committed offset where the fetcher had got to, so
  a record fetched and cleared there was never fetched again: the first record a
  worker ever had on a partition could be lost.

Here nothing is dropped as already read (a record seen twice is processed twice: every
stage is idempotent, and redelivered records are identical); a partition without a
committed offset is sought back to its first record, which then counts as its
committed offset; and a partition is committed only while the record at its
committed offset has been acknowledged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP


class NothingRead(dict[TP, int | None]):
    """A read-offset map whose lookups all say "nothing read yet", so that faust
    neither drops fetched records nor marks gaps; what it stores is never used."""

    def __getitem__(self, key: TP) -> int | None:
        return None


def head_is_done(acked: Sequence[int], committed: int | None) -> bool:
    """Whether a partition may be committed: the record at its committed offset (the
    next one to process) is among the acknowledged ones, or nothing is committed
    yet."""
    return committed is None or not acked or min(acked) <= committed


class AtLeastOnceConsumer(faust_aiokafka.Consumer):
    """faust's aiokafka consumer, without dropped re-fetches or commits past a hole.

    It also says where a rebalance is (pipeline.worker.decider reads it):
    ``revoking`` while partitions are being revoked, when faust waits for every
    event an agent holds to be acknowledged; ``restoring`` from an assignment until
    faust reports its tables restored (``app.on_rebalance_complete``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_offset = NothingRead()
        self.revoking = False
        self.restoring = True
        self.app.on_rebalance_complete.connect(self._restored)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        self.revoking = True
        try:
            await super().on_partitions_revoked(revoked)
        finally:
            self.revoking = False

    async def on_partitions_assigned(
        self, assigned: set[TP], generation_id: int = 0
    ) -> None:
        self.restoring = True
        await super().on_partitions_assigned(assigned, generation_id)

    async def _restored(
        self, sender: Any, /, *args: Any, signal: Any, **kwargs: Any
    ) -> None:
        self.restoring = False

    async def perform_seek(self) -> None:
        await super().perform_seek()
        # Stream partitions only: faust positions the changelogs itself.
        fresh = [
            tp
            for tp in self.assignment()
            if self._committed_offset.get(tp) is None and not self._is_changelog_tp(tp)
        ]
        if not fresh:
            return
        for tp, first in (await self.earliest_offsets(*fresh)).items():
            await self.seek(tp, first)
            self._committed_offset[tp] = first

    def _new_offset(self, tp: TP) -> int | None:
        if not head_is_done(self._acked[tp], self._committed_offset[tp]):
            return None
        offset: int | None = super()._new_offset(tp)
        return offset


class IdempotentProducer(faust_aiokafka.Producer):
    """faust's producer with idempotence on, as Kafka's own clients have by
    default: a batch the producer sends again after a lost acknowledgement (a
    partition leader that failed over) is written once, in order, not twice."""

    def _settings_extra(self) -> Mapping[str, Any]:
        extra: Mapping[str, Any] = super()._settings_extra()
        return {**extra, "acks": "all", "enable_idempotence": True}


class _Transport(faust_aiokafka.Transport):
    Consumer = AtLeastOnceConsumer
    Producer = IdempotentProducer


class NewslineApp(faust.App):
    """The faust app, with the at-least-once consumer and the idempotent producer."""

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)
