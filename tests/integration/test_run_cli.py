"""The commands against a real broker: tail on missing topics, and ``newsline run``
noticing a dead worker, stopping its worker on a signal, and finishing as soon as
every replayed record has an outcome.

Commands run through ``pipeline.cli.main``, or as a ``newsline`` process where a
signal or the process's exit is what is tested.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.measure import children, running
from pipeline.cli import main
from pipeline.clients.kafka import ensure_topics
from pipeline.settings import Settings, get_settings


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> Iterator[dict[str, str]]:
    """This test's settings as the environment the command reads; returned too."""
    env = settings.as_environment()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield {**os.environ, **env}
    get_settings.cache_clear()


def one_line(err: str) -> str:
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


# -- tail ---------------------------------------------------------------------------


def test_tail_of_a_missing_topic_says_so_at_once(
    cli_env: dict[str, str], settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # A name of this test's own: a consumer may have created one by asking for it.
    missing = f"{settings.topic_prefix}no.such.topic"
    started = time.monotonic()
    assert main(["tail", missing]) == 2
    line = one_line(capsys.readouterr().err)
    assert f"topic '{missing}' does not exist" in line
    assert time.monotonic() - started < 20
    # A pipeline topic gets the prefix, and the message says so.
    assert main(["tail", "articles.enriched"]) == 2
    line = one_line(capsys.readouterr().err)
    assert f"'{settings.topic_prefix}articles.enriched' does not exist" in line
    assert "NEWSLINE_TOPIC_PREFIX" in line


def test_tail_of_an_empty_topic_ends_after_its_timeout(
    cli_env: dict[str, str], settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(ensure_topics(settings))
    started = time.monotonic()
    assert main(["tail", "articles.enriched", "--timeout", "2"]) == 0
    assert time.monotonic() - started < 20
    assert capsys.readouterr().out == ""


# -- run: a worker that stops, a signal, outcomes under derived ids ----------------


def answers(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition: Callable[[], bool], *, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.fixture
def long_corpus(tmp_path: Path, seeds_dir: Path) -> Path:
    """Enough distinct articles that a run is still busy when the test signals it."""
    seeds = [p.read_text() for p in sorted(seeds_dir.glob("*.txt"))]
    path = tmp_path / "long.jsonl"
    with path.open("w") as lines:
        for n in range(300):
            body = f"{seeds[n % len(seeds)]}\nThis is copy number {n}."
            lines.write(json.dumps({"source": f"copy{n}", "body": body}) + "\n")
    return path


STOPPING = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL]


@pytest.mark.parametrize("signum", STOPPING, ids=[s.name for s in STOPPING])
def test_run_leaves_no_worker_behind_when_signalled(
    settings: Settings, long_corpus: Path, signum: signal.Signals
) -> None:
    env = {**os.environ, **settings.as_environment()}
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run", str(long_corpus)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    worker = None
    try:
        assert run.stdout is not None
        assert run.stdout.readline().startswith("worker started")
        (worker,) = children(run.pid)
        # The worker holds its web port once faust is up: the port a next run needs.
        assert wait_for(lambda: answers(settings.web_port), timeout_s=90)
        run.send_signal(signum)
        _, err = run.communicate(timeout=60)
        expected = -signal.SIGKILL if signum == signal.SIGKILL else 128 + signum
        assert run.returncode == expected, err
        if signum != signal.SIGKILL:
            # run waits for its worker: it is gone by the time run exits.
            assert not running(worker)
            assert err == f"newsline: stopped by {signum.name}\n" or (
                signum == signal.SIGINT and "Traceback" not in err
            )
        # SIGKILL cannot be caught: the kernel tells the worker its parent died.
        assert wait_for(lambda: not running(worker), timeout_s=45)
        assert not answers(settings.web_port)
    finally:
        if run.poll() is None:
            run.kill()
        if worker is not None and running(worker):  # left behind: the bug itself
            os.killpg(worker, signal.SIGKILL)


def test_run_reports_a_worker_that_dies_at_start_up_at_once(
    cli_env: dict[str, str],
    settings: Settings,
    seeds_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", settings.web_port))
        taken.listen()
        started = time.monotonic()
        assert main(["run", str(seeds_dir), "--timeout", "150"]) == 2
    assert time.monotonic() - started < 90
    err = capsys.readouterr().err
    assert err.startswith("newsline: the worker stopped (exit status")
    assert str(settings.data_dir / "worker.log") in err
    assert "Traceback" not in err.splitlines()[0]
    assert len(err.splitlines()) > 3  # the end of the worker's log follows


def derived_id_lines(count: int) -> list[dict[str, object]]:
    """Records the worker dead-letters under an id it derives, not the replay key."""
    kinds: list[dict[str, object]] = [
        {"schema_version": 2, "source": "wire", "body": "An unknown version."},
        {"source": "wire", "content_type": "application/pdf", "body": "%PDF-1.7"},
        {"source": "s" * 501, "body": "A source name past its 500 characters."},
    ]
    return [
        {**kinds[n % len(kinds)], "body": f"Body {n}."} if n >= len(kinds) else kinds[n]
        for n in range(count)
    ]


def test_run_finishes_once_every_record_has_an_outcome_whatever_its_id(
    cli_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    articles = [
        {"article_id": f"short-{n}", "source": "wire", "body": f"Note {n} of 22."}
        for n in range(22)
    ]
    lines = [*articles, *derived_id_lines(21)]
    (corpus / "feed.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    not_gzip = b"<html><body><p>Plain HTML in a .gz name.</p></body></html>"
    (corpus / "page.html.gz").write_bytes(not_gzip)

    started = time.monotonic()
    assert main(["run", str(corpus), "--timeout", "150"]) == 0
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert elapsed < 100, out
    assert "articles.enriched: 22 articles" in out
    assert "articles.deadletter: 22 records" in out
    # Twenty of each are listed, the rest counted.
    assert out.count("\n  ... and 2 more\n") == 2
    assert "schema_version 2 is not supported" in out

    # The bad page went through Kafka as its bytes, and came out with them.
    tail = ["tail", "articles.deadletter", "--from-beginning", "--timeout", "5"]
    assert main(tail) == 0
    letters = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    originals = {base64.b64decode(x["original_base64"]) for x in letters}
    assert not_gzip in originals
