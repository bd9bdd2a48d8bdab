"""Qualifiers that weaken a claim's certainty: "reportedly", "estimates", ..."""

from __future__ import annotations

from spacy.tokens import Span

from pipeline.claims.lexicon import HEDGE_PHRASES, HEDGE_WORDS


def find_hedges(clause: Span) -> tuple[str, ...]:
    """The hedges in a clause, lower-cased, each once, in order of appearance."""
    found: list[str] = []
    for token in clause:
        word = token.lower_
        if word in HEDGE_WORDS and _hedges_here(word, token.tag_) and word not in found:
            found.append(word)
    text = clause.text.lower()
    found.extend(phrase for phrase in HEDGE_PHRASES if phrase in text)
    return tuple(found)


def _hedges_here(word: str, tag: str) -> bool:
    # "likely" as an adverb hedges ("likely killed"); the adjective is mostly an
    # opinion, which the claim filter handles. "claims" as a plural noun after a
    # possessive ("Ukraine's claims") hedges too, so nouns stay in.
    return not (word == "likely" and tag.startswith("JJ"))
