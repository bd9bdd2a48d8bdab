"""One thin faust agent per stage. Importing this package registers them all."""

from agents import ingest

__all__ = ["ingest"]
