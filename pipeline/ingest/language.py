"""The article's language as an ISO 639-1 code, or None when it cannot be told."""

from __future__ import annotations

import re
from typing import Any

from py3langid.langid import MODEL_FILE, LanguageIdentifier

#: Below this calibrated probability the guess is no better than a coin toss.
MIN_CONFIDENCE = 0.5
#: Detection reads at most this much text: more does not change the answer, only cost.
SAMPLE_CHARS = 5_000

# "en", "en-US", "pt_BR", "EN": the primary subtag is the language.
_LANGUAGE_TAG = re.compile(r"\s*([A-Za-z]{2})(?:[-_][A-Za-z0-9]{1,8})*\s*")

# One identifier per process: loading the model takes about a second, and worker
# processes of the pool each load it on first use (or in their initializer).
_identifier: Any = None


def load_identifier() -> Any:
    """The process's py3langid identifier; the model ships inside the package."""
    global _identifier  # noqa: PLW0603 -- a per-process cache is the point
    if _identifier is None:
        # norm_probs gives probabilities calibrated for text length (py3langid 0.4),
        # so MIN_CONFIDENCE means the same for a headline and for a long article.
        _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def language_code(tag: str | None) -> str | None:
    """The ISO 639-1 code in a language tag ("en-US" -> "en"), or None."""
    if tag is None:
        return None
    match = _LANGUAGE_TAG.fullmatch(tag)
    return match.group(1).lower() if match else None


def detect_language(text: str) -> str | None:
    """The language of ``text``, or None when it is too short or mixed to tell.

    There is no fixed length threshold: the identifier's calibrated confidence already
    falls with length ("Captured Soldiers Speak Out" scores 0.17 for English, a full
    sentence over 0.8), so MIN_CONFIDENCE decides for short texts too.
    """
    code, confidence = load_identifier().classify(text[:SAMPLE_CHARS])
    # "zxx" (no linguistic content) and other non-ISO 639-1 labels are not languages.
    if confidence < MIN_CONFIDENCE or len(code) != 2:
        return None
    return str(code)
