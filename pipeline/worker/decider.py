"""What every single-partition deciding agent does (dedupe decide, corroborate).

Such an agent owns all of a stage's state in faust tables and reads a log topic with
one partition, so that every decision sees every earlier record in one order. It
handles one event at a time: table writes belong to the current event. A decision
comes in steps (pipeline.steps), and the event loop runs the worker's other agents
between them: a long decision holds the rest of the worker back for one step (one
claim's placement), not for its whole length. Nothing else touches the decider's
tables meanwhile.

Publishing and acknowledgement (see pipeline.worker.delivery): an event's outputs are
sent only once the changelog records of its table writes are on the brokers, and the
event is acknowledged, so its offset becomes committable, only once its outputs are
too.
Decisions do not wait for that one by one: the next event is decided while the
previous ones' records are in flight, and a background task publishes and
acknowledges them in order as they land. A redelivered event (after a crash, before
its acknowledgement) finds its decision in the tables and yields the same records.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

import faust
from faust.stores.rocksdb import Store as RocksDBStore
from faust.types.tuples import FutureMessage

from pipeline.flow import Outputs, crashed, route_rejection
from pipeline.rejection import Rejection
from pipeline.settings import Settings
from pipeline.state.cached import CachedStore
from pipeline.steps import Steps
from pipeline.worker import metrics
from pipeline.worker.delivery import ChangelogSends, DeliveredAcks
from pipeline.worker.pooled import origin_of
from pipeline.worker.runtime import Runtime

log = logging.getLogger(__name__)

#: Every this many decisions, a decider forgets up to EXPIRY_STEP due articles.
#: An article enters the window once and leaves it once, so two per decision on
#: average keep up with any steady rate, and forgetting is spread over the
#: decisions: swept once a minute, the articles of a whole minute left together,
#: and their writes held the worker back for seconds. Not after every decision:
#: finding what is due walks the expiry table from its first key, over the
#: tombstones RocksDB keeps of the keys deleted there until it compacts them
#: (bench/expiry_scan.py: 24 ms a walk once 235,000 were deleted).
EXPIRY_EVERY = 10
#: Seconds between sweeps of what is left (after a pause, when the watermark jumps
#: and many articles leave at once), and records forgotten per sweep at most (the
#: next sweep goes on), this many at a time: the event loop runs the worker's other
#: agents in between, so a sweep after a long pause cannot stall it.
EXPIRY_INTERVAL_S = 60.0
EXPIRY_BATCH = 10_000
EXPIRY_STEP = 20
#: Seconds between looks at whether the tables are restored, before a decision.
RESTORE_POLL_S = 0.05


class _TrackedTable(faust.Table[str, Any]):
    """A table whose changelog records' delivery futures go to ``sends``."""

    sends: ChangelogSends

    def send_changelog(self, *args: Any, **kwargs: Any) -> FutureMessage:
        sent: FutureMessage = super().send_changelog(*args, **kwargs)
        self.sends.add(sent)
        return sent

    def partition_for_key(self, key: Any) -> int | None:
        """Partition 0: the table has one. faust's partitioner would look the
        changelog up in the producer's metadata, which lacks a topic the producer
        never wrote to if the topic was new when the worker started: the worker
        that takes the table over from a dead one then fails every write."""
        return 0

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, read once. faust's lookup asks its store whether
        it holds the key and then reads it: two RocksDB reads for every hit, about
        6% of a worker's busy main thread on distinct news (py-spy)."""
        self.on_key_get(key)
        try:
            return self.data[key]
        except KeyError:
            return default

    def items_from(self, key: str) -> Iterator[tuple[str, Any]]:
        """The items from ``key`` on, in key order (``pipeline.state.Seekable``):
        RocksDB seeks to ``key`` instead of stepping over the keys and tombstones
        before it; faust's JSON keys sort as the strings do. The worker's tables
        are RocksDB through rocksdict (``pipeline.worker.runtime``); faust has no
        public seek, hence its store's own methods."""
        store = self.data
        if not isinstance(store, RocksDBStore) or not store.use_rocksdict:
            raise TypeError(f"a seek needs a RocksDB table through rocksdict: {store}")
        start = store._encode_key(key)
        for db in store._dbs_for_actives():
            for raw_key, raw_value in db.items(from_key=start):
                if raw_key != store.offset_key:
                    yield store._decode_key(raw_key), store._decode_value(raw_value)


