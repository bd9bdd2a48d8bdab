"""How alike two claims are: what they say, about whom, and what their figures count.

Three parts, each in [0, 1]: the weighted Jaccard of their terms, the overlap of the
smaller claim's terms (a short report of a fact is all in a longer one), and whether
their figures count the same thing ("captured:soldier"). Entity words weigh half: a
story's names are in most of its claims, so sharing them says little about which
fact a claim states. A figure that counts something the other claim does not
mention pulls the score down; two claims without figures are neutral there.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.corroborate.figures import Figure
from pipeline.corroborate.records import Profile
from pipeline.corroborate.terms import claim_entities, claim_terms
from schemas import Claim

ENTITY_WEIGHT = 0.5
JACCARD_SHARE = 0.5
OVERLAP_SHARE = 0.25
FIGURE_SHARE = 0.25


@dataclass(frozen=True)
class ClaimProfile:
    """What a claim is compared on."""

    claim_id: str
    terms: frozenset[str]
    entities: frozenset[str]
    categories: frozenset[str]  # of figures with a fate ("captured:soldier")

    def dump(self) -> Profile:
        return [
            self.claim_id,
            sorted(self.terms),
            sorted(self.entities),
            sorted(self.categories),
        ]

    @classmethod
    def load(cls, value: Profile) -> ClaimProfile:
        claim_id, terms, entities, categories = value
        return cls(
            claim_id, frozenset(terms), frozenset(entities), frozenset(categories)
        )

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
        claim.claim_id, claim_terms(claim), claim_entities(claim), categories
    )


def similarity(a: ClaimProfile, b: ClaimProfile) -> float:
    """How likely the two claims state the same fact, in [0, 1]."""
    named = {word for key in a.entities | b.entities for word in key.split()}
    shared = _weight(a.terms & b.terms, named)
    union = _weight(a.terms | b.terms, named)
    smaller = min(_weight(a.terms, named), _weight(b.terms, named))
    if not union or not smaller:
        return 0.0
    jaccard, overlap = shared / union, shared / smaller
    return (
        JACCARD_SHARE * jaccard
        + OVERLAP_SHARE * overlap
        + FIGURE_SHARE * _figures_agree(a, b)
    )


def _weight(terms: frozenset[str], named: set[str]) -> float:
    return sum(ENTITY_WEIGHT if term in named else 1.0 for term in terms)


def _figures_agree(a: ClaimProfile, b: ClaimProfile) -> float:
    if a.categories & b.categories:
        return 1.0
    return 0.0 if a.categories or b.categories else 0.5
