"""The commands against a real broker: tail on missing topics, and ``newsline run``
noticing a dead worker, stopping its worker on a signal, and finishing as soon as
every replayed record has an outcome.

Commands run through ``pipeline.cli.main``, or as a ``newsline`` process where a
signal or the process's exit is what is tested.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest

from pipeline.cli import main
from pipeline.kafka import ensure_topics
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
    started = time.monotonic()
    assert main(["tail", "no.such.topic"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "topic 'no.such.topic' does not exist" in line
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
