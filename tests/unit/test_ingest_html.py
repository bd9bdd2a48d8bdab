"""ingest_article on text/html: extraction, metadata, junk and hostile pages."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trafilatura

from pipeline.ingest import Rejection, ingest_article
from pipeline.settings import IngestLimits
from schemas import EnrichedArticle, RawArticle

LIMITS = IngestLimits()
PARAGRAPHS = [
    "Ukraine has captured two wounded North Korean soldiers in Russia\u2019s Kursk "
    "region, President Volodymyr Zelenskyy said on Saturday.",
    "\u201cThis was not an easy task,\u201d Zelenskyy said, adding that the soldiers "
    "had been taken to Kyiv and were being questioned by the Security Service.",
    "South Korea\u2019s National Intelligence Service said it had confirmed the "
    "capture and was cooperating with Ukrainian officials in real time.",
    "The soldiers did not speak Ukrainian, English or Russian, so interpreters of "
    "Korean were helping with the interrogation, the service said.",
]


def page(*, lang: str = "en", title: str = "Ukraine captures two soldiers") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title} | Example News</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="2025-01-11T14:30:00+00:00">
</head><body>
<nav><ul><li><a href="/">Home</a></li>
<li><a href="/world">World desk</a></li></ul></nav>
<header><h1>{title}</h1></header>
<article>{body}
<h2>What happens next</h2>
<p>Kyiv said it was ready to exchange the soldiers for prisoners held in Russia.</p>
</article>
<aside><h3>Most read</h3>
<ul><li><a href="/m">Markets rally on Friday</a></li></ul></aside>
<footer><p>Example News, 1 Main Street.</p>
<a href="/privacy">Privacy policy</a></footer>
</body></html>"""


@pytest.fixture
def html_article_factory() -> Callable[..., RawArticle]:
    def make(body: str, **fields: Any) -> RawArticle:
        fields = {
            "article_id": "h-1",
            "source": "web",
            "content_type": "text/html",
            **fields,
        }
        return RawArticle(body=body, **fields)

    return make


@pytest.fixture
def html_article(html_article_factory: Callable[..., RawArticle]) -> RawArticle:
    return html_article_factory(page())


def ingested(article: RawArticle) -> EnrichedArticle:
    result = ingest_article(article, limits=LIMITS)
    assert isinstance(result, EnrichedArticle), result
    return result


def rejected(article: RawArticle) -> Rejection:
    result = ingest_article(article, limits=LIMITS)
    assert isinstance(result, Rejection), result
    assert result.article_id == article.article_id
    return result


def test_main_text_is_extracted_one_paragraph_per_line(
    html_article: RawArticle,
) -> None:
    lines = ingested(html_article).text.split("\n")
    expected = [
        p.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
        for p in PARAGRAPHS
    ]
    assert lines[: len(PARAGRAPHS)] == expected
    assert "What happens next" in lines


def test_navigation_and_footer_are_left_out(html_article: RawArticle) -> None:
    text = ingested(html_article).text
    for junk in ("World desk", "Privacy policy", "Markets rally", "1 Main Street"):
        assert junk not in text


def test_section_heading_is_marked_boilerplate(html_article: RawArticle) -> None:
    marks = {s.text: s.boilerplate for s in ingested(html_article).sentences}
    assert marks["What happens next"] is True
    assert not any(flag for text, flag in marks.items() if text != "What happens next")


def test_page_metadata_fills_what_the_producer_left_out(
    html_article: RawArticle,
) -> None:
    article = ingested(html_article)
    assert article.title == "Ukraine captures two soldiers"
    assert article.published_at == datetime(2025, 1, 11, 14, 30, tzinfo=UTC)
    assert article.language == "en"


def test_producer_metadata_wins(
    html_article_factory: Callable[..., RawArticle],
) -> None:
    published = datetime(2025, 1, 12, 9, 0, tzinfo=UTC)
    raw = html_article_factory(page(), title="Own title", published_at=published)
    article = ingested(raw)
    assert (article.title, article.published_at) == ("Own title", published)


def test_declared_language_is_the_fallback_for_short_texts(
    html_article_factory: Callable[..., RawArticle],
) -> None:
    html = '<html lang="de-AT"><body><article><p>Hallo Welt</p></article></body></html>'
    assert ingested(html_article_factory(html)).language == "de"


def test_a_bare_fragment_is_extracted(
    html_article_factory: Callable[..., RawArticle],
) -> None:
    article = ingested(
        html_article_factory("<p>Kyiv said the soldiers were wounded.</p>")
    )
    assert article.text == "Kyiv said the soldiers were wounded."


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><img src='photo.png'></body></html>",
        "<html><head><title>Only a title</title><script>var a = 1;</script></head>"
        "<body></body></html>",
    ],
)
def test_html_without_text_is_no_text(
    html_article_factory: Callable[..., RawArticle], html: str
) -> None:
    rejection = rejected(html_article_factory(html))
    assert rejection.error_type == "no_text"


def test_png_bytes_as_html_are_unsupported(
    html_article_factory: Callable[..., RawArticle],
) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
    rejection = rejected(html_article_factory(png.decode("latin-1")))
    assert rejection.error_type == "unsupported_content"
    assert "PNG" in rejection.reason


def test_an_extractor_crash_becomes_extraction_failed(
    html_article: RawArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(trafilatura, "bare_extraction", crash)
    rejection = rejected(html_article)
    assert rejection.error_type == "extraction_failed"
    assert "RecursionError" in rejection.reason


def test_external_entities_are_not_resolved(
    html_article_factory: Callable[..., RawArticle], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER-93", encoding="utf-8")
    html = (
        page()
        .replace(
            "<!DOCTYPE html>",
            f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>',
        )
        .replace(PARAGRAPHS[0], PARAGRAPHS[0] + " &xxe;")
    )
    article = ingested(html_article_factory(html))
    assert "SECRET-MARKER-93" not in article.text
    assert "&xxe;" in article.text  # the reference was read, and left as text


def test_nothing_is_fetched(
    html_article_factory: Callable[..., RawArticle], monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    html = (
        page()
        .replace(
            "<!DOCTYPE html>",
            '<!DOCTYPE html SYSTEM "http://127.0.0.1:9/dtd" '
            '[<!ENTITY net SYSTEM "http://127.0.0.1:9/entity">]>',
        )
        .replace(
            "<head>", '<head><link rel="stylesheet" href="http://127.0.0.1:9/s.css">'
        )
    )
    article = ingested(html_article_factory(html, url="https://example.com/news/1"))
    assert "Zelenskyy" in article.text
    assert attempts == []
