"""How alike two claims are: what they mean, say, and count, and when.

The words: three parts, each in [0, 1]: the weighted Jaccard of their terms, the
overlap of the smaller claim's terms (a short report of a fact is all in a longer
one), and whether their figures count the same thing ("captured:soldier"). Entity
words weigh half: a story's names are in most of its claims, so sharing them says
little about which fact a claim states. A figure that counts something the other
claim does not mention pulls the score down; two claims without figures are neutral
there.

The meaning: the cosine of the two claims' vectors (``meaning``), which joins
paraphrases that share few words. The score mixes the two; ``MEANING_SHARE``, the
floor and the threshold were chosen on BBC articles labelled by same fact, the MRPC
train pairs and the seeds together (docs/corroboration-quality.md): a larger share
of meaning joins different facts of one story. A profile kept before vectors were
(four fields) is scored on its words alone.

Two claims that both name when, and name different months or years, state two
facts however alike they read: their score drops below the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from pipeline.corroborate.figures import Figure
from pipeline.corroborate.meaning import Vector, cosine, meaning, pack, unpack
from pipeline.corroborate.records import Profile
from pipeline.corroborate.terms import (
    claim_entities,
    claim_periods,
    claim_terms,
    periods_overlap,
)
from schemas import Claim

ENTITY_WEIGHT = 0.5
JACCARD_SHARE = 0.5
OVERLAP_SHARE = 0.25
FIGURE_SHARE = 0.25
MEANING_SHARE = 0.2
#: Claims of one story are alike in meaning (different facts of the seeds: cosine
#: 0.64 at the median, 0.77 at the 90th percentile); only closeness above this says
#: they state one fact.
MEANING_FLOOR = 0.7
#: What is left of the score of two claims about different months or years.
OTHER_PERIOD = 0.25


@dataclass(frozen=True)
class ClaimProfile:
    """What a claim is compared on."""

    claim_id: str
    terms: frozenset[str]
    entities: frozenset[str]
    categories: frozenset[str]  # of figures with a fate ("captured:soldier")
    vector: Vector | None = None  # what it means; None in profiles kept before
    periods: frozenset[str] = frozenset()  # months and years ("2005-01")

    def dump(self) -> Profile:
        return [
            self.claim_id,
            sorted(self.terms),
            sorted(self.entities),
            sorted(self.categories),
            None if self.vector is None else pack(self.vector),
            sorted(self.periods),
        ]

    @classmethod
    def load(cls, value: Profile) -> ClaimProfile:
        claim_id, terms, entities, categories, *rest = value
        vector, periods = [*rest, None, []][:2]
        return cls(
            claim_id,
            frozenset(terms),
            frozenset(entities),
            frozenset(categories),
            None if vector is None else unpack(vector),
            frozenset(periods),
        )

    @cached_property
    def content(self) -> tuple[object, ...]:
        """Everything a score reads, without the claim id: the copies of one
        sentence that many outlets carry have one content."""
        vector = None if self.vector is None else self.vector.tobytes()
        return (self.terms, self.entities, self.categories, self.periods, vector)

    @cached_property
    def entity_words(self) -> frozenset[str]:
        """The words of its entities' names ("north", "kore")."""
        return frozenset(word for key in self.entities for word in key.split())

    def index_terms(self) -> list[str]:
        """Where the candidate index files the claim: its terms and categories."""
        return [*sorted(self.terms), *(f"={c}" for c in sorted(self.categories))]


def profile(claim: Claim, figures: tuple[Figure, ...]) -> ClaimProfile:
    """A claim's profile; its figures count "captured:soldier@north kore"."""
    categories = frozenset(
        f"{f.category}@{subject}"
        for f in figures
        if f.fate != "count"
        for subject in sorted(f.subject) or [""]
    )
    return ClaimProfile(
        claim.claim_id,
        claim_terms(claim),
        claim_entities(claim),
        categories,
        meaning().vector(claim.text),
        claim_periods(claim),
    )


def similarity(a: ClaimProfile, b: ClaimProfile) -> float:
    """How likely the two claims state the same fact, in [0, 1]."""
    words, meant = word_similarity(a, b), cosine(a.vector, b.vector)
    return combined(words, meant) * agreement(a, b)


def could_reach(a: ClaimProfile, b: ClaimProfile, threshold: float) -> bool:
    """Whether the pair can score ``threshold`` at all: the best its score can be
    when it shares no term is its figure part and full closeness of meaning. Most
    members of a candidate cluster share no term with a claim; they are passed over
    without scoring them."""
    if a.terms & b.terms:
        return True
    figures = FIGURE_SHARE * _figures_agree(a, b)
    return combined(figures, 1.0) >= threshold


def agreement(a: ClaimProfile, b: ClaimProfile) -> float:
    """What is left of the score when what must agree does not: 1.0 when it does."""
    left = 1.0
    if a.periods and b.periods and not periods_overlap(a.periods, b.periods):
        # "146,000 jobs in January" and "337,000 jobs in October" are two facts.
        left *= OTHER_PERIOD
    return left


def combined(words: float, meant: float | None, share: float = MEANING_SHARE) -> float:
    """The score of a pair from its word and meaning parts (see the module)."""
    if meant is None:
        return words
    closeness = max(0.0, (meant - MEANING_FLOOR) / (1 - MEANING_FLOOR))
    return (1 - share) * words + share * closeness


def word_similarity(a: ClaimProfile, b: ClaimProfile) -> float:
    """How alike the two claims' words, entities and figure kinds are, in [0, 1]."""
    named = a.entity_words | b.entity_words
    common = a.terms & b.terms
    shared = _weight(common, named)
    mine, theirs = _weight(a.terms, named), _weight(b.terms, named)
    union, smaller = mine + theirs - shared, min(mine, theirs)
    if not union or not smaller:
        return 0.0
    jaccard, overlap = shared / union, shared / smaller
    return (
        JACCARD_SHARE * jaccard
        + OVERLAP_SHARE * overlap
        + FIGURE_SHARE * _figures_agree(a, b)
    )


def _weight(terms: frozenset[str], named: frozenset[str]) -> float:
    # Each term weighs 1, an entity word ENTITY_WEIGHT: counted with set
    # operations, as every new claim is scored against dozens of members.
    return len(terms) - (1 - ENTITY_WEIGHT) * len(terms & named)


def _figures_agree(a: ClaimProfile, b: ClaimProfile) -> float:
    if a.categories & b.categories:
        return 1.0
    return 0.0 if a.categories or b.categories else 0.5
