"""What serve counts and says: refused records, files, a port in use."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from pipeline.serve.app import create_app
from pipeline.serve.feed import FeedMetrics, load_files
from pipeline.serve.main import ServeError, check_port
from pipeline.serve.store import Store
from pipeline.settings import ServeSettings, Settings
from schemas import Claim


def test_refused_records_are_counted_and_shown_on_metrics(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = Claim(claim_id="c1", article_id="a1", sentence_index=0, text="It rained.")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "claims.jsonl").write_text(
        f'{good.model_dump_json()}\nnot json\n{{"schema_version": 7}}\n'
    )
    registry = CollectorRegistry()
    store = Store(tmp_path / "s.db")
    assert load_files(store, tmp_path / "out", FeedMetrics.on(registry)) == 3
    labels = {"topic": "claims", "reason": "malformed"}
    assert (
        registry.get_sample_value("newsline_serve_rejected_records_total", labels) == 1
    )
    future = {"topic": "claims", "reason": "future_schema"}
    assert (
        registry.get_sample_value("newsline_serve_rejected_records_total", future) == 1
    )
    assert "claims[None]@1 (malformed)" in caplog.text
    settings = Settings(serve=ServeSettings(db=tmp_path / "s.db"))
    with TestClient(create_app(settings, registry)) as client:
        metrics = client.get("/metrics").text
        assert 'newsline_serve_records_total{topic="claims"} 3.0' in metrics
        assert client.get("/api/claims").json()["total"] == 1


def test_a_port_in_use_is_refused_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServeError, match=f"127.0.0.1:{port}: it is in use"):
            check_port("127.0.0.1", port)
