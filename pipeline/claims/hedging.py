"""Qualifiers that weaken a claim's certainty (docs/labelling.md, Hedges):
"reportedly", "is said to", "may", "amid rumours", "claims" as a verb. Nouns are
not hedges ("counter claims"), nor is an approximate figure ("about 300": that is
the figure's qualifier)."""

from __future__ import annotations

from spacy.tokens import Span, Token

from pipeline.claims.lexicon import (
    BE_FORMS,
    HEDGE_BEFORE_TO,
    HEDGE_MODALS,
    HEDGE_PHRASES,
    HEDGE_VERBS,
    HEDGE_WORDS,
    PASSIVE_REPORTING,
)


def find_hedges(clause: Span) -> tuple[str, ...]:
    """The hedges in a clause, lower-cased, each once, in order of appearance."""
    found: list[str] = []
    for token in clause:
        hedge = _hedge_at(token)
        if hedge is not None and hedge not in found:
            found.append(hedge)
    text = clause.text.lower()
    found.extend(phrase for phrase in HEDGE_PHRASES if phrase in text)
    return tuple(found)


def _hedge_at(token: Token) -> str | None:
    word = token.lower_
    doc = token.doc
    following = doc[token.i + 1].lower_ if token.i + 1 < len(doc) else ""
    previous = doc[token.i - 1].lower_ if token.i > 0 else ""
    if word in PASSIVE_REPORTING and previous in BE_FORMS:
        return f"{previous} {word}"  # "is said", "been expected"
    if word in HEDGE_WORDS:
        return word
    if word in HEDGE_VERBS and token.tag_.startswith("VB"):
        return word
    if word in HEDGE_BEFORE_TO and following in {"to", "that"}:
        return word
    if word in HEDGE_MODALS and token.tag_ == "MD":
        return word
    return None
