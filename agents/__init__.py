"""One thin faust agent per stage. Importing this package registers them all."""

from agents import claims, corroborate, dedupe, ingest

__all__ = ["claims", "corroborate", "dedupe", "ingest"]
