"""Why an input could not go on: every stage's failure value, dead-lettered.

Shared by all stages, so it lives outside any one of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rejection:
    """Bad input, described for people (``reason``) and programs (``error_type``).

    A plain frozen dataclass, not an exception: it crosses the process-pool boundary
    by pickling and is dead-lettered, never raised.
    """

    reason: str
    error_type: str
    article_id: str | None = None
