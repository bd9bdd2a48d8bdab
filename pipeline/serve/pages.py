"""The page: server-rendered templates, and a stream that says when the store changed.

Every value reaches the HTML through Jinja's autoescaping (``app.templates``), so an
article's text shows as text, whatever it holds. A part of a page marked
``data-live`` is fetched again (``?fragment=1``) when ``/events`` says the store
changed: the page updates without a front-end build.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import (
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.templating import Jinja2Templates

from pipeline.serve import queries
from pipeline.serve.charts import measure_charts
from pipeline.serve.store import reading, version
from pipeline.settings import Settings

#: Pages with a part that updates itself; ``_<name>`` is that part alone.
LIVE = frozenset({"index.html", "story.html"})
#: A comment line now and then keeps proxies from closing a quiet event stream.
KEEPALIVE_S = 15.0


def page_router(settings: Settings, templates: Jinja2Templates) -> APIRouter:
    """The page's routes; they are left out of the API's OpenAPI document."""
    router = APIRouter(include_in_schema=False)
    config = settings.serve
    db_path = config.db

    def render(
        request: Request, name: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        fragment = request.query_params.get("fragment") == "1" and name in LIVE
        template = f"_{name}" if fragment else name
        return templates.TemplateResponse(
            request, template, context | {"refresh_s": config.refresh_s}, status
        )

    @router.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Response:
        with reading(db_path) as db:
            page = queries.stories(db, limit=config.page_size, offset=0)
        return render(request, "index.html", {"stories": page})

    @router.get("/stories/{story_id}", response_class=HTMLResponse)
    def story(request: Request, story_id: str) -> Response:
        with reading(db_path) as db:
            live = queries.story_heir(db, story_id)
            detail = queries.story(db, live) if live else None
        if detail is None:
            return _missing(request, templates, f"No story {story_id} in the store.")
        if live != story_id:
            return RedirectResponse(request.url_for("story", story_id=live), 303)
        sentence_of = {
            view.claim.claim_id: view.claim.sentence_index
            for cluster in detail.clusters
            for view in cluster.claims
        }
        charts = measure_charts(
            detail.comparisons,
            approx_tolerance=settings.corroborate.approx_tolerance,
            sentence_of=sentence_of,
        )
        context = {
            "detail": detail,
            "charts": charts,
            "disagreements": [
                c for c in detail.comparisons if c.relation != "consistent"
            ],
            "sources": {a.article_id: a.source for a in detail.articles},
        }
        return render(request, "story.html", context)

    @router.get("/claims", response_class=HTMLResponse)
    def claims(request: Request) -> Response:
        form = {
            name: request.query_params.get(name, "").strip()
            for name in ("q", "speaker", "entity", "checkworthy", "since")
        }
        error, since = _since(form["since"])
        where = queries.ClaimFilter(
            q=form["q"] or None,
            speaker=form["speaker"] or None,
            entity=form["entity"] or None,
            checkworthy={"yes": True, "no": False}.get(form["checkworthy"]),
            since=since,
        )
        offset = _offset(request.query_params.get("offset"))
        results = None
        if not error and any(form.values()):
            with reading(db_path) as db:
                results = queries.claims(
                    db, where, limit=config.page_size, offset=offset
                )
        context = {"form": form, "error": error, "results": results}
        return render(request, "claims.html", context, 422 if error else 200)

    @router.get("/articles/{article_id}", response_class=HTMLResponse)
    def article(request: Request, article_id: str) -> Response:
        with reading(db_path) as db:
            found = queries.article(db, article_id)
        if found is None:
            return _missing(
                request, templates, f"No article {article_id} in the store."
            )
        claims_at = {claim.sentence_index: claim for claim in found.article.claims}
        return render(request, "article.html", {"found": found, "claims_at": claims_at})

    @router.get("/events")
    async def events(request: Request) -> StreamingResponse:
        return StreamingResponse(
            _changes(request, settings), media_type="text/event-stream"
        )

    return router


async def _changes(request: Request, settings: Settings) -> AsyncIterator[str]:
    """An event with the store's version whenever it changes, until the page goes."""
    seen = -1
    quiet = 0.0
    while not await request.is_disconnected():
        current = await asyncio.to_thread(_version, settings)
        if current != seen:
            seen = current
            quiet = 0.0
            yield f"data: {current}\n\n"
        elif quiet >= KEEPALIVE_S:
            quiet = 0.0
            yield ": still here\n\n"
        await asyncio.sleep(settings.serve.refresh_s)
        quiet += settings.serve.refresh_s


def _version(settings: Settings) -> int:
    with reading(settings.serve.db) as db:
        return version(db)


def _since(text: str) -> tuple[str | None, datetime | None]:
    """The search form's date, or the message to show instead."""
    if not text:
        return None, None
    try:
        return None, datetime.fromisoformat(text)
    except ValueError:
        return f"'Since' must be a date such as 2026-12-01 (not {text!r}).", None


def _offset(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


def _missing(request: Request, templates: Jinja2Templates, message: str) -> Response:
    return templates.TemplateResponse(
        request, "error.html", {"message": message, "refresh_s": 0}, 404
    )
