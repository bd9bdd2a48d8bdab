"""Bad input at the command line: one line on stderr, exit status 2, no traceback.

Every case goes through the real entry point, ``pipeline.cli.main``; none needs a
broker, as each is refused before one is contacted.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.settings import get_settings

# Nothing listens here: a case that reached the broker would say so, not pass.
UNUSED_BOOTSTRAP = "127.0.0.1:1"


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings read anew from this test's environment, and forgotten after it."""
    monkeypatch.setenv("NEWSLINE_KAFKA_BOOTSTRAP_SERVERS", UNUSED_BOOTSTRAP)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command; assert exit 2 and one line on stderr; return that line."""
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


# -- settings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("NEWSLINE_TOPIC_PARTITIONS", "abc", "valid integer"),
        ("NEWSLINE_DEDUPE__THRESHOLD", "2", "less than or equal to 1"),
        ("NEWSLINE_INGEST__MAX_BODY_BYTES", "-1", "greater than 0"),
        ("NEWSLINE_KAFKA_SECURITY_PROTOCOL", "TLS", "'PLAINTEXT', 'SSL'"),
    ],
)
@pytest.mark.parametrize("command", [["broker", "status"], ["tail", "x"]])
def test_an_invalid_setting_is_named_by_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    expected: str,
    command: list[str],
) -> None:
    monkeypatch.setenv(variable, value)
    line = refused(capsys, *command)
    assert f"{variable}='{value}'" in line
    assert expected in line


def test_each_invalid_setting_gets_its_own_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSLINE_TOPIC_PARTITIONS", "abc")
    monkeypatch.setenv("NEWSLINE_DEDUPE__THRESHOLD", "2")
    assert main(["broker", "status"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert any("NEWSLINE_TOPIC_PARTITIONS" in line for line in lines)
    assert any("NEWSLINE_DEDUPE__THRESHOLD" in line for line in lines)


def test_an_invalid_setting_prints_no_traceback_from_the_installed_command(
    tmp_path: Path,
) -> None:
    env = {"PATH": "/usr/bin:/bin", "NEWSLINE_DEDUPE__THRESHOLD": "2"}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "broker", "status"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "newsline: invalid setting NEWSLINE_DEDUPE__THRESHOLD='2': input should be "
        "less than or equal to 1; fix or unset it"
    ]


# -- options ------------------------------------------------------------------------


@pytest.mark.parametrize("rate", ["0", "-5", "nan", "inf", "fast"])
def test_replay_rate_must_be_a_finite_number_above_zero(
    capsys: pytest.CaptureFixture[str], rate: str
) -> None:
    line = refused(capsys, "replay", "seeds", "--rate", rate)
    assert "--rate" in line
    assert "newsline replay --help" in line


@pytest.mark.parametrize("limit", ["0", "-1", "x"])
def test_tail_limit_must_be_at_least_one(
    capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    assert "--limit" in refused(capsys, "tail", "articles.raw", "--limit", limit)


@pytest.mark.parametrize("timeout", ["0", "-1", "nan"])
@pytest.mark.parametrize("command", [["run", "seeds"], ["tail", "articles.raw"]])
def test_timeouts_must_be_above_zero(
    capsys: pytest.CaptureFixture[str], timeout: str, command: list[str]
) -> None:
    assert "--timeout" in refused(capsys, *command, "--timeout", timeout)


@pytest.mark.parametrize("port", ["0", "99999", "x"])
def test_broker_port_must_be_a_port(
    capsys: pytest.CaptureFixture[str], port: str
) -> None:
    assert "--port" in refused(capsys, "broker", "status", "--port", port)
