"""The model run in two passes: syntax for every candidate, entities where read.

en_core_web_sm's NER has its own tok2vec, so it costs about what tok2vec, tagger
and parser cost together. The rules that decide whether a clause is a claim and
who asserts it read only tags and the parse; entity labels are read for claims
and for speakers. So the stage parses everything first, then asks for entities
only on the docs whose labels some rule will read. Both passes apply the model's
components in the model's order, so a doc that gets entities equals what
``nlp(text)`` gives. A text (or a batch) the model chokes on yields an empty doc
(no entities: None), never a failed batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from spacy.language import Language
from spacy.pipeline import AttributeRuler, EntityRecognizer
from spacy.tokens import Doc

from pipeline.claims.model import load_model
from pipeline.claims.ruler import AttributeLookup

logger = logging.getLogger(__name__)

#: Sentences per model batch: large enough to amortise, small enough for memory.
BATCH_SIZE = 256
_RULER = "attribute_ruler"
_NER = "ner"

Step = Callable[[Doc], Doc]

_lookups: dict[int, Step] = {}


def parse_syntax(texts: Sequence[str]) -> list[Doc]:
    """Tags, parse and the attribute rules, without entities; in order."""
    nlp = load_model()
    skipped = [_RULER, _NER]
    try:
        docs = list(nlp.pipe(texts, batch_size=BATCH_SIZE, disable=skipped))
        return [_rule(nlp)(doc) for doc in docs]
    except Exception:  # one text the model chokes on must not cost the whole batch
        logger.exception("batch parse failed; parsing sentence by sentence")
        return [_parse_one(nlp, text) for text in texts]


def _parse_one(nlp: Language, text: str) -> Doc:
    try:
        with nlp.select_pipes(disable=[_RULER, _NER]):
            doc = nlp(text)
        return _rule(nlp)(doc)
    except Exception:
        logger.exception("could not parse a sentence; it yields no claims")
        return nlp.make_doc("")


def _rule(nlp: Language) -> Step:
    """The attribute rules as a lookup table, or the ruler if it cannot be one."""
    step = _lookups.get(id(nlp))
    if step is None:
        ruler = nlp.get_pipe(_RULER)
        lookup = (
            AttributeLookup.of(ruler) if isinstance(ruler, AttributeRuler) else None
        )
        step = _lookups[id(nlp)] = lookup or ruler
    return step


def add_entities(docs: Sequence[Doc]) -> list[bool]:
    """Runs NER on parsed docs, in place; per doc, whether it worked."""
    ner = load_model().get_pipe(_NER)
    assert isinstance(ner, EntityRecognizer), ner
    try:
        for _ in ner.pipe(docs, batch_size=BATCH_SIZE):
            pass
        return [True] * len(docs)
    except Exception:  # as in parse_syntax: one bad doc costs only itself
        logger.exception("batch NER failed; tagging sentence by sentence")
        return [_add_one(ner, doc) for doc in docs]


def _add_one(ner: Step, doc: Doc) -> bool:
    try:
        ner(doc)
    except Exception:
        logger.exception("could not tag a sentence's entities; it yields no claims")
        return False
    return True
