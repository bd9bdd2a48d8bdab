"""One ``newsline serve`` process: the feed and the web server on one event loop.

The server stops on Ctrl-C or SIGTERM (uvicorn's handlers); the feed is then
cancelled between batches, its last batch already stored. A feed that fails stops
the server, so a process that serves a page is one that keeps it current.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn
from prometheus_client import CollectorRegistry

from pipeline.serve.app import create_app
from pipeline.serve.feed import FeedMetrics, feed, load_files
from pipeline.serve.store import Store
from pipeline.settings import Settings

log = logging.getLogger(__name__)


class ServeError(Exception):
    """serve cannot start; the message says why and what to change."""


def serve(
    settings: Settings,
    *,
    load: Path | None,
    follow: bool,
    say: Callable[[str], None],
) -> None:
    """Fill the store (from ``load`` files, and from the topics when ``follow``) and
    serve the page and the API until stopped."""
    config = settings.serve
    check_port(config.host, config.port)
    registry = CollectorRegistry()
    metrics = FeedMetrics.on(registry)
    store = Store(config.db)
    try:
        if load is not None:
            read = load_files(store, load, metrics, batch_records=config.batch_records)
            say(f"stored {read} records from {load}")
        if config.token is None and not _loopback(config.host):
            say(
                f"warning: serving on {config.host} without a token; anyone who can "
                "reach it reads the store (set NEWSLINE_SERVE__TOKEN)"
            )
        asyncio.run(_serve(settings, store, registry, metrics, follow=follow, say=say))
    finally:
        store.close()


async def _serve(
    settings: Settings,
    store: Store,
    registry: CollectorRegistry,
    metrics: FeedMetrics,
    *,
    follow: bool,
    say: Callable[[str], None],
) -> None:
    config = settings.serve
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, registry),
            host=config.host,
            port=config.port,
            log_level="warning",
            # Open event streams would otherwise hold a stop for their whole life.
            timeout_graceful_shutdown=2,
        )
    )
    web = asyncio.create_task(server.serve(), name="serve-web")
    feeding = (
        asyncio.create_task(feed(settings, store, metrics), name="serve-feed")
        if follow
        else None
    )
    while not server.started and not web.done():
        await asyncio.sleep(0.05)
    if server.started:
        address = f"http://{_shown(config.host)}:{config.port}/"
        say(f"the page is at {address} (API: {address}docs); Ctrl-C stops it")
    watched = {web} | ({feeding} if feeding else set())
    done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
    if feeding is not None and not feeding.done():
        feeding.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeding
    if feeding is not None and feeding in done and feeding.exception() is not None:
        server.should_exit = True
        await web
        raise ServeError(f"reading the topics failed: {feeding.exception()}")
    await web


def check_port(host: str, port: int) -> None:
    """Raise ServeError at once when the address cannot be listened on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = (
                "it is in use (another serve?)"
                if error.errno == errno.EADDRINUSE
                else error.strerror
            )
            raise ServeError(
                f"cannot listen on {host}:{port}: {reason}; give another --port "
                "(NEWSLINE_SERVE__PORT) or --host"
            ) from error


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(host: str) -> str:
    """The host as a browser address: 0.0.0.0 is reached as 127.0.0.1."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
