"""The claims stage: articles in, one tuple of attributed claims per article out.

Pure and synchronous; no Kafka here. Every candidate sentence of every article in
the batch is parsed in one pass; sentences that cannot be claims (boilerplate,
questions, headings, fragments) never reach the model. The rules then read each
clause's attribution and claim status, and entities are tagged only on the
sentences whose labels a later rule reads (``parse``). One odd article yields no
claims and never stops the batch (DESIGN.md, invariant 1).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from pipeline.claims.assertion import is_claim
from pipeline.claims.attribution import Attribution, find_attribution, name_span
from pipeline.claims.candidates import is_candidate
from pipeline.claims.checkworthiness import THRESHOLD as CHECKWORTHY_AT
from pipeline.claims.checkworthiness import score
from pipeline.claims.dates import find_dates
from pipeline.claims.hedging import find_hedges
from pipeline.claims.parse import add_entities, parse_syntax
from pipeline.claims.quantities import find_quantities, outside_periods
from pipeline.claims.quotes import Attributed, attribute_quotations
from pipeline.claims.speakers import SpeakerMemory, reference_kind, surnames
from schemas import Claim, EnrichedArticle, Entity, Sentence, Speaker

logger = logging.getLogger(__name__)

_ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"})
#: References that a person remembered from an earlier sentence can resolve.
_PERSON_KINDS = frozenset({"person", "any"})


@dataclass
class _Reading:
    """What the rules read in a clause before entities are tagged."""

    sentence: Sentence
    span: Span
    attribution: Attribution | None
    asserts: bool


@dataclass
class _Clause(Attributed):
    sentence: Sentence
    span: Span
    asserts: bool
    #: The clause's own attribution, as read; quotations may change only ``cue``.
    attribution: Attribution | None


def extract_claims(articles: Sequence[EnrichedArticle]) -> list[tuple[Claim, ...]]:
    """One tuple of claims per article, in the articles' order."""
    jobs = [
        (number, sentence)
        for number, article in enumerate(articles)
        for sentence in article.sentences
        if is_candidate(sentence)
    ]
    docs = parse_syntax([sentence.text for _, sentence in jobs])
    parsed: list[list[tuple[Sentence, Doc]]] = [[] for _ in articles]
    for (number, sentence), doc in zip(jobs, docs, strict=True):
        parsed[number].append((sentence, doc))
    readings = [
        _read_or_nothing(article, sentences)
        for article, sentences in zip(articles, parsed, strict=True)
    ]
    _tag_entities(readings)
    return [
        _claims_or_nothing(article, found)
        for article, found in zip(articles, readings, strict=True)
    ]


def _read_or_nothing(
    article: EnrichedArticle, sentences: list[tuple[Sentence, Doc]]
) -> list[_Reading] | None:
    try:
        return list(_read(sentences))
    # A bug met by one odd article must cost that article's claims, not the batch.
    except Exception:
        logger.exception("claims failed for article %s", article.article_id)
        return None


def _read(sentences: list[tuple[Sentence, Doc]]) -> Iterator[_Reading]:
    for sentence, doc in sentences:
        for span in doc.sents:
            attribution = find_attribution(span)
            asserts = is_claim(span, attributed=attribution is not None)
            yield _Reading(sentence, span, attribution, asserts)


def _tag_entities(readings: list[list[_Reading] | None]) -> None:
    """Tags the docs whose entities some rule reads; drops the clauses of a doc
    the tagger fails on, as if the model had failed on the sentence."""
    docs = {
        id(doc): doc
        for found in readings
        if found is not None
        for doc in _docs_needing_entities(found)
    }
    tagged = add_entities(list(docs.values()))
    failed = {key for key, ok in zip(docs, tagged, strict=True) if not ok}
    for number, found in enumerate(readings):
        if found is not None and failed:
            readings[number] = [r for r in found if id(r.span.doc) not in failed]


def _docs_needing_entities(readings: list[_Reading]) -> Iterator[Doc]:
    """The docs of one article whose entity labels the claim rules would read:
    those of claims (entities, dates, score) and of attributed clauses (speaker
    types); those holding a proper noun that names a speaker elsewhere (``surnames``);
    and those whose subject may be remembered as a person before a later "he said"
    (``_remember_subject``)."""
    heads = {r.attribution.mention.root.text for r in readings if r.attribution}
    resolves_later = False
    for reading in reversed(readings):
        doc = reading.span.doc
        if (
            reading.asserts
            or reading.attribution is not None
            or (resolves_later and _has_subject(reading.span))
            or _names_any(doc, heads)
        ):
            yield doc
        mention = reading.attribution.mention if reading.attribution else None
        if mention is not None and reference_kind(mention.text) in _PERSON_KINDS:
            resolves_later = True


