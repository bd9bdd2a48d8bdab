"""The claims stage: articles in, one tuple of attributed claims per article out.

Pure and synchronous; no Kafka here. Every candidate sentence of every article in
the batch goes through one ``nlp.pipe`` call; sentences that cannot be claims
(boilerplate, questions, headings, fragments) never reach the model. One odd
article yields no claims and never stops the batch (DESIGN.md, invariant 1).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from pipeline.claims.assertion import is_claim
from pipeline.claims.attribution import Attribution, find_attribution, name_span
from pipeline.claims.candidates import is_candidate
from pipeline.claims.checkworthiness import score
from pipeline.claims.dates import find_dates
from pipeline.claims.hedging import find_hedges
from pipeline.claims.model import load_model
from pipeline.claims.quantities import find_quantities
from pipeline.claims.quotes import Attributed, attribute_quotations
from pipeline.claims.speakers import SpeakerMemory, reference_kind, surnames
from schemas import Claim, EnrichedArticle, Entity, Sentence, Speaker

logger = logging.getLogger(__name__)

#: Sentences per model batch: large enough to amortise, small enough for memory.
BATCH_SIZE = 256
_ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"})


@dataclass
class _Clause(Attributed):
    sentence: Sentence
    span: Span
    asserts: bool


def extract_claims(articles: Sequence[EnrichedArticle]) -> list[tuple[Claim, ...]]:
    """One tuple of claims per article, in the articles' order."""
    jobs = [
        (number, sentence)
        for number, article in enumerate(articles)
        for sentence in article.sentences
        if is_candidate(sentence)
    ]
    docs = _parse([sentence.text for _, sentence in jobs])
    parsed: list[list[tuple[Sentence, Doc]]] = [[] for _ in articles]
    for (number, sentence), doc in zip(jobs, docs, strict=True):
        parsed[number].append((sentence, doc))
    return [
        _claims_or_nothing(article, sentences)
        for article, sentences in zip(articles, parsed, strict=True)
    ]


def _parse(texts: list[str]) -> list[Doc]:
    nlp = load_model()
    try:
        return list(nlp.pipe(texts, batch_size=BATCH_SIZE))
    except Exception:  # one text the model chokes on must not cost the whole batch
        logger.exception("batch parse failed; parsing sentence by sentence")
        return [_parse_one(text) for text in texts]


def _parse_one(text: str) -> Doc:
    nlp = load_model()
    try:
        return nlp(text)
    except Exception:
        logger.exception("could not parse a sentence; it yields no claims")
        return nlp.make_doc("")


def _claims_or_nothing(
    article: EnrichedArticle, sentences: list[tuple[Sentence, Doc]]
) -> tuple[Claim, ...]:
    try:
        return article_claims(article, sentences)
    # A bug met by one odd article must cost that article's claims, not the batch.
    except Exception:
        logger.exception("claims failed for article %s", article.article_id)
        return ()


def article_claims(
    article: EnrichedArticle, sentences: list[tuple[Sentence, Doc]]
) -> tuple[Claim, ...]:
    """The claims of one article from its parsed candidate sentences, in order."""
    clauses = list(_attributed_clauses(sentences))
    attribute_quotations(clauses)
    claims: dict[str, Claim] = {}
    for clause in clauses:
        if clause.asserts:
            claim = _claim(article, clause)
            claims.setdefault(claim.claim_id, claim)
    return tuple(claims.values())


def _attributed_clauses(sentences: list[tuple[Sentence, Doc]]) -> Iterator[_Clause]:
    memory = SpeakerMemory(surnames(doc for _, doc in sentences))
    for sentence, doc in sentences:
        for span in doc.sents:
            attribution = find_attribution(span)
            speaker = _speaker(attribution, memory)
            if speaker is None:
                _remember_subject(span, memory)
            cue = attribution.cue if attribution is not None else None
            yield _Clause(span.text, speaker, cue, sentence, span, is_claim(span))


def _speaker(attribution: Attribution | None, memory: SpeakerMemory) -> Speaker | None:
    if attribution is None:
        return None
    mention = attribution.mention
    named = memory.typed(mention)
    kind = reference_kind(mention.text)
    if kind is None:
        memory.remember(named)
        return named
    return memory.resolve(kind) or named


def _remember_subject(span: Span, memory: SpeakerMemory) -> None:
    """A person who acts in a sentence is who a later "he said" most likely means."""
    for child in span.root.children:
        if child.dep_ == "nsubj" and child.ent_type_ == "PERSON":
            mention = name_span(child)
            memory.remember(Speaker(name=mention.text, type="person"))


def _claim(article: EnrichedArticle, clause: _Clause) -> Claim:
    span = clause.span
    hedges = find_hedges(span)
    return Claim(
        claim_id=claim_id(article.article_id, clause.sentence.index, span.text),
        article_id=article.article_id,
        sentence_index=clause.sentence.index,
        text=span.text,
        speaker=clause.speaker,
        cue=clause.cue,
        hedged=bool(hedges),
        hedges=hedges,
        quantities=find_quantities(span),
        dates=find_dates(span, published=article.published_at),
        entities=_entities(span),
        checkworthiness=score(span),
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
