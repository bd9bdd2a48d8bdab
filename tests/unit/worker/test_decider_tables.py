"""The deciders' tables take their RocksDB sizes from the settings."""

from __future__ import annotations

from pathlib import Path

import faust

from pipeline.settings import Settings
from pipeline.worker.decider import window_tables

MIB = 1024 * 1024


def test_the_tables_open_rocksdb_with_the_configured_sizes(tmp_path: Path) -> None:
    # Constructing the tables reaches no broker; RocksDB opens on assignment.
    app = faust.App("sizes", broker="kafka://localhost:1", store="rocksdb://")
    app.conf.datadir = tmp_path
    settings = Settings(state_write_buffer_mb=4, state_block_cache_mb=16)
    window_tables(app, "dedupe", settings)
    for table in (app.tables["dedupe-state"], app.tables["dedupe-expiry"]):
        options = table.data.rocksdb_options  # type: ignore[attr-defined]
        assert options.write_buffer_size == 4 * MIB
        assert options.max_write_buffer_number == 2
        assert options.block_cache_size == 16 * MIB
