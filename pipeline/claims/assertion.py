"""Whether a parsed clause asserts something verifiable (the claim filter).

Not claims: forecasts and wishes ("predicted that forces would capture more"),
modal or conditional clauses ("could test international diplomacy", "if he can
organise"), first-person opinions ("I think"), "it is clear that" judgements,
imperatives ("Check back for updates") and clauses without a finite verb. For
attributed speech the content clause is tested too: "X said there will be more"
is a forecast, whoever makes it.
"""

from __future__ import annotations

from spacy.tokens import Span, Token

from pipeline.claims.lexicon import (
    CUE_VERBS,
    MODALS,
    NON_ASSERTING_VERBS,
    OPINION_ADJECTIVES,
)

_FINITE_TAGS = frozenset({"VBD", "VBZ", "VBP", "MD"})
_OPINION_VERBS = frozenset(["think", "believe", "feel", "guess", "suppose", "reckon"])
_FIRST_PERSON = frozenset({"i", "we"})
_CONDITIONS = frozenset({"if", "unless"})
_VAGUE = frozenset({"it", "this", "that"})


def is_claim(clause: Span) -> bool:
    """The parse half of the claim filter (``candidates`` holds the text half)."""
    if not any(token.tag_ in _FINITE_TAGS for token in clause):
        return False
    if clause.text.rstrip("\"' ").endswith("?") or _is_imperative(clause):
        return False
    return not any(_does_not_assert(verb) for verb in asserted_chain(clause.root))


def asserted_chain(root: Token) -> list[Token]:
    """The root and, through cue verbs, the content clauses it reports."""
    chain = [root]
    current = root
    while current.lower_ in CUE_VERBS or current.lower_ in NON_ASSERTING_VERBS:
        contents = [c for c in current.children if c.dep_ == "ccomp"]
        if not contents:
            break
        current = contents[0]
        chain.append(current)
    return chain


def _does_not_assert(verb: Token) -> bool:
    children = list(verb.children)
    passive = any(c.dep_ in {"auxpass", "nsubjpass"} for c in children)
    if verb.lower_ in NON_ASSERTING_VERBS and not passive:
        return True  # "troops are urged to" reports a fact; "X urged" a wish
    if any(c.dep_ == "aux" and c.lower_ in MODALS for c in children):
        return True
    if any(_is_condition(c) for c in children) or _is_opinion(verb, children):
        return True
    return _is_judgement(children)


def _is_judgement(children: list[Token]) -> bool:
    """ "It is clear that ...", "That is wrong": not "the partnership is essential"."""
    judged = any(c.dep_ == "acomp" and c.lower_ in OPINION_ADJECTIVES for c in children)
    vague = any(c.dep_ in {"nsubj", "expl"} and c.lower_ in _VAGUE for c in children)
    return judged and vague


def _is_condition(child: Token) -> bool:
    return child.dep_ == "advcl" and any(
        m.dep_ == "mark" and m.lower_ in _CONDITIONS for m in child.children
    )


def _is_opinion(verb: Token, children: list[Token]) -> bool:
    if verb.lower_ not in _OPINION_VERBS:
        return False
    return any(c.dep_ == "nsubj" and c.lower_ in _FIRST_PERSON for c in children)


def _is_imperative(clause: Span) -> bool:
    root = clause.root
    has_subject = any(c.dep_ in {"nsubj", "nsubjpass", "expl"} for c in root.children)
    return root.tag_ == "VB" and not has_subject
