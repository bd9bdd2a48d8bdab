"""What every record on a newsline topic shares."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict

#: Bumped when a field changes meaning or is removed; consumers check it.
SCHEMA_VERSION: Final = 1


class WireModel(BaseModel):
    """A frozen record that refuses unknown fields, so typos fail loudly."""

    model_config = ConfigDict(frozen=True, extra="forbid")
