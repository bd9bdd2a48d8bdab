"""``newsline serve`` beside a real broker and worker, seen in a real browser.

The browser is Debian's chromium, driven headless by Playwright (which downloads no
browser of its own); ``make browser`` installs it. Set NEWSLINE_SCREENSHOT_DIR to
keep the story page's screenshot (docs/images/ is where the README looks).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from bench.measure import free_port
from pipeline.cli.supervise import WorkerProcess
from pipeline.clients.replay import make_producer, replay
from pipeline.clients.results import Results, collect, output_offsets
from pipeline.settings import Settings
from schemas import Claim, ClaimCluster, Story
from tests.integration.conftest import settings_env

CHROMIUM = Path(os.environ.get("NEWSLINE_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags chromium keeps calling home, and this
# machine's closed network refuses it, many times a second.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT = 180.0
HOSTILE_ID = "hostile-1"


class ServeProcess:
    """``newsline serve`` as a child process, on its own port and store."""

    def __init__(self, settings: Settings, db: Path, log: Path) -> None:
        self.port = free_port()
        self.db = db
        self._log = log
        self._env = {
            **os.environ,
            **settings_env(settings),
            "NEWSLINE_SERVE__PORT": str(self.port),
            "NEWSLINE_SERVE__DB": str(db),
        }
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServeProcess:
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "pipeline.cli", "serve"],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait(lambda health: True, "to answer")
        return self

    def health(self) -> dict[str, int] | None:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as answer:
                found: dict[str, int] = json.load(answer)
                return found
        except OSError:
            return None

    def wait(self, condition: Callable[[dict[str, int]], bool], what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                pytest.fail(f"serve exited: {self._log.read_text()[-2000:]}")
            health = self.health()
            if health is not None and condition(health):
                return
            time.sleep(0.2)
        pytest.fail(f"serve did not come {what} in {TIMEOUT} s: {self.health()}")

    def signal(self, signum: int) -> None:
        assert self._process is not None
        self._process.send_signal(signum)
        self._process.wait(timeout=30)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self.signal(signal.SIGTERM)


@pytest.fixture
def serve_factory(tmp_path: Path) -> Iterator[Callable[[Settings, Path], ServeProcess]]:
    started: list[ServeProcess] = []

    def start(settings: Settings, db: Path) -> ServeProcess:
        serve = ServeProcess(settings, db, tmp_path / f"serve-{len(started)}.log")
        started.append(serve.start())
        return serve

    yield start
    for serve in started:
        serve.stop()


@pytest.fixture
def page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.fail(f"no browser at {CHROMIUM}: run `make browser` (Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser.new_page(viewport={"width": 1200, "height": 900})
        browser.close()


def _hostile_corpus(folder: Path) -> Path:
    folder.mkdir()
    record = {
        "article_id": HOSTILE_ID,
        "source": "<b>Mallory</b>",
        "title": "<script>alert(1)</script>",
        "body": 'Officials said "><img src=x onerror=alert(1)> three people were hurt '
        "on Monday. <script>alert(1)</script> The police said 12 people were "
        "arrested.",
    }
    (folder / "hostile.jsonl").write_text(json.dumps(record) + "\n")
    return folder


def test_the_page_shows_the_seeds_story_as_it_arrives(
    settings: Settings,
    worker: WorkerProcess,
    serve_factory: Callable[[Settings, Path], ServeProcess],
    page: Page,
    seeds_dir: Path,
    tmp_path: Path,
) -> None:
    serve = serve_factory(settings, tmp_path / "serve.sqlite3")
    page.goto(serve.url)
    expect(page.locator(".empty")).to_contain_text("No stories yet")

    hostile = _hostile_corpus(tmp_path / "hostile")
    # In a thread of its own: Playwright's event loop runs in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(
            asyncio.run, replay(settings, [seeds_dir, hostile], show_progress=False)
        ).result()

    # No reload: the list updates itself from /events.
    card = page.locator(".story-card", has_text="5 independent sources")
    expect(card).to_have_count(1, timeout=TIMEOUT * 1000)
    card.locator("a.headline").click()
    expect(page.locator("#independent-sources")).to_have_text("5 independent sources")
    expect(page.locator("table.timeline tbody tr")).to_have_count(5)
    casualties = page.locator('figure.chart[data-counted="killed_or_wounded:soldier"]')
    expect(casualties).to_be_visible()
    for figure in ("1,000 to 3,000", "more than 3,000", "around 200"):
        expect(casualties.locator("text.value", has_text=figure)).to_have_count(1)
    spread = page.locator('tr.comparison[data-relation="estimate_spread"]')
    expect(spread.filter(has_text="1,000 to 3,000").first).to_be_visible()
    expect(spread.first.locator(".relation")).to_have_text("estimate spread")
    assert page.locator(".cluster").count() > 10
    _screenshot(page, tmp_path)

    # The hostile article's text is text: no script runs, no element is made.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    serve.wait(lambda health: health["articles"] == 6, "to hold the hostile article")
    page.goto(f"{serve.url}/articles/{HOSTILE_ID}")
    expect(page.locator("h1")).to_have_text("<script>alert(1)</script>")
    expect(page.locator("#s0")).to_contain_text('"><img src=x onerror=alert(1)>')
    expect(page.locator(".source").first).to_have_text("<b>Mallory</b>")
    assert page.locator("main img, main script").count() == 0
    page.goto(f"{serve.url}/claims?q=onerror+alert")
    expect(page.locator("#result-count")).to_have_text("1 claim")
    assert page.locator("main img").count() == 0
    assert dialogs == []


def _screenshot(page: Page, tmp_path: Path) -> None:
    folder = Path(os.environ.get("NEWSLINE_SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "story-page.png"), full_page=False)


def test_serve_killed_mid_stream_resumes_and_stores_every_record_once(
    settings: Settings,
    worker: WorkerProcess,
    serve_factory: Callable[[Settings, Path], ServeProcess],
    seeds_dir: Path,
    tmp_path: Path,
) -> None:
    seeds = sorted(seeds_dir.glob("*.txt"))
    since = asyncio.run(output_offsets(settings))
    db = tmp_path / "serve.sqlite3"

    asyncio.run(replay(settings, seeds[:2], show_progress=False))
    serve = serve_factory(settings, db)
    serve.wait(lambda health: health["articles"] == 2, "to hold the first 2 articles")
    serve.signal(signal.SIGKILL)

    asyncio.run(replay(settings, seeds[2:], show_progress=False))
    # On past the last outcome: a story or cluster record may follow its article.
    results = asyncio.run(
        collect(settings, since, expect=_ids(seeds), timeout=TIMEOUT, settle_s=5)
    )
    assert len(results.enriched) == 5, worker.log_tail()
    serve = serve_factory(settings, db)
    serve.wait(lambda health: _holds(health, results), "to hold every record")
    serve.wait(lambda health: _store_equals(db, results), "to hold the latest records")
    _assert_store_equals(db, results)

    # Every record read again (offsets lost): the store is exactly as it was.
    serve.stop()
    before, read_to = _dump(db), _offsets(db)
    with sqlite3.connect(db) as store:
        store.execute("UPDATE offsets SET next_offset = 0")
    serve = serve_factory(settings, db)
    serve.wait(lambda health: _offsets(db) == read_to, "to read the topics again")
    assert _dump(db) == before

    # A deleted store is rebuilt from the topics, the same to the byte.
    serve.stop()
    for path in db.parent.glob(f"{db.name}*"):
        path.unlink()
    serve = serve_factory(settings, db)
    serve.wait(lambda health: _offsets(db) == read_to, "to rebuild the store")
    assert _dump(db) == before


def test_serve_skips_records_it_cannot_take_and_goes_on(
    settings: Settings,
    serve_factory: Callable[[Settings, Path], ServeProcess],
    tmp_path: Path,
) -> None:
    serve = serve_factory(settings, tmp_path / "serve.sqlite3")
    good = Claim(claim_id="c1", article_id="a1", sentence_index=0, text="It rained.")
    values = [b"not json", b'{"schema_version": 2, "claim_id": "c2"}']
    asyncio.run(_produce(settings, [*values, good.model_dump_json().encode()]))
    serve.wait(lambda health: health["claims"] == 1, "to store the good record")
    with urllib.request.urlopen(f"{serve.url}/metrics", timeout=5) as answer:
        metrics = answer.read().decode()
    for reason in ("malformed", "future_schema"):
        line = (
            f'newsline_serve_rejected_records_total{{reason="{reason}",topic="claims"}}'
        )
        assert f"{line} 1.0" in metrics


async def _produce(settings: Settings, values: list[bytes]) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(settings.topic("claims"), value, key=b"k")
    finally:
        await producer.stop()


def _ids(seeds: list[Path]) -> list[str]:
    from pipeline.clients.corpus import read_corpus

    return [record.key for record in read_corpus(seeds) if record.key is not None]


def _holds(health: dict[str, int], results: Results) -> bool:
    return (
        health["articles"] == len(results.enriched)
        and health["claims"] == len(results.claims)
        and health["comparisons"] == len(results.comparisons)
        and health["clusters"] == len(results.clusters)
        and health["stories"] == len(results.stories)
    )


def _store_equals(db: Path, results: Results) -> bool:
    try:
        _assert_store_equals(db, results)
    except AssertionError:
        return False
    return True


def _assert_store_equals(db: Path, results: Results) -> None:
    with sqlite3.connect(db) as store:
        claims = dict(store.execute("SELECT claim_id, record FROM claims"))
        clusters = dict(store.execute("SELECT cluster_id, record FROM clusters"))
        stories = dict(store.execute("SELECT story_id, record FROM stories"))
        articles = dict(store.execute("SELECT article_id, record FROM articles"))
    assert claims == {k: v.model_dump_json() for k, v in results.claims.items()}
    assert articles == {k: v.model_dump_json() for k, v in results.enriched.items()}
    assert {k: ClaimCluster.model_validate_json(v) for k, v in clusters.items()} == (
        results.clusters
    )
    assert {k: Story.model_validate_json(v) for k, v in stories.items()} == (
        results.stories
    )


def _dump(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as store:
        return [
            tuple(row)
            for table in ("articles", "claims", "clusters", "conflicts", "stories")
            for row in store.execute(f"SELECT * FROM {table} ORDER BY 1")
        ]


def _offsets(db: Path) -> dict[tuple[str, int], int]:
    with sqlite3.connect(db) as store:
        rows = store.execute("SELECT topic, partition, next_offset FROM offsets")
        return {(topic, partition): offset for topic, partition, offset in rows}
