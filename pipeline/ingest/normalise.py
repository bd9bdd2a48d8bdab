"""One canonical spelling of a text, so equal articles hash equal.

The result has paragraphs as lines (``\\n``), single plain spaces, no blank lines,
and no leading or trailing space on any line.
"""

from __future__ import annotations

import re
import unicodedata

# Typographic quotes become straight ones so that quote matching downstream deals with
# two characters, not eight. Guillemets and primes are left alone: guillemets mark
# quotes in several languages and are unambiguous, and primes (U+2032, U+2033) are
# units of feet and inches or minutes and seconds, not quotes.
_QUOTES = {
    "\u2018": "'",  # left single quote
    "\u2019": "'",  # right single quote, also the typographic apostrophe
    "\u201a": "'",  # low single quote (German, Polish)
    "\u201b": "'",  # reversed single quote
    "\u201c": '"',  # left double quote
    "\u201d": '"',  # right double quote
    "\u201e": '"',  # low double quote (German, Polish)
    "\u201f": '"',  # reversed double quote
}

_LINE_BREAKS = "\r\x85\u2028\u2029"
# Every Unicode space separator (category Zs) and the whitespace control characters.
_SPACES = (
    "\t\x0b\x0c\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u202f\u205f\u3000"
)
# Invisible characters that only break token matching. ZWJ and ZWNJ (U+200D, U+200C)
# are kept: they change how Persian and Indic words, and emoji, are spelled.
_INVISIBLE = "\u00ad\u200b\u2060\ufeff"


def _translation_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(k): v for k, v in _QUOTES.items()}
    controls = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
    table.update({code: None for code in controls if code != ord("\n")})
    # Lone surrogates can arrive from Python callers (JSON decoding refuses them); they
    # cannot be encoded as UTF-8, so they would break hashing and the topic codec.
    table.update(dict.fromkeys(range(0xD800, 0xE000)))
    table.update({ord(char): None for char in _INVISIBLE})
    table.update({ord(char): " " for char in _SPACES})
    table.update({ord(char): "\n" for char in _LINE_BREAKS})
    return table


_TRANSLATION = _translation_table()
_SPACE_RUN = re.compile(r" {2,}")
_LINE_GAP = re.compile(r" ?\n[ \n]*")


def normalise_text(text: str) -> str:
    """The canonical form of ``text``; paragraph boundaries (newlines) are kept."""
    # NFC, not NFKC: NFKC folds compatibility characters and so changes what figures
    # say ("10⁹" becomes "109", "km²" becomes "km2", "½" becomes a fraction-slash
    # "1/2") and rewrites half-width Katakana and Arabic presentation forms. NFC only
    # composes accents.
    text = unicodedata.normalize("NFC", text.translate(_TRANSLATION))
    text = _SPACE_RUN.sub(" ", text)
    return _LINE_GAP.sub("\n", text).strip(" \n")


def normalise_line(text: str) -> str:
    """``normalise_text`` for a one-line field such as a title: breaks become spaces."""
    return normalise_text(text).replace("\n", " ")
