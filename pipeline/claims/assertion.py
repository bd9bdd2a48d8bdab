"""Whether a parsed clause asserts something verifiable (the claim filter).

Claims include what is scheduled, announced or forecast when something makes it
checkable (docs/labelling.md): a source that said it ("Zelenskyy predicted that
...", "there will be more, he said": that he said it can be checked), or a figure
or a date in the clause ("Airbus hopes to have 50 orders by mid-2005", "2,000 jobs
may be cut"); such a claim is hedged, not dropped. Not claims: modal or
conditional speculation in the outlet's own voice with nothing to check ("could
test international diplomacy", "if he can organise"), first-person wishes and
opinions ("I think", "we hope"), "it is clear that" judgements, imperatives
("Check back for updates") and clauses without a finite verb.
"""

from __future__ import annotations

from spacy.tokens import Span, Token

from pipeline.claims.lexicon import (
    CALENDAR_WORDS,
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


def is_claim(clause: Span, *, attributed: bool = False) -> bool:
    """The parse half of the claim filter (``candidates`` holds the text half).

    ``attributed``: the clause names who said it (see pipeline.claims.attribution).
    """
    if not any(token.tag_ in _FINITE_TAGS for token in clause):
        return False
    if clause.text.rstrip("\"' ").endswith("?") or _is_imperative(clause):
        return False
    checkable = attributed or _has_figure_or_date(clause)
    return not any(
        _does_not_assert(verb, checkable=checkable)
        for verb in asserted_chain(clause.root)
    )


def _has_figure_or_date(clause: Span) -> bool:
    """A number (not "one": "one day", "one of"), a month or weekday name, or a
    day, week, month or year counted from now ("tomorrow", "next week")."""
    return any(_is_figure_or_date(token) for token in clause)


def _is_figure_or_date(token: Token) -> bool:
    word = token.lower_
    if (token.like_num and word != "one") or word in CALENDAR_WORDS or word in _DAYS:
        return True
    following = token.nbor(1).lower_ if token.i + 1 < len(token.doc) else ""
    return word in _FROM_NOW and following in _PERIODS


_DAYS = frozenset({"tomorrow", "tonight"})
_FROM_NOW = frozenset({"next", "this", "later", "coming"})
_PERIODS = frozenset({"week", "weekend", "month", "year", "spring", "summer"})
_PERIODS |= {"autumn", "winter", "fortnight"}


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


def _does_not_assert(verb: Token, *, checkable: bool) -> bool:
    children = list(verb.children)
    if verb.lower_ in NON_ASSERTING_VERBS and _has_first_person_subject(children):
        return True  # "we hope to": a wish; "X hopes to", "X urged": a position
    speculative = any(c.dep_ == "aux" and c.lower_ in MODALS for c in children)
    if (speculative or any(_is_condition(c) for c in children)) and not checkable:
        return True
    return _is_opinion(verb, children) or _is_judgement(children)


def _has_first_person_subject(children: list[Token]) -> bool:
    return any(c.dep_ == "nsubj" and c.lower_ in _FIRST_PERSON for c in children)


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
    return verb.lower_ in _OPINION_VERBS and _has_first_person_subject(children)


def _is_imperative(clause: Span) -> bool:
    root = clause.root
    has_subject = any(c.dep_ in {"nsubj", "nsubjpass", "expl"} for c in root.children)
    return root.tag_ == "VB" and not has_subject
