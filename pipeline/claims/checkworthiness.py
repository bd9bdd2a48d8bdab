"""How much a fact-checker would care about a clause: a score in [0, 1].

Interpretable features (figures, names, dates, attribution, hedges, person, tense,
modality, length, ...) combined by a logistic model. The coefficients below were
fitted on the CheckThat! 2024 English *train* split by
``bench/train_checkworthiness.py`` (plain numpy, L2-regularised Newton steps), which
also chose ``THRESHOLD`` on the *dev* split; ``bench/claims.py`` reports F1 on
*dev-test* at that threshold. Re-run the script to refit; it prints this table.
"""

from __future__ import annotations

import math

from spacy.tokens import Span

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

#: Fitted by bench/train_checkworthiness.py on ct24_train.tsv (see module docstring).
INTERCEPT = -2.7372
COEFFICIENTS = (
    0.8653,  # has_figure
    1.6834,  # money_or_percent
    0.3152,  # has_date
    0.6319,  # named_entities
    0.2503,  # attributed
    -0.3188,  # hedged
    -0.8694,  # first_singular
    -0.1883,  # first_plural
    -0.3510,  # second_person
    -1.9563,  # question
    -0.5570,  # modal
    -0.8180,  # opinion_word
    0.7856,  # log_length
    1.2379,  # past_tense
    0.4369,  # comparison
    0.0092,  # negation
    1.7621,  # topic_words
    0.6253,  # proper_nouns
)
#: Decision threshold chosen on ct24_dev.tsv (maximum F1 of the Yes class).
THRESHOLD = 0.34


def score(clause: Span) -> float:
    """Check-worthiness in [0, 1], rounded so that the output is stable."""
    features = checkworthiness_features(clause)
    logit = INTERCEPT + sum(w * x for w, x in zip(COEFFICIENTS, features, strict=True))
    return round(1.0 / (1.0 + math.exp(-logit)), 4)


def checkworthiness_features(clause: Span) -> tuple[float, ...]:
    """The model's inputs, in the order of ``FEATURE_NAMES``."""
    words = {token.lower_ for token in clause}
    labels = [entity.label_ for entity in clause.ents]
    tags = {token.tag_ for token in clause}
    return (
        _flag(any(label in _FIGURES for label in labels) or _has_digits(clause)),
        _flag("MONEY" in labels or "PERCENT" in labels),
        _flag("DATE" in labels),
        min(sum(label in _NAMED for label in labels), 3) / 3,
        _flag(find_attribution(clause) is not None),
        _flag(bool(find_hedges(clause))),
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


def _flag(value: bool) -> float:
    return 1.0 if value else 0.0


def _has_digits(clause: Span) -> bool:
    return any(token.is_digit or token.like_num for token in clause)
