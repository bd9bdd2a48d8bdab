"""``newsline serve``: the output topics in a store, a page and a JSON API over it."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from pipeline.cli.common import CliError, command, kafka_access, port_number, say
from pipeline.settings import Settings


def add(commands: Any) -> None:
    serve = command(
        commands,
        "serve",
        _serve,
        "a web page and a JSON API over the output topics",
        "Read articles.enriched, claims, claims.clusters, claims.conflicts and\n"
        "stories into a SQLite store (one file) and serve, from it, a page (the\n"
        "latest stories, each story's timeline, claims and disagreeing figures, a\n"
        "claim search) and a JSON API (documented at /docs). The store resumes\n"
        "where it stopped; delete it and it is rebuilt from the topics.\n\n"
        "examples:\n"
        "  newsline serve                        # http://127.0.0.1:8000/\n"
        "  newsline extract seeds/ --out out/\n"
        "  newsline serve --load out/ --no-follow   # no broker\n"
        "  NEWSLINE_SERVE__TOKEN=s3cret newsline serve --host 0.0.0.0\n\n"
        "Settings: NEWSLINE_SERVE__HOST, __PORT, __DB, __TOKEN, __PAGE_SIZE, ...\n"
        "(README, Settings).",
    )
    serve.add_argument(
        "--host", help="address to listen on (127.0.0.1; 0.0.0.0 for every one)"
    )
    serve.add_argument("--port", type=port_number, help="TCP port (8000)")
    serve.add_argument("--db", type=Path, help="the store file (var/serve.sqlite3)")
    serve.add_argument(
        "--load",
        type=Path,
        metavar="FOLDER",
        help="first store the <topic>.jsonl files that `newsline extract` wrote there",
    )
    serve.add_argument(
        "--no-follow",
        dest="follow",
        action="store_false",
        help="do not read the topics: serve the store as it is (no broker needed)",
    )


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.clients.kafka import check_access, ensure_topics
    from pipeline.serve.main import ServeError, serve
    from pipeline.serve.store import StoreError

    overrides = {
        name: value
        for name, value in (("host", args.host), ("port", args.port), ("db", args.db))
        if value is not None
    }
    settings = settings.model_copy(
        update={"serve": settings.serve.model_copy(update=overrides)}
    )
    if args.load is not None and not args.load.is_dir():
        raise CliError(f"--load {args.load}: no such folder (give extract's --out)")
    try:
        if args.follow:
            with kafka_access(settings):
                asyncio.run(check_access(settings))
                asyncio.run(ensure_topics(settings))
        serve(settings, load=args.load, follow=args.follow, say=say)
    except (ServeError, StoreError) as error:
        raise CliError(str(error)) from error
    return 0
