"""Each topic's declared record and key are what travels on it."""

from __future__ import annotations

import pytest

import schemas
import schemas.dedupe
from pipeline.topics import ALL, TopicSpec


@pytest.mark.parametrize("spec", ALL, ids=lambda spec: spec.name)
def test_a_topic_names_its_record_schema_and_key_field(spec: TopicSpec) -> None:
    model = getattr(schemas, spec.record, None) or getattr(schemas.dedupe, spec.record)
    assert issubclass(model, schemas.WireModel)
    *path, field = spec.key.split(".")
    for part in path:
        model = model.model_fields[part].annotation
    assert field in model.model_fields