def log_table(
    app: faust.App,
    name: str,
    sends: ChangelogSends,
    options: Mapping[str, int] | None = None,
) -> faust.types.TableT[str, Any]:
    """A table of a one-partition log's decider: JSON keys and values, partition 0.

    Its changelog sends are collected by ``sends``, which the decider hands to
    ``run_decider`` so that an event is acknowledged only after they land.
    ``options`` are RocksDB's (``rocksdb_options``). Its changelog topic is
    created before faust starts (``pipeline.clients.kafka.ensure_changelogs``)."""
    # JSON keys (faust's default for plain types) keep RocksDB's key order, which
    # the expiry sweeps rely on. use_partitioner: the store reads and writes its one
    # partition whatever event is current (partition_for_key names it for sends).
    table = _TrackedTable(
        app,
        name=name,
        beacon=app.tables.beacon,
        partitions=1,
        key_type=str,
        use_partitioner=True,
        # A copy: faust's store pops its own keys from the dict it is given, and
        # the state and expiry tables share one.
        options=dict(options or {}),
    )
    table.sends = sends
    app.tables.add(table)
    return table


def rocksdb_options(settings: Settings) -> dict[str, int]:
    """RocksDB options of a decider's table. faust's defaults (three write buffers
    of 64 MB and a block cache of 2 GB, per table) let a worker's memory grow for
    many minutes before the first buffer is written out."""
    mib = 1024 * 1024
    return {
        "write_buffer_size": settings.state_write_buffer_mb * mib,
        "max_write_buffer_number": 2,
        "block_cache_size": settings.state_block_cache_mb * mib,
    }


def window_tables(
    app: faust.App, stage: str, settings: Settings
) -> tuple[ChangelogSends, CachedStore, faust.types.TableT[str, Any]]:
    """A windowed decider's state: tables ``<stage>-state`` and ``<stage>-expiry``
    (see pipeline.state.window), and the sends their changelog records make.

    The state table is read through a cache of its ``state_cache_keys`` most
    recently used values, emptied whenever partitions move: faust then restores
    the table behind it."""
    sends, options = ChangelogSends(), rocksdb_options(settings)
    table = log_table(app, f"{stage}-state", sends, options)
    state = CachedStore(table, settings.state_cache_keys)

    async def forget(_app: Any, /, *args: Any, **kwargs: Any) -> None:
        state.clear_cache()

    app.on_partitions_revoked.connect(forget)
    app.on_partitions_assigned.connect(forget)
    return sends, state, log_table(app, f"{stage}-expiry", sends, options)


async def run_decider(
    runtime: Runtime,
    stream: faust.StreamT[bytes],
    decide: Callable[[bytes, datetime], Steps[Outputs | Rejection]],
    expire: Callable[[datetime, int], int],
    *,
    stage: str,
    changelog: ChangelogSends,
) -> None:
    """Decide every record of ``stream`` in order; sweep expired state now and then.

    ``changelog`` collects the changelog sends of the tables ``decide`` and
    ``expire`` write to; ``expire(now, limit)`` forgets at most ``limit`` articles
    that left the window and says how many it forgot. ``stage`` names the stage
    in dead letters and metrics."""
    # Acknowledged by DeliveredAcks instead, once each event's records are delivered.
    stream.enable_acks = False
    app = runtime.app
    acks = DeliveredAcks(stream.ack, partial(_current, app))
    acking = asyncio.create_task(_acknowledge(app, acks))
    forgetting = Forgetting(expire)
    try:
        async for event in stream.events():
            await _tables_restored(app, event)
            metrics.count_in(stage, 1)
            result, seconds = await _decided(decide, event.value, stage)
            metrics.observe_article(stage, seconds)
            forgotten = await forgetting.after_decision(datetime.now(UTC))
            metrics.count_forgotten(stage, forgotten)
            outputs = [(event, _outputs(event, result, stage))]
            await acks.add(
                event, changelog.take(), partial(runtime.send, outputs, stage=stage)
            )
    finally:
        acking.cancel()


