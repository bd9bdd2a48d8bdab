"""The NLP models every CPU worker process needs (language identifier, spaCy),
loaded once, when the process starts."""

from __future__ import annotations

from pipeline.claims import load_model
from pipeline.ingest import load_identifier


def load_models() -> None:
    """The language identifier (ingest) and the spaCy pipeline (claims)."""
    load_identifier()
    load_model()
