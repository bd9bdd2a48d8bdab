"""``newsline worker``: the faust worker that runs every agent.

Before faust starts, the worker checks once that it can reach the brokers and that they
accept its credentials and certificates; if not, it raises KafkaAccessError, which the
command prints as one line before exiting with status 2. Retrying cannot fix a wrong
password or a missing CA, and a supervisor that restarts the worker shows the reason
on every attempt. Once running, a lost connection (a broker restart) is retried by
aiokafka and logged at ERROR in the worker's log, as the pipeline must ride out a
broker that comes back.
"""

from __future__ import annotations

import asyncio

from pipeline.kafka import check_access, ensure_topics
from pipeline.settings import Settings


def run_worker(settings: Settings) -> None:
    """Check access, create the topics if needed, then run the agents until stopped."""
    # One loop for every step: faust runs on the loop that is current when it starts.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(check_access(settings))
    loop.run_until_complete(ensure_topics(settings))

    import faust

    import agents  # noqa: F401  # registers the agents on the app
    from pipeline.app import app

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    faust.Worker(app, loglevel="INFO", loop=loop).execute_from_commandline()
