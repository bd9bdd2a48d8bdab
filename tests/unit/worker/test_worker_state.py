"""A worker's data dir: local tables survive a clean stop, not an unclean one."""

from __future__ import annotations

from pathlib import Path

from pipeline.worker.main import claim_state, release_state


def _tables(data_dir: Path) -> Path:
    tables = data_dir / "v1" / "tables"
    (tables / "dedupe-state-0.db").mkdir(parents=True)
    (tables / "dedupe-state-0.db" / "000001.sst").write_bytes(b"rows")
    return tables


def test_tables_are_kept_after_a_clean_stop(tmp_path: Path) -> None:
    tables = _tables(tmp_path)
    assert not claim_state(tmp_path, tables)
    release_state(tmp_path)
    assert not claim_state(tmp_path, tables)
    assert (tables / "dedupe-state-0.db" / "000001.sst").exists()


def test_tables_are_rebuilt_after_a_worker_that_did_not_stop(tmp_path: Path) -> None:
    tables = _tables(tmp_path)
    claim_state(tmp_path, tables)
    # No release_state: the worker was killed.
    assert claim_state(tmp_path, tables)
    assert not tables.exists()


def test_a_first_start_has_nothing_to_discard(tmp_path: Path) -> None:
    assert not claim_state(tmp_path, tmp_path / "v1" / "tables")
