"""ingest_article on text/html: extraction, metadata, junk and hostile pages."""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trafilatura

from pipeline.ingest import ingest_article
from pipeline.rejection import Rejection
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


def test_an_xhtml_page_with_an_xml_declaration_and_no_head_is_extracted(
    html_article_factory: Callable[..., RawArticle],
) -> None:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC '
        '"-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml"><body><article>{body}'
        "</article></body></html>"
    )
    article = ingested(html_article_factory(html))
    assert article.text.startswith("Ukraine has captured")


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


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that serves a DTD and an entity, and logs every request."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = b'<!ENTITY leak "FETCHED-OVER-HTTP">' if "dtd" in self.path else b"X"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def test_the_http_server_sees_requests(http_server: tuple[str, list[str]]) -> None:
    # The control for the test below: its "no request" would prove nothing if the
    # server could not see one.
    base, requests = http_server
    with urllib.request.urlopen(f"{base}/probe.dtd", timeout=5) as response:
        assert b"FETCHED-OVER-HTTP" in response.read()
    assert requests == ["/probe.dtd"]


def _passwd_lines() -> list[str]:
    passwd = Path("/etc/passwd")
    lines = passwd.read_text(encoding="utf-8").splitlines() if passwd.exists() else []
    return [line for line in lines if line.strip()] or ["root:x:0:0"]


@pytest.mark.parametrize(
    "declaration", ["", '<?xml version="1.0" encoding="utf-8"?>\n']
)
def test_a_file_entity_is_not_read(
    html_article_factory: Callable[..., RawArticle], declaration: str
) -> None:
    html = declaration + page().replace(
        "<!DOCTYPE html>", '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    ).replace(PARAGRAPHS[1], PARAGRAPHS[1] + " &e;")
    article = ingested(html_article_factory(html))
    assert "Zelenskyy" in article.text
    leaked = [line for line in _passwd_lines() if line in article.text]
    assert leaked == []
    assert "root:" not in article.text


@pytest.mark.parametrize(
    "declaration", ["", '<?xml version="1.0" encoding="utf-8"?>\n']
)
def test_no_request_reaches_a_server_named_by_the_page(
    html_article_factory: Callable[..., RawArticle],
    http_server: tuple[str, list[str]],
    declaration: str,
) -> None:
    base, requests = http_server
    doctype = (
        f'<!DOCTYPE html SYSTEM "{base}/external.dtd" ['
        f'<!ENTITY % remote SYSTEM "{base}/parameter.dtd"> %remote;'
        f'<!ENTITY net SYSTEM "{base}/entity">]>'
    )
    html = declaration + (
        page()
        .replace("<!DOCTYPE html>", doctype)
        .replace(PARAGRAPHS[1], PARAGRAPHS[1] + " &net; &leak;")
        .replace("<head>", f'<head><link rel="stylesheet" href="{base}/s.css">')
        .replace("</article>", f'<img src="{base}/i.png"></article>')
    )
    article = ingested(html_article_factory(html, url=f"{base}/news/1"))
    assert "Zelenskyy" in article.text
    assert "FETCHED-OVER-HTTP" not in article.text
    assert requests == []


def _billion_laughs(root: str) -> str:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    ]
    return f"<!DOCTYPE {root} [{''.join(entities)}]>"


@pytest.mark.parametrize(
    "prefix", ["", '<?xml version="1.0" encoding="utf-8"?>\n'], ids=["html", "xml"]
)
def test_entity_expansion_bombs_are_not_expanded(
    html_article_factory: Callable[..., RawArticle], prefix: str
) -> None:
    html = prefix + page().replace("<!DOCTYPE html>", _billion_laughs("html")).replace(
        PARAGRAPHS[0], PARAGRAPHS[0] + " &lol9;"
    )
    article = ingested(html_article_factory(html))
    assert "lollol" not in article.text
    assert len(article.text) < len(html)


def test_an_xml_bomb_without_html_is_no_text(
    html_article_factory: Callable[..., RawArticle],
) -> None:
    xml = f'<?xml version="1.0"?>{_billion_laughs("lolz")}<lolz>&lol9;</lolz>'
    rejection = rejected(html_article_factory(xml))
    assert rejection.error_type == "no_text"


def test_nesting_past_the_parser_depth_limit_is_too_deep(
    html_article_factory: Callable[..., RawArticle],
) -> None:
    depth = 100_000
    html = (
        "<html><body>"
        + "<div>" * depth
        + "<p>"
        + PARAGRAPHS[0]
        + "</p>"
        + "</div>" * depth
        + "</body></html>"
    )
    rejection = rejected(html_article_factory(html))
    assert rejection.error_type == "too_deep"
    assert "deeper than the parser follows" in rejection.reason


def test_moderate_nesting_is_extracted(
    html_article_factory: Callable[..., RawArticle],
) -> None:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = "<html><body>" + "<div>" * 200 + body + "</div>" * 200 + "</body></html>"
    article = ingested(html_article_factory(html))
    assert "Zelenskyy" in article.text