def _has_subject(span: Span) -> bool:
    return any(child.dep_ == "nsubj" for child in span.root.children)


def _names_any(doc: Doc, heads: Iterable[str]) -> bool:
    names = {token.text for token in doc if token.pos_ == "PROPN"}
    return not names.isdisjoint(heads)


def _claims_or_nothing(
    article: EnrichedArticle, readings: list[_Reading] | None
) -> tuple[Claim, ...]:
    if readings is None:
        return ()
    try:
        return article_claims(article, readings)
    # A bug met by one odd article must cost that article's claims, not the batch.
    except Exception:
        logger.exception("claims failed for article %s", article.article_id)
        return ()


def article_claims(
    article: EnrichedArticle, readings: list[_Reading]
) -> tuple[Claim, ...]:
    """The claims of one article from its read clauses, in order."""
    clauses = list(_attributed_clauses(readings))
    attribute_quotations(clauses)
    claims: dict[str, Claim] = {}
    for clause in clauses:
        if clause.asserts:
            claim = _claim(article, clause)
            if _checkable(claim):
                claims.setdefault(claim.claim_id, claim)
    return tuple(claims.values())


def _checkable(claim: Claim) -> bool:
    """Whether a clause the rules pass names something to check: a source, a figure
    or a date does; else the check-worthiness model decides, so that commentary
    ("But economics is not a science.") is not a claim."""
    named = claim.speaker or claim.quantities or claim.dates
    return bool(named) or claim.checkworthiness >= MIN_CHECKWORTHINESS


#: The least check-worthiness of an unattributed claim with no figure or date:
#: chosen on the dev split of the labelled BBC articles (bench/claims_bbc.py).
MIN_CHECKWORTHINESS = 0.05


def _attributed_clauses(readings: list[_Reading]) -> Iterator[_Clause]:
    docs = {id(r.span.doc): r.span.doc for r in readings}
    memory = SpeakerMemory(surnames(docs.values()))
    for reading in readings:
        attribution, span = reading.attribution, reading.span
        speaker = _speaker(attribution, memory)
        if speaker is None:
            _remember_subject(span, memory)
        cue = attribution.cue if attribution is not None else None
        yield _Clause(
            span.text,
            speaker,
            cue,
            sentence=reading.sentence,
            span=span,
            asserts=reading.asserts,
            attribution=attribution,
        )


def _speaker(attribution: Attribution | None, memory: SpeakerMemory) -> Speaker | None:
    if attribution is None:
        return None
    mention = attribution.mention
    named = memory.typed(mention)
    kind = reference_kind(mention.text)
    speaker = named if kind is None else memory.resolve(kind) or named
    if kind is None:
        memory.remember(named)
    via = attribution.via.text if attribution.via is not None else None
    return speaker.model_copy(update={"via": via}) if via else speaker


def _remember_subject(span: Span, memory: SpeakerMemory) -> None:
    """A person who acts in a sentence is who a later "he said" most likely means."""
    for child in span.root.children:
        if child.dep_ == "nsubj" and child.ent_type_ == "PERSON":
            mention = name_span(child)
            memory.remember(Speaker(name=mention.text, type="person"))


def _claim(article: EnrichedArticle, clause: _Clause) -> Claim:
    span = clause.span
    hedges = find_hedges(span)
    dates = find_dates(span, published=article.published_at)
    worth = score(span, attributed=clause.attribution is not None, hedged=bool(hedges))
    return Claim(
        claim_id=claim_id(article.article_id, clause.sentence.index, span.text),
        article_id=article.article_id,
        sentence_index=clause.sentence.index,
        text=span.text,
        speaker=clause.speaker,
        cue=clause.cue,
        hedged=bool(hedges),
        hedges=hedges,
        quantities=outside_periods(find_quantities(span), dates),
        dates=dates,
        entities=_entities(span),
        checkworthiness=worth,
        checkworthy=worth >= CHECKWORTHY_AT,
    )


def claim_id(article_id: str, sentence_index: int, text: str) -> str:
    """First 24 hex digits of sha256 over (article, sentence index, claim text)."""
    key = f"{article_id}\x1f{sentence_index}\x1f{text}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _entities(span: Span) -> tuple[Entity, ...]:
    seen: dict[tuple[str, str], Entity] = {}
    for entity in span.ents:
        if entity.label_ in _ENTITY_LABELS:
            text = entity.text.removesuffix("'s").removeprefix("the ")
            seen.setdefault(
                (text, entity.label_), Entity(text=text, label=entity.label_)
            )
    return tuple(seen.values())
