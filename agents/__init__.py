"""One thin faust agent per stage. Importing this package registers them all."""

from agents import claims, dedupe, ingest

__all__ = ["claims", "dedupe", "ingest"]
