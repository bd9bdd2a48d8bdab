"""One thin faust agent per stage, put on a worker's runtime by ``register``."""

from agents import claims, corroborate, dedupe, ingest
from pipeline.worker.runtime import Runtime

__all__ = ["register"]


def register(runtime: Runtime) -> None:
    """Every stage's agents (and the deciders' tables) on ``runtime``'s app."""
    for stage in (claims, corroborate, dedupe, ingest):
        stage.register(runtime)
