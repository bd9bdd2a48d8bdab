"""``newsline broker status`` says what answers on the port asked about, and whether
it is the data dir's broker, wherever it is run from.

A real broker answers (the integration one); the data dir's broker is a process that
looks like one to the pid file check (its command line), advertising the real
broker's address, so that the two facts can be made to agree or not.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.measure import free_port
from pipeline.cli import main
from pipeline.settings import get_settings


@pytest.fixture
def answering_port(kafka_bootstrap: str) -> int:
    host, _, port = kafka_bootstrap.split(",", maxsplit=1)[0].rpartition(":")
    if host not in ("127.0.0.1", "localhost"):
        pytest.skip("broker status probes 127.0.0.1; this broker is elsewhere")
    return int(port)


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("NEWSLINE_BROKER__PORT", raising=False)
    monkeypatch.delenv("NEWSLINE_BROKER__DATA_DIR", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def data_dir_broker(tmp_path: Path, answering_port: int) -> Iterator[tuple[Path, int]]:
    """A data dir whose pid file names a live 'broker' serving the real address."""
    data_dir = tmp_path / "broker"
    data_dir.mkdir()
    properties = data_dir / "server.properties"
    properties.write_text(
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{answering_port}\n"
    )
    sleep = [sys.executable, "-c", "import time; time.sleep(120)"]
    process = subprocess.Popen([*sleep, "kafka.Kafka", str(properties)])
    (data_dir / "broker.pid").write_text(f"{process.pid}\n")
    try:
        yield data_dir, process.pid
    finally:
        process.kill()
        process.wait()


def status(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["broker", "status", *argv])
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1, out
    return code, out.strip()


def test_status_from_another_folder_says_a_broker_answers_that_is_not_its_own(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    answering_port: int,
) -> None:
    monkeypatch.chdir(tmp_path)  # the default data dir, var/broker, is relative
    code, line = status(capsys, "--port", str(answering_port))
    assert code == 0
    assert line == (
        f"a broker answers on 127.0.0.1:{answering_port} (not started from "
        f"{tmp_path / 'var' / 'broker'}; give --data-dir to manage it)"
    )


def test_status_reports_the_port_asked_for(
    capsys: pytest.CaptureFixture[str], data_dir_broker: tuple[Path, int]
) -> None:
    data_dir, pid = data_dir_broker
    asked = free_port()
    code, line = status(capsys, "--data-dir", str(data_dir), "--port", str(asked))
    assert code == 1
    assert line.startswith(f"not running: nothing answers on 127.0.0.1:{asked};")
    assert f"the broker of {data_dir} (pid {pid}) runs on 127.0.0.1:" in line


def test_status_of_the_data_dirs_broker_on_its_port(
    capsys: pytest.CaptureFixture[str],
    data_dir_broker: tuple[Path, int],
    answering_port: int,
) -> None:
    data_dir, pid = data_dir_broker
    code, line = status(capsys, "--data-dir", str(data_dir))
    assert code == 0
    assert line == f"running: 127.0.0.1:{answering_port} (pid {pid}, data {data_dir})"
