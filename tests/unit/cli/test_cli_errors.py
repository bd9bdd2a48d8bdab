"""Bad input at the command line: one line on stderr, exit status 2, no traceback.

Every case goes through the real entry point, ``pipeline.cli.main``; none needs a
broker, as each is refused before one is contacted.
"""

from __future__ import annotations

import base64
import errno
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
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
        ("NEWSLINE_WEB_PORT", "70000", "less than 65536"),
        ("NEWSLINE_EVENT_TIME__MAX_AHEAD_HOURS", "-1", "greater than or equal to 0"),
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


# -- corpus -------------------------------------------------------------------------

CORPUS_COMMANDS = [["extract", "--out", "OUT"], ["replay"], ["run"]]


def corpus_command(command: list[str], tmp_path: Path, *paths: Path) -> list[str]:
    """The command line of a corpus command over ``paths``."""
    out = str(tmp_path / "out")
    return [command[0], *map(str, paths), *(a.replace("OUT", out) for a in command[1:])]


@pytest.mark.parametrize("command", CORPUS_COMMANDS)
def test_an_empty_folder_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.pdf").write_bytes(b"%PDF")  # not a corpus file: passed over
    line = refused(capsys, *corpus_command(command, tmp_path, empty))
    assert f"no corpus files in {empty}" in line
    assert ".html.gz" in line


@pytest.mark.parametrize("command", CORPUS_COMMANDS)
def test_a_file_of_unknown_kind_given_by_name_lists_the_accepted_kinds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    paper = tmp_path / "paper.pdf"
    paper.write_bytes(b"%PDF-1.7")
    line = refused(capsys, *corpus_command(command, tmp_path, paper))
    assert str(paper) in line
    assert ".txt, .html, .htm, .html.gz, .htm.gz, .jsonl" in line


@pytest.mark.parametrize("command", CORPUS_COMMANDS)
def test_a_jsonl_corpus_without_lines_is_refused_before_any_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n\n")
    if command[0] == "extract":
        # extract reads the corpus inside the stage chain, which writes empty files.
        assert main(corpus_command(command, tmp_path, feed)) == 0
        return
    assert "no records in" in refused(capsys, *corpus_command(command, tmp_path, feed))


def _without_file_access_override() -> list[str]:
    """A prefix that runs a command as this user but bound by file permissions.

    root reads any file whatever its mode; without CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH it is refused as any other user would be.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no file root cannot read")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


@pytest.mark.slow
@pytest.mark.parametrize("command", CORPUS_COMMANDS)
def test_a_file_without_read_permission_is_named_before_any_work(
    tmp_path: Path, command: list[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Readable.")
    secret = corpus / "b.txt"
    secret.write_text("Not readable.")
    secret.chmod(0)
    prefix = _without_file_access_override()
    env = {**os.environ, "NEWSLINE_KAFKA_BOOTSTRAP_SERVERS": UNUSED_BOOTSTRAP}
    argv = corpus_command(command, tmp_path, corpus)
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "pipeline.cli", *argv],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    # The real PermissionError from the OS, reported before the broker is contacted.
    assert done.stderr == f"newsline: cannot read {secret}: Permission denied\n"
    assert not (tmp_path / "out" / "articles.enriched.jsonl").exists()


def test_a_read_error_while_extracting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Any other error the OS may give on read (EIO on a failing disk, ...) is reported
    # the same way; this fakes one at the read, the only thing it covers.
    page = tmp_path / "a.html"
    page.write_text("<p>x</p>")
    real = Path.read_bytes

    def failing(path: Path) -> bytes:
        if path == page:
            raise OSError(errno.EIO, "Input/output error")
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", failing)
    line = refused(capsys, "extract", str(page), "--out", str(tmp_path / "out"))
    assert line == f"newsline: cannot read {page}: Input/output error\n"


@pytest.mark.slow
def test_a_bad_gzip_page_is_dead_lettered_with_its_bytes_not_an_abort(
    tmp_path: Path, seeds_dir: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seed = sorted(seeds_dir.glob("*.txt"))[0]
    (corpus / seed.name).write_bytes(seed.read_bytes())
    not_gzip = b"<html><body><p>Plain HTML named .gz</p></body></html>"
    (corpus / "page.html.gz").write_bytes(not_gzip)
    truncated = gzip.compress(b"<p>cut short</p>")[:-8]
    (corpus / "short.html.gz").write_bytes(truncated)
    out = tmp_path / "out"
    assert main(["extract", str(corpus), "--out", str(out)]) == 0
    enriched = (out / "articles.enriched.jsonl").read_text().splitlines()
    assert len(enriched) == 1
    letters = [
        json.loads(line)
        for line in (out / "articles.deadletter.jsonl").read_text().splitlines()
    ]
    by_file = {Path(letter["topic"]).name: letter for letter in letters}
    assert set(by_file) == {"page.html.gz", "short.html.gz"}
    for name, original in (("page.html.gz", not_gzip), ("short.html.gz", truncated)):
        letter = by_file[name]
        assert base64.b64decode(letter["original_base64"]) == original
        assert letter["error_type"] in {"invalid_json", "invalid_utf8"}
        assert letter["reason"]


# -- --out ----------------------------------------------------------------------------


def test_out_that_is_a_file_is_refused_before_any_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seeds_dir: Path
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    line = refused(capsys, "extract", str(seeds_dir), "--out", str(taken))
    assert f"--out {taken} is a file" in line
    assert taken.read_text() == "keep me"


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_out_that_cannot_be_written_is_refused_before_any_work(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    seeds_dir: Path,
    where: str,
) -> None:
    # Two folders that root cannot make either: one inside a file, one in /proc.
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "out" if where == "under-a-file" else Path("/proc/nl")
    line = refused(capsys, "extract", str(seeds_dir), "--out", str(out))
    assert f"cannot write to --out {out}" in line


# -- broker addresses and topic names ---------------------------------------------

KAFKA_COMMANDS = [["tail", "articles.raw"], ["replay", "seeds"], ["run", "seeds"]]


@pytest.mark.parametrize("servers", ["::::", "host:notaport", "host:99999", "host"])
@pytest.mark.parametrize("command", [*KAFKA_COMMANDS, ["worker"]])
def test_a_bootstrap_server_that_is_not_host_port_names_the_setting(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    servers: str,
    command: list[str],
) -> None:
    monkeypatch.setenv("NEWSLINE_KAFKA_BOOTSTRAP_SERVERS", servers)
    line = refused(capsys, *command)
    assert f"NEWSLINE_KAFKA_BOOTSTRAP_SERVERS: {servers!r} is not host:port" in line


@pytest.mark.parametrize("topic", ["bad topic/name!", ".", "..", "x" * 250])
def test_tail_refuses_an_invalid_topic_name_at_once(
    capsys: pytest.CaptureFixture[str], topic: str
) -> None:
    started = time.monotonic()
    line = refused(capsys, "tail", topic, "--timeout", "30")
    assert "is not a valid topic name" in line
    assert "1 to 249" in line
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("command", [*KAFKA_COMMANDS, ["worker"]])
def test_a_prefix_that_makes_invalid_topic_names_is_refused_at_once(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    monkeypatch.setenv("NEWSLINE_TOPIC_PREFIX", "bad prefix/")
    line = refused(capsys, *command)
    assert "NEWSLINE_TOPIC_PREFIX='bad prefix/' makes invalid topic names" in line
