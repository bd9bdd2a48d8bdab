"""An article's fingerprint: everything the dedupe decision needs, computed in the pool.

Pure and deterministic (see ``minhash`` for why every hash is fixed): the same article
gives the same fingerprint in any process, so a redelivered article is decided on
identical evidence.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from pydantic import ValidationError

from pipeline.codec import decode
from pipeline.dedupe.minhash import band_keys, minhash, shingle_hashes
from pipeline.rejection import Rejection
from pipeline.settings import DedupeSettings
from schemas import EnrichedArticle, Sentence
from schemas.dedupe import DedupeRequest, Fingerprint, SentenceKey

#: A word: letters and digits, with inner hyphens, apostrophes, dots and commas kept,
#: so "Korea's", "U.S", "1,500" and "3.5" are one word each and a changed figure
#: changes the word. Surrounding punctuation and quotes are not part of any word.
WORD = re.compile(r"\w+(?:[-'.,]\w+)*")

# Hex digits of a sentence key: 80 bits, so that two different sentences of the
# window share a key with odds far below one in a billion.
_SENTENCE_KEY_BYTES = 10


def words(text: str) -> list[str]:
    """The words of ``text``, casefolded, in order."""
    # Ingest already straightens quotes; this keeps the fingerprint of text from
    # anywhere else (tests, other producers) from splitting at a typographic apostrophe.
    return WORD.findall(text.casefold().replace("\u2019", "'"))


def fingerprint(article: EnrichedArticle, *, settings: DedupeSettings) -> Fingerprint:
    """The article's content hash, MinHash signature, LSH band keys and sentence keys.

    Boilerplate sentences (navigation, "Read more") are left out of the signature:
    every article of a site carries them, and they would make unrelated stories look
    alike. An article without words gets the empty signature and no band keys, so it
    can neither find nor be found as a near-duplicate.
    """
    content = [s for s in article.sentences if not s.boilerplate]
    sentence_words = [words(s.text) for s in content]
    text_words = [word for each in sentence_words for word in each]
    shingles = shingle_hashes(text_words, size=settings.shingle_words)
    signature = minhash(shingles, num_perm=settings.num_perm)
    bands = band_keys(signature, bands=settings.bands, rows=settings.rows)
    return Fingerprint(
        content_hash=article.content_hash,
        signature=tuple(signature.tolist()),
        bands=bands if text_words else (),
        sentences=tuple(_sentence_keys(content, sentence_words, settings)),
    )


def fingerprint_record(
    value: bytes, *, settings: DedupeSettings
) -> DedupeRequest | Rejection:
    """A record from ``articles.clean`` as a decision-log entry; never raises."""
    try:
        article = decode(EnrichedArticle, value)
    except ValidationError as error:
        reason = f"not a clean article: {error}"[:500]
        return Rejection(reason, "invalid_record")
    try:
        return DedupeRequest(
            article=article, fingerprint=fingerprint(article, settings=settings)
        )
    # As in ingest: a bug met by one odd article dead-letters it, not the stream.
    except Exception as error:
        reason = f"fingerprint failed: {type(error).__name__}: {error}"[:500]
        return Rejection(reason, "internal_error", article.article_id)


def sentence_key(sentence_words: list[str]) -> str:
    """The key of a sentence's words: equal for sentences that say it word for word.

    Case, spacing, punctuation between words and quote style do not count.
    """
    joined = " ".join(sentence_words).encode()
    return hashlib.blake2b(joined, digest_size=_SENTENCE_KEY_BYTES).hexdigest()


def _sentence_keys(
    sentences: list[Sentence],
    sentence_words: list[list[str]],
    settings: DedupeSettings,
) -> Iterable[SentenceKey]:
    # Short sentences ("He denied it.", "Here's what we know.") recur by chance.
    for sentence, each in zip(sentences, sentence_words, strict=True):
        if len(each) >= settings.min_sentence_words:
            yield SentenceKey(index=sentence.index, key=sentence_key(each))
