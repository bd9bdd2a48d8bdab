"""How much a fact-checker would care about a clause: a score in [0, 1].

A logistic model over interpretable features (figures, names, dates, attribution,
hedges, person, tense, modality, length, ...) plus a few hundred words and word
pairs ("voted for", "percent", "i think") that CheckThat! annotators reward or
ignore. The weights live in ``checkworthiness_weights``, which
``bench/train_checkworthiness.py`` generates: fitted on the CheckThat! 2024 English
*train* and *dev* splits pooled (plain numpy, L2-regularised Newton steps), with the
number of terms, the penalty and ``THRESHOLD`` chosen by cross-validation on that
pool; ``bench/claims.py`` reports F1 on *dev-test* at that threshold.
"""

from __future__ import annotations

import itertools
import math

from spacy.tokens import Span, Token

from pipeline.claims import checkworthiness_weights as weights
from pipeline.claims.attribution import find_attribution
from pipeline.claims.hedging import find_hedges
from pipeline.claims.lexicon import MODALS, OPINION_ADJECTIVES, word_set

_NAMED = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "LAW", "EVENT", "FAC"})
_FIGURES = frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY"})
_OPINION_WORDS = OPINION_ADJECTIVES | word_set(
    """
    think believe feel hope want wish love hate proud honored honoured glad
    happy agree disagree let
    """
)
#: Topics on which public claims are checked (economy, law, security, health).
_TOPIC_WORDS = word_set(
    """
    tax taxes jobs job unemployment deficit debt budget percent million millions
    billion billions trillion voted vote votes law bill crime health insurance
    medicare medicaid war troops soldiers killed wounded increase increased cut
    cuts raised spent spending wages income economy rate rates oil energy
    nuclear military border immigrants prices inflation deaths died population
    """
)

#: Decision threshold chosen by cross-validation (see ``checkworthiness_weights``).
THRESHOLD = weights.THRESHOLD

FEATURE_NAMES = (
    "has_figure",
    "money_or_percent",
    "has_date",
    "named_entities",
    "attributed",
    "hedged",
    "first_singular",
    "first_plural",
    "second_person",
    "question",
    "modal",
    "opinion_word",
    "log_length",
    "past_tense",
    "comparison",
    "negation",
    "topic_words",
    "proper_nouns",
)


def score(
    clause: Span, *, attributed: bool | None = None, hedged: bool | None = None
) -> float:
    """Check-worthiness in [0, 1], rounded so that the output is stable. The stage
    has already run the attribution and hedge rules on the clause: it passes their
    results (``attributed``, ``hedged``) so they are not run twice."""
    features = checkworthiness_features(clause, attributed=attributed, hedged=hedged)
    pairs = zip(weights.COEFFICIENTS, features, strict=True)
    logit = weights.INTERCEPT + sum(w * x for w, x in pairs)
    logit += sum(weights.TERM_WEIGHTS.get(term, 0.0) for term in clause_terms(clause))
    return round(1.0 / (1.0 + math.exp(-logit)), 4)


def checkworthiness_features(
    clause: Span, *, attributed: bool | None = None, hedged: bool | None = None
) -> tuple[float, ...]:
    """The model's inputs, in the order of ``FEATURE_NAMES``; ``attributed`` and
    ``hedged`` are computed here unless the caller knows them."""
    if attributed is None:
        attributed = find_attribution(clause) is not None
    if hedged is None:
        hedged = bool(find_hedges(clause))
    words = {token.lower_ for token in clause}
    labels = [entity.label_ for entity in clause.ents]
    tags = {token.tag_ for token in clause}
    return (
        _flag(any(label in _FIGURES for label in labels) or _has_digits(clause)),
        _flag("MONEY" in labels or "PERCENT" in labels),
        _flag("DATE" in labels),
        min(sum(label in _NAMED for label in labels), 3) / 3,
        _flag(attributed),
        _flag(hedged),
        _flag(bool(words & {"i", "me", "my", "mine", "i'm", "i've"})),
        _flag(bool(words & {"we", "us", "our", "ours", "we're", "we've"})),
        _flag(bool(words & {"you", "your", "yours", "you're"})),
        _flag(clause.text.rstrip("\"' ").endswith("?")),
        _flag(any(t.dep_ == "aux" and t.lower_ in MODALS for t in clause)),
        _flag(bool(words & _OPINION_WORDS)),
        math.log1p(len(clause)) / math.log(50),
        _flag(bool(tags & {"VBD", "VBN"})),
        _flag(bool(tags & {"JJR", "JJS", "RBR", "RBS"})),
        _flag(any(token.dep_ == "neg" for token in clause)),
        min(len(words & _TOPIC_WORDS), 3) / 3,
        min(sum(token.pos_ == "PROPN" for token in clause), 4) / 4,
    )


def clause_terms(clause: Span) -> frozenset[str]:
    """The words and adjacent word pairs of a clause, lower-cased; any token with a
    digit reads "#", so that "3.2 percent" and "40 percent" share a term."""
    words = [_term(token) for token in clause if not (token.is_punct or token.is_space)]
    pairs = (f"{first} {second}" for first, second in itertools.pairwise(words))
    return frozenset(words).union(pairs)


def _term(token: Token) -> str:
    return "#" if any(char.isdigit() for char in token.text) else token.lower_


def _flag(value: bool) -> float:
    return 1.0 if value else 0.0


def _has_digits(clause: Span) -> bool:
    return any(token.is_digit or token.like_num for token in clause)
