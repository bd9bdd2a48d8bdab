"""Fixtures for both test tiers."""

from __future__ import annotations

import json
import subprocess
import sys
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


def bbc_bench_figures(script: str, *args: str) -> dict[str, float]:
    """The JSON figures a bench script over the BBC News corpus prints last; the
    test skips when the corpus is not beside the repository."""
    if not (CORPORA / "bbc-news").is_dir():
        pytest.skip("the BBC News corpus is not beside the repository")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures
