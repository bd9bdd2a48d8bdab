"""The two-pass parse equals the model run whole: attribute rules and entities."""

from __future__ import annotations

import pytest

from pipeline.claims import load_model
from pipeline.claims.parse import add_entities, parse_syntax
from pipeline.claims.ruler import AttributeLookup

TEXTS = [
    "Ukraine captured two wounded North Korean soldiers, the NIS said on Friday.",
    "Y'all gon na see it, let's go; c'm on, it ain't bad and we got ta run.",
    "There is a cat, and there were 3 dogs in Kyiv last year.",
    "He added that the agency had confirmed their capture.",
    "  Spaces \n and\ttabs  here.  ",
    "",
]
_COLUMNS = ["POS", "TAG", "DEP", "MORPH", "LEMMA", "HEAD", "SENT_START"]


def rows(doc):
    return doc.to_array(_COLUMNS).tolist(), [str(t.morph) for t in doc]


def test_the_model_ruler_becomes_a_lookup() -> None:
    ruler = load_model().get_pipe("attribute_ruler")
    assert AttributeLookup.of(ruler) is not None


@pytest.mark.parametrize("text", TEXTS)
def test_lookup_sets_what_the_ruler_sets(text: str) -> None:
    nlp = load_model()
    ruler = nlp.get_pipe("attribute_ruler")
    lookup = AttributeLookup.of(ruler)
    with nlp.select_pipes(disable=["attribute_ruler", "ner"]):
        parsed = nlp(text)
    assert rows(lookup(parsed.copy())) == rows(ruler(parsed.copy()))


def test_two_passes_equal_one() -> None:
    docs = parse_syntax(TEXTS)
    assert add_entities(docs) == [True] * len(TEXTS)
    for doc, whole in zip(docs, load_model().pipe(TEXTS), strict=True):
        assert rows(doc) == rows(whole)
        assert [(e.text, e.label_) for e in doc.ents] == [
            (e.text, e.label_) for e in whole.ents
        ]
