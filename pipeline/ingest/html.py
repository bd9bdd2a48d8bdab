"""The main text and metadata of an HTML page, extracted with trafilatura.

Safe on hostile markup: trafilatura parses with lxml's HTMLParser (its
``utils.HTML_PARSER``), also for a body that opens with an XML declaration, and
libxml2's HTML parser neither reads a DOCTYPE's internal subset nor loads external
entities or DTDs, and lxml sets ``no_network`` by default:
``<!ENTITY x SYSTEM "file:///etc/passwd">`` stays the literal text ``&x;``, an
entity-expansion bomb ("billion laughs") is never expanded, and no URL is ever
fetched. tests/unit/ingest/test_ingest_html.py checks each, against /etc/passwd and a
local HTTP server that must see no request. No extraction option used here downloads
anything; the page's URL is only read, for metadata. Nesting deeper than libxml2's
limit (256) is cut there; a page whose text lay only below it is ``too_deep``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import trafilatura
from lxml.etree import (  # type: ignore[import-untyped]  # lxml ships no stubs
    ErrorTypes,
    HTMLParser,
    ParserError,
    fromstring,
)
from trafilatura.settings import set_date_params

from pipeline.ingest.language import language_code
from pipeline.rejection import Rejection


@dataclass(frozen=True)
class ExtractedPage:
    """What the extractor found; ``text`` has one paragraph per line."""

    text: str
    title: str | None = None
    published_at: datetime | None = None
    declared_language: str | None = None


# The page's own statement of its language: <html lang="en-US">. Read with a regular
# expression because trafilatura does not report it (Document.language is only set
# when filtering by a target language).
_HTML_LANG = re.compile(
    r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2}(?:[-_]\w+)?)", re.I
)
#: How far into the page the <html> tag and a DOCTYPE are looked for.
HEAD_CHARS = 4096
_XML_DECLARATION = re.compile(r"\s*<\?xml\b[^>]*>\s*")


def extract_page(
    html: str, *, url: str | None = None, with_metadata: bool = True
) -> ExtractedPage | Rejection:
    """The main text of ``html`` (comments excluded), or why there is none.

    ``with_metadata=False`` skips the title and date search, about 40% of the time
    per page; the text is the same either way (checked on the benchmark pages).
    """
    try:
        document = run_trafilatura(html, url=url, with_metadata=with_metadata)
    # Anything the extractor raises on a hostile page is that page's problem, not the
    # worker's: it dead-letters with the exception named.
    except Exception as error:
        return Rejection(
            reason=f"HTML extraction failed: {type(error).__name__}: {error}"[:500],
            error_type="extraction_failed",
        )
    if document is None or isinstance(document, dict) or not document.text:
        return _no_text(html)
    return ExtractedPage(
        text=document.text,
        title=document.title or None,
        published_at=_parse_date(document.date),
        declared_language=_declared_language(html),
    )


def run_trafilatura(html: str, *, url: str | None, with_metadata: bool) -> Any:
    """trafilatura's extraction with our options, as it returns it (a Document, or
    None); bench/offline.py times this same call as "trafilatura alone"."""
    return trafilatura.bare_extraction(
        _as_document(html),
        url=url,
        with_metadata=with_metadata,
        date_extraction_params=_date_params(),
        include_comments=False,
        # Precision over recall: navigation text that slips in becomes false
        # claims downstream. On the benchmark it also scores higher (see
        # bench/extraction.py).
        favor_precision=True,
    )


def _no_text(html: str) -> Rejection:
    """Why a page gave no text: the reason is plain "no text" unless the parser gave
    up on the page's nesting, which the producer should hear about."""
    stop = _depth_limit_hit(html)
    if stop is None:
        return Rejection(reason="no main text found in the HTML", error_type="no_text")
    reason = (
        "the HTML nests elements deeper than the parser follows "
        f"(libxml2: {stop}); no main text was found above that depth"
    )
    return Rejection(reason=reason, error_type="too_deep")


def _depth_limit_hit(html: str) -> str | None:
    # libxml2 stops building the tree at depth 256 (a guard against stack exhaustion
    # that trafilatura's parser keeps), so a page of 100,000 nested <div>s parses
    # quickly into an empty shell. Parsed again only for pages without text.
    parser = HTMLParser(no_network=True, encoding="utf-8")
    try:
        fromstring(_as_document(html).encode("utf-8", "replace"), parser)
    except (ValueError, ParserError):  # empty or unparsable: not a depth problem
        return None
    limits = parser.error_log.filter_types([ErrorTypes.ERR_RESOURCE_LIMIT])
    depth = [entry.message for entry in limits if "depth" in entry.message]
    return depth[0] if depth else None


def _as_document(html: str) -> str:
    # An XML declaration tells nothing a decoded text needs, and trafilatura takes a
    # page that opens with one for not quite HTML unless it has a <head>, which
    # XHTML pages may lack: it goes.
    declaration = _XML_DECLARATION.match(html)
    if declaration:
        html = html[declaration.end() :]
    # trafilatura refuses a bare fragment ("<p>One paragraph</p>") as not quite HTML;
    # wrapped in a document it is extracted like any page.
    head = html[:HEAD_CHARS].lower()
    if "<html" in head or "<!doctype" in head:
        return html
    return f"<html><body>{html}</body></html>"


def _date_params() -> dict[str, Any]:
    # trafilatura's defaults (extensive search, original publication date, no date
    # after today), asking for the time as well as the day when the page states it.
    return {**set_date_params(True), "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


def _parse_date(value: str | None) -> datetime | None:
    # A page that gives no time zone (or no time: then midnight) is taken as UTC, so
    # published_at is always time-zone aware, as producers must send it.
    if not value:
        return None
    try:
        published = datetime.fromisoformat(value)
    except ValueError:
        return None
    return published if published.tzinfo else published.replace(tzinfo=UTC)


def _declared_language(html: str) -> str | None:
    match = _HTML_LANG.search(html, 0, HEAD_CHARS * 4)
    return language_code(match.group(1)) if match else None
