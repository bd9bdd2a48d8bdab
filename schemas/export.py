"""Write the JSON Schema of every topic's record next to this module.

Run ``python -m schemas.export`` (``make schemas``) after changing a model; a test fails
while the files are stale. Consumers in other languages generate their types from them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic.json_schema import JsonSchemaMode

from schemas.base import WireModel
from schemas.corroborate import ClaimCluster, FigureComparison
from schemas.deadletter import DeadLetter
from schemas.enriched import Claim, EnrichedArticle
from schemas.raw import RawArticle
from schemas.story import Story

HERE = Path(__file__).resolve().parent

#: Each record type and the topics it travels on.
EXPORTED: dict[str, type[WireModel]] = {
    "raw-article": RawArticle,
    "enriched-article": EnrichedArticle,
    "claim": Claim,
    "claim-cluster": ClaimCluster,
    "figure-comparison": FigureComparison,
    "story": Story,
    "dead-letter": DeadLetter,
}


def render(model: type[WireModel]) -> str:
    """The JSON Schema document of a model, as written to disk.

    Validation mode describes what a producer may send (article_id optional on raw
    articles); serialization mode what the pipeline publishes.
    """
    mode: JsonSchemaMode = "validation" if model is RawArticle else "serialization"
    schema = model.model_json_schema(mode=mode)
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_path(name: str) -> Path:
    """Where the schema of one record type is written."""
    return HERE / f"{name}.schema.json"


def export() -> list[Path]:
    """Write every schema file; returns the paths written."""
    written = []
    for name, model in EXPORTED.items():
        path = schema_path(name)
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in export():
        print(path.relative_to(HERE.parent), file=sys.stderr)
