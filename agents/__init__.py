"""One thin faust agent per stage. Importing this package registers them all."""

from agents import dedupe, ingest

__all__ = ["dedupe", "ingest"]
