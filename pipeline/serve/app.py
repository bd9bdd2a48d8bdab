"""The web application: the API, the page, the token, and errors as messages.

``create_app`` builds it from the settings; nothing runs until a server calls it.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from prometheus_client import CollectorRegistry, generate_latest

from pipeline.serve.api import api_router
from pipeline.serve.models import Problem
from pipeline.serve.pages import page_router
from pipeline.settings import Settings

HERE = Path(__file__).parent
TOKEN_COOKIE = "newsline_token"
#: Paths a probe or a load balancer reaches without the token.
OPEN_PATHS = frozenset({"/healthz"})
#: The Prometheus text format (0.0.4).
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"

DESCRIPTION = """\
The records newsline publishes (stories, claims, claim clusters, figure comparisons,
enriched articles), from its SQLite store, filled by `newsline serve` from the output
topics. Lists are pages, newest first: `limit` and `offset`, and `next_offset` for
the next page. A request that does not validate gets 422 with a `message`. When
`NEWSLINE_SERVE__TOKEN` is set, send it as `Authorization: Bearer <token>`.
"""


def create_app(
    settings: Settings, registry: CollectorRegistry | None = None
) -> FastAPI:
    """The page and the API over the store at ``settings.serve.db``."""
    app = FastAPI(
        title="newsline",
        version=_version(),
        description=DESCRIPTION,
        redoc_url=None,
    )
    templates = Jinja2Templates(env=_templates())
    app.include_router(api_router(settings.serve))
    app.include_router(page_router(settings, templates))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _errors(app, templates)
    if registry is not None:
        _metrics(app, registry)
    token = settings.serve.token
    if token is not None:
        _guard(app, token.get_secret_value())
    return app


def _version() -> str:
    try:
        return package_version("newsline")
    except PackageNotFoundError:  # run from a source tree without installing
        return "0"


def _templates() -> jinja2.Environment:
    # Autoescaping for every template, whatever its name: article text is hostile.
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["when"] = _when
    environment.filters["query"] = _query
    return environment


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown time"


def _query(values: dict[str, object]) -> str:
    """A query string of the values given (others left out)."""
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _errors(app: FastAPI, templates: Jinja2Templates) -> None:
    """API errors as ``{"message": ...}``; the page's as a page."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        details = list(error.errors())
        message = "; ".join(
            f"{'.'.join(str(p) for p in d['loc'][1:]) or d['loc'][0]}: {d['msg']}"
            for d in details
        )
        problem = Problem(message=message, detail=[_plain(d) for d in details])
        return JSONResponse(problem.model_dump(), status_code=422)

    @app.exception_handler(HTTPException)
    async def failed(request: Request, error: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            problem = Problem(message=str(error.detail))
            return JSONResponse(problem.model_dump(), status_code=error.status_code)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"message": str(error.detail), "refresh_s": 0},
            error.status_code,
        )


def _plain(detail: object) -> dict[str, object]:
    """A validation error's detail as JSON can carry it (no exception objects)."""
    assert isinstance(detail, dict)
    return {k: v for k, v in detail.items() if k in ("loc", "msg", "type", "input")}


def _metrics(app: FastAPI, registry: CollectorRegistry) -> None:
    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=METRICS_TYPE)


Next = Callable[[Request], Awaitable[Response]]


def _guard(app: FastAPI, token: str) -> None:
    """Ask every request but a probe's for the token."""

    @app.middleware("http")
    async def require_token(request: Request, call_next: Next) -> Response:
        if request.url.path in OPEN_PATHS or _carries(request, token):
            return await call_next(request)
        given = request.query_params.get("token")
        if given is not None and _same(given, token):
            # Once in a browser: the token moves to a cookie, out of the address.
            rest = [
                (k, v) for k, v in request.query_params.multi_items() if k != "token"
            ]
            target = request.url.replace(query=urlencode(rest))
            answer = RedirectResponse(str(target), 303)
            answer.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
            return answer
        message = (
            "this newsline asks for its token: send Authorization: Bearer <token>, "
            "or open the page once with ?token=<token>"
        )
        return JSONResponse(Problem(message=message).model_dump(), status_code=401)


def _carries(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and _same(value.strip(), token):
        return True
    cookie = request.cookies.get(TOKEN_COOKIE)
    return cookie is not None and _same(cookie, token)


def _same(given: str, token: str) -> bool:
    """Compared in constant time (as bytes: a str must be ASCII to be compared)."""
    return secrets.compare_digest(given.encode(), token.encode())