class Forgetting:
    """When a decider forgets the articles that left its window: a few every few
    decisions, and the rest in a sweep now and then."""

    def __init__(
        self,
        expire: Callable[[datetime, int], int],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._expire = expire
        self._clock = clock
        self._swept = clock()
        self._decisions = 0

    async def after_decision(self, now: datetime) -> int:
        """Forget what is due after one decision; returns how many."""
        self._decisions += 1
        if self._clock() - self._swept > EXPIRY_INTERVAL_S:
            self._swept = self._clock()
            return await sweep(self._expire, now)
        if self._decisions % EXPIRY_EVERY:
            return 0
        return self._expire(now, EXPIRY_STEP)


async def sweep(expire: Callable[[datetime, int], int], now: datetime) -> int:
    """Up to ``EXPIRY_BATCH`` expired articles forgotten, ``EXPIRY_STEP`` at a time,
    the event loop free between steps; returns how many."""
    forgotten = 0
    while forgotten < EXPIRY_BATCH:
        step = expire(now, min(EXPIRY_STEP, EXPIRY_BATCH - forgotten))
        forgotten += step
        if step < EXPIRY_STEP:
            break
        await asyncio.sleep(0)
    return forgotten


async def _tables_restored(app: faust.App, event: faust.EventT[bytes]) -> None:
    """Return once the tables are restored and no rebalance is under way, or at
    once while partitions are being revoked from tables that are restored.

    faust can hand a stream records fetched before it paused the partitions for
    recovery (see pipeline.worker.consumer); decided then, against half-restored
    tables, they would get other verdicts than the ones already published for them.
    But a revocation waits for every event an agent holds to be acknowledged
    (faust's ``wait_empty``): an event of the present assignment held through it
    would wait for a rebalance that waits for it. Revoking leaves the tables as they
    are, so when their last restore had completed the event is decided at once."""
    # The recovery service is on faust's TableManager, not on its interface.
    recovery = app.tables.recovery  # type: ignore[attr-defined]
    consumer = app.consumer
    while app.rebalancing or not recovery.completed.is_set():
        revoking = getattr(consumer, "revoking", False)
        restored = not getattr(consumer, "restoring", True)
        if revoking and restored and _current(app, event):
            return
        await asyncio.sleep(RESTORE_POLL_S)


async def _acknowledge(app: faust.App, acks: DeliveredAcks) -> None:
    try:
        await acks.run()
    except Exception as error:
        # Nothing after the lost record may be acknowledged: stop the worker, so
        # that its replacement resumes from the last committed offset.
        await app.crash(error)


async def _decided(
    decide: Callable[[bytes, datetime], Steps[Outputs | Rejection]],
    value: bytes,
    stage: str,
) -> tuple[Outputs | Rejection, float]:
    """The decision, and the seconds its steps took (not the other work run
    between them). A decision that raises is that record's dead letter: an agent
    that crashed on it would restart past it, and faust would count it as done."""
    seconds = 0.0
    try:
        steps = decide(value, datetime.now(UTC))
        while True:
            started = time.perf_counter()
            try:
                next(steps)
            except StopIteration as done:
                result: Outputs | Rejection = done.value
                return result, seconds + time.perf_counter() - started
            seconds += time.perf_counter() - started
            await asyncio.sleep(0)
    except Exception as error:
        log.exception(
            "%s: a decision failed; the record goes to the dead letters", stage
        )
        return crashed(error), seconds


def _current(app: faust.App, event: faust.EventT[bytes]) -> bool:
    """Whether the event was fetched under the consumer's present assignment."""
    return event.message.generation_id == app.consumer_generation_id


def _outputs(
    event: faust.EventT[bytes], result: Outputs | Rejection, stage: str
) -> Outputs:
    if not isinstance(result, Rejection):
        return result
    return route_rejection(
        stage,
        result,
        value=event.value,
        key=event.message.key,
        origin=origin_of(event),
    )
