"""``newsline worker``: the faust worker that runs every agent."""

from __future__ import annotations

import asyncio

from pipeline.kafka import ensure_topics
from pipeline.settings import Settings


def run_worker(settings: Settings) -> None:
    """Create the topics if needed, then run the agents until stopped."""
    # One loop for both steps: faust runs on the loop that is current when it starts.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(ensure_topics(settings))

    import faust

    import agents  # noqa: F401  # registers the agents on the app
    from pipeline.app import app

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    faust.Worker(app, loglevel="INFO", loop=loop).execute_from_commandline()
