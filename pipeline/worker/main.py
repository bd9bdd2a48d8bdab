"""``newsline worker``: the faust worker that runs every agent.

Before faust starts, the worker checks once that it can reach the brokers and that they
accept its credentials and certificates; if not, it raises KafkaAccessError, which the
command prints as one line before exiting with status 2. Retrying cannot fix a wrong
password or a missing CA, and a supervisor that restarts the worker shows the reason
on every attempt. Once running, a lost connection (a broker restart) is retried by
aiokafka and logged at ERROR in the worker's log, as the pipeline must ride out a
broker that comes back.

A worker that did not stop cleanly (killed, crashed, its machine lost power) leaves its
local tables possibly ahead of their changelog topics: a write is applied to RocksDB
when it is made and reaches the changelog later. faust, restoring, replays the
changelog from the last record it saw delivered, that record included, over the local
tables; that can put a key back to an older value, and writes that never reached the
changelog would stay on this disk only, lost to any later rebuild. The changelog
itself holds every write of every acknowledged input, in order (see
pipeline.worker.delivery). So the next worker on that data dir discards the local
tables and rebuilds them from the changelog, as Kafka Streams does with its stores
after an unclean shutdown under exactly-once. It takes longer to start; its state is
then the one every other worker would rebuild.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.clients.kafka import (
    check_access,
    ensure_changelogs,
    ensure_topics,
    with_durability,
)
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.worker.runtime import Runtime

log = logging.getLogger(__name__)

#: Present in the data dir while a worker runs on it; left behind by one that did not
#: stop cleanly.
RUNNING_MARKER = "worker.running"


def run_worker(settings: Settings) -> None:
    """Check access, create the topics if needed, then run the agents until stopped."""
    # One loop for every step: faust runs on the loop that is current when it starts.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(check_access(settings))
    settings = loop.run_until_complete(with_durability(settings))
    log.info(
        "topics get %d replica(s), writes wait for %d",
        settings.topic_replication_factor,
        settings.topic_min_insync_replicas,
    )
    loop.run_until_complete(ensure_topics(settings))

    import faust

    import agents
    from pipeline.worker.runtime import build_runtime

    runtime = build_runtime(settings)
    agents.register(runtime)
    loop.run_until_complete(ensure_changelogs(settings, changelog_topics(runtime)))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    claim_state(settings.data_dir, Path(runtime.app.conf.tabledir))
    try:
        worker = faust.Worker(runtime.app, loglevel="INFO", loop=loop)
        worker.execute_from_commandline()
    except SystemExit as stopped:
        if stopped.code in (0, None):
            release_state(settings.data_dir)
        raise


def changelog_topics(runtime: Runtime) -> dict[str, int]:
    """The changelog topic of each of the worker's tables, and its partitions."""
    partitions = runtime.settings.topic_partitions
    return {
        table.changelog_topic.get_topic_name(): table.partitions or partitions
        for table in runtime.app.tables.values()
    }


def claim_state(data_dir: Path, tables: Path) -> bool:
    """Mark ``data_dir`` as in use by this worker. If the worker before did not stop
    cleanly, discard the local tables under ``tables`` first, so that they are rebuilt
    from their changelog topics; returns whether it did."""
    marker = data_dir / RUNNING_MARKER
    unclean = marker.exists()
    if unclean and tables.exists():
        log.warning(
            "the last worker on %s did not stop cleanly: its tables are rebuilt "
            "from the changelog topics",
            data_dir,
        )
        shutil.rmtree(tables)
    marker.write_text(f"{os.getpid()}\n")
    return unclean


def release_state(data_dir: Path) -> None:
    """Mark a clean stop: the next worker keeps the local tables."""
    (data_dir / RUNNING_MARKER).unlink(missing_ok=True)
