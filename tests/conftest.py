"""Fixtures for both test tiers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
CORPORA = ROOT.parent / "shared" / "corpora"


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def corpora_dir() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"evaluation corpora not found at {CORPORA}")
    return CORPORA
