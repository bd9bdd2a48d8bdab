"""Telling binary data that arrived as a text body from text."""

from __future__ import annotations

import re

# Leading bytes of common binary formats, as they read once decoded as Latin-1 (how a
# careless producer turns bytes into a JSON string).
_SIGNATURES = (
    ("\x89PNG", "a PNG image"),
    ("\xff\xd8\xff", "a JPEG image"),
    ("GIF8", "a GIF image"),
    ("%PDF-", "a PDF document"),
    ("\x1f\x8b", "gzip-compressed data"),
    ("\x28\xb5\x2f\xfd", "zstd-compressed data"),
    ("PK\x03\x04", "a ZIP archive"),
)
#: How much of the body is sampled for control characters.
SAMPLE_CHARS = 4096
# Control characters other than the whitespace ones, and U+FFFD, which a lossy decoder
# leaves for each byte it could not read.
_JUNK = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")


def describe_binary(body: str) -> str | None:
    """Why ``body`` is binary data rather than text, or None if it reads as text."""
    for signature, name in _SIGNATURES:
        if body.startswith(signature):
            return f"body starts like {name}, not text"
    sample = body[:SAMPLE_CHARS]
    junk = len(_JUNK.findall(sample))
    # A few stray control characters, a NUL among them, are noise that a careless
    # export leaves in text and that normalisation removes: the article is kept.
    # A tenth of the text is not text: UTF-16 sent as bytes is half NULs.
    if junk > max(4, len(sample) // 10):
        return (
            f"{junk} of the first {len(sample)} characters are control characters or "
            "undecodable bytes (U+FFFD): binary data, not text"
        )
    return None
