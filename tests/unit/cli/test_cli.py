from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import build_parser, main


@pytest.mark.parametrize(
    "command", ["broker", "worker", "replay", "tail", "extract", "run"]
)
def test_every_command_has_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: newsline" in capsys.readouterr().out


@pytest.mark.slow
def test_extract_writes_one_file_per_output_topic(
    seeds_dir: Path, tmp_path: Path
) -> None:
    assert main(["extract", str(seeds_dir), "--out", str(tmp_path)]) == 0
    enriched = (tmp_path / "articles.enriched.jsonl").read_text().splitlines()
    assert len(enriched) == 5
    assert (tmp_path / "articles.deadletter.jsonl").read_text() == ""
    sources = [json.loads(line)["source"] for line in enriched]
    assert sources == sorted(p.stem for p in seeds_dir.glob("*.txt"))
    claims = (tmp_path / "claims.jsonl").read_text().splitlines()
    in_articles = {
        c["claim_id"] for a in map(json.loads, enriched) for c in a["claims"]
    }
    assert claims
    assert {json.loads(line)["claim_id"] for line in claims} == in_articles
    clusters = (tmp_path / "claims.clusters.jsonl").read_text().splitlines()
    clustered = {m["claim_id"] for c in map(json.loads, clusters) for m in c["members"]}
    assert clustered == in_articles
    assert (tmp_path / "claims.conflicts.jsonl").read_text().strip()


@pytest.mark.slow
def test_extract_dead_letters_bad_jsonl_lines(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"source": "s", "body": "Fine."}\n{"source": 1}\n', "utf-8")
    assert main(["extract", str(feed), "--out", str(tmp_path / "out")]) == 0
    dead = (tmp_path / "out" / "articles.deadletter.jsonl").read_text().splitlines()
    assert [json.loads(line)["error_type"] for line in dead] == ["invalid_record"]
    assert json.loads(dead[0])["topic"].endswith("feed.jsonl:2")


def test_missing_input_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_repeat_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "seeds", "--repeat", "0"]) == 2
    assert "--repeat" in capsys.readouterr().err
