"""Speaker names, their types, and the per-article memory that resolves "he".

Intelligence and security services (NIS, SBU, SSU, "spy agency") are typed
``government``: they are state bodies speaking for their state, and a desk weighs
them as it weighs a ministry, not as a company or an NGO.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from pipeline.claims.lexicon import (
    ANONYMOUS_SOURCES,
    BODY_WORDS,
    GOVERNMENT_METONYMS,
    GOVERNMENT_WORDS,
    MEDIA_NAMES,
    MEDIA_WORDS,
    PERSON_TITLES,
)
from schemas import Speaker
from schemas.enriched import SpeakerType

#: Pronouns and short references, and the kind of speaker they point back to.
_REFERENCES: dict[str, str] = {
    "he": "person",
    "she": "person",
    "it": "body",
    "they": "any",
    "we": "any",
    "the official": "person",
    "the spokesperson": "person",
    "the spokesman": "person",
    "the spokeswoman": "person",
    "the minister": "person",
    "the president": "person",
    "the leader": "person",
    "the agency": "body",
    "the service": "body",
    "the ministry": "body",
    "the department": "body",
    "the spy agency": "body",
    "the intelligence agency": "body",
    "the company": "body",
    "the firm": "body",
    "the group": "body",
    "the bank": "body",
    "the union": "body",
    "the party": "body",
    "the carmaker": "body",
    "the retailer": "body",
    "the news agency": "media",
    "the outlet": "media",
    "the newspaper": "media",
    "the broadcaster": "media",
}


def speaker_type(mention: Span, *, people: frozenset[str] = frozenset()) -> SpeakerType:
    """What kind of speaker a name is: from lexicons, titles and entity labels.

    ``people`` holds the surnames of the article's PERSON entities: the model often
    misses a bare surname ("Zelenskyy said") that it recognised in full elsewhere.
    Tests run in order: "Yonhap News Agency" is media before it is an agency.
    """
    words = {token.lower_.strip(".") for token in mention}
    head = mention.root
    if _is_media(words, head):
        return "media"
    if _is_office(mention, head):
        return "person"  # "the Bishop of Durham", "the Mayor of London"
    if _is_unnamed(head, people):
        return _type_of_body(mention, head)
    if _is_bare_name(mention, head, people):
        return "organisation"
    return _type_of_name(words, head, people)


def _type_of_name(words: set[str], head: Token, people: frozenset[str]) -> SpeakerType:
    if head.text in people or _is_person(head):
        return "person"
    if _is_government(words, head):
        return "government"
    if head.ent_type_ == "ORG" or head.lower_ in BODY_WORDS:
        return "organisation"
    if head.pos_ == "PROPN" and head.lower_ not in ANONYMOUS_SOURCES:
        return "organisation"
    return "unknown"


def _is_office(mention: Span, head: Token) -> bool:
    """One named office: "the" and a title with "of" a place or body."""
    return (
        head.lower_ in PERSON_TITLES
        and head.tag_ in {"NN", "NNP"}
        and mention[0].lower_ == "the"
        and any(child.lower_ == "of" for child in head.children)
    )


def _is_bare_name(mention: Span, head: Token, people: frozenset[str]) -> bool:
    """A lone capitalised word the model took for a person ("Yukos said", "Euronext
    said") though the article never gives a person of that name in full: news
    introduces people by their full names, and bodies by one word."""
    return len(mention) == 1 and head.ent_type_ == "PERSON" and head.text not in people


def _is_unnamed(head: Token, people: frozenset[str]) -> bool:
    """A common noun for people ("analysts", "a Japan Airlines spokesman"), not a
    name, a pronoun or a body ("the ministry")."""
    return (
        head.pos_ == "NOUN"
        and not head.ent_type_
        and head.text not in people
        and head.lower_ not in GOVERNMENT_WORDS
        and head.lower_ not in BODY_WORDS
    )


def _type_of_body(mention: Span, head: Token) -> SpeakerType:
    """An unnamed speaker takes the type of the body it speaks for ("an Investment
    Ministry official" is government, "union officers" an organisation); with no
    body named ("analysts", "critics") it is unknown. docs/labelling.md."""
    others = [token for token in mention if token.i != head.i]
    if any(token.ent_type_ == "PERSON" for token in others):
        return "person"  # "Chancellor Gordon Brown's closest ally"
    words = {token.lower_ for token in others}
    if words & GOVERNMENT_WORDS:
        return "government"
    if words & BODY_WORDS or any(
        token.pos_ == "PROPN" or token.ent_type_ in {"ORG", "GPE"} for token in others
    ):
        return "organisation"
    return "unknown"


def _is_media(words: set[str], head: Token) -> bool:
    if words & MEDIA_NAMES or (words & MEDIA_WORDS and head.ent_type_ == "ORG"):
        return True
    return {"news", "agency"} <= words or head.lower_ in {"newspaper", "outlet"}


def _is_person(head: Token) -> bool:
    return head.ent_type_ == "PERSON" or head.lower_ in PERSON_TITLES | {"he", "she"}


def _is_government(words: set[str], head: Token) -> bool:
    if words & GOVERNMENT_WORDS or head.lower_ in GOVERNMENT_METONYMS:
        return True
    return head.ent_type_ in {"GPE", "NORP"}


def reference_kind(mention: str) -> str | None:
    """The kind of earlier speaker a pronoun or short reference points to, or None."""
    return _REFERENCES.get(mention.lower())


def surnames(docs: Iterable[Doc]) -> frozenset[str]:
    """Last words of the PERSON entities given in full (two words or more) in an
    article's sentences."""
    return frozenset(
        entity[-1].text
        for doc in docs
        for entity in doc.ents
        if entity.label_ == "PERSON" and entity[-1].pos_ == "PROPN" and len(entity) > 1
    )


@dataclass
class SpeakerMemory:
    """Recent named speakers of one article, to resolve "He added" to a name."""

    people: frozenset[str] = frozenset()
    recent: list[Speaker] = field(default_factory=list)

    def typed(self, mention: Span) -> Speaker:
        return Speaker(
            name=mention.text, type=speaker_type(mention, people=self.people)
        )

    def remember(self, speaker: Speaker) -> None:
        # Without its channel: a later "he said" is not relayed by the same one.
        if speaker.type != "unknown" and reference_kind(speaker.name) is None:
            self.recent.append(speaker.model_copy(update={"via": None}))

    def resolve(self, kind: str) -> Speaker | None:
        """The nearest earlier speaker of that kind."""
        for speaker in reversed(self.recent):
            if _matches(speaker.type, kind):
                return speaker
        return None


def _matches(speaker: SpeakerType, kind: str) -> bool:
    if kind == "any":
        return True
    if kind == "person":
        return speaker == "person"
    if kind == "media":
        return speaker == "media"
    return speaker in {"government", "organisation", "media"}
