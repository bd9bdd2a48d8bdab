from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.clients.kafka import aiokafka_options, faust_credentials
from pipeline.flow import TIME_CAP_SETTING
from pipeline.settings import IngestLimits, Settings


def test_defaults_point_at_the_local_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSLINE_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    settings = Settings()
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert faust_credentials(settings) is None


def test_environment_twins_and_nested_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLINE_KAFKA_BOOTSTRAP_SERVERS", "k1:9093,k2:9093")
    monkeypatch.setenv("NEWSLINE_TOPIC_PARTITIONS", "12")
    monkeypatch.setenv("NEWSLINE_DATA_DIR", "/srv/newsline")
    monkeypatch.setenv("NEWSLINE_INGEST__MAX_BODY_BYTES", "1234")
    monkeypatch.setenv("NEWSLINE_BROKER__PORT", "19092")
    settings = Settings()
    assert aiokafka_options(settings)["bootstrap_servers"] == ["k1:9093", "k2:9093"]
    assert settings.topic_partitions == 12
    assert settings.data_dir == Path("/srv/newsline")
    assert settings.ingest.max_body_bytes == 1234
    assert settings.broker.port == 19092


def test_sasl_password_is_secret_and_passed_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSLINE_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("NEWSLINE_KAFKA_SASL_USERNAME", "ingest")
    monkeypatch.setenv("NEWSLINE_KAFKA_SASL_PASSWORD", "hunter2")
    settings = Settings()
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())
    options = aiokafka_options(settings)
    assert options["sasl_plain_username"] == "ingest"
    assert options["sasl_plain_password"] == "hunter2"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    credentials = faust_credentials(settings)
    assert credentials is not None
    assert credentials.password == "hunter2"


def test_tls_uses_the_ca_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLINE_KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("NEWSLINE_KAFKA_SSL_CAFILE", str(tmp_path / "missing.pem"))
    with pytest.raises(FileNotFoundError):
        aiokafka_options(Settings())  # the CA file is really read


def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLINE_KAFKA_SECURITY_PROTOCOL", "SASL_WHATEVER")
    with pytest.raises(ValueError, match="kafka_security_protocol"):
        Settings()


def test_topic_prefix() -> None:
    assert (
        Settings(topic_prefix="staging.").topic("articles.raw")
        == "staging.articles.raw"
    )


def test_as_environment_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(
        kafka_sasl_password="s3cret",  # type: ignore[arg-type]
        topic_prefix="x.",
        data_dir=Path("/tmp/state"),
    )
    for name, value in settings.as_environment().items():
        monkeypatch.setenv(name, value)
    assert Settings() == settings


def test_the_time_cap_per_article_has_a_safe_default_and_its_env_twin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().ingest.max_seconds_per_article == 20.0
    # The timeout dead letter's reason names this variable: it must be the real one.
    monkeypatch.setenv(TIME_CAP_SETTING, "2.5")
    settings = Settings()
    assert settings.ingest.max_seconds_per_article == 2.5
    assert settings.as_environment()[TIME_CAP_SETTING] == "2.5"
    with pytest.raises(ValidationError):
        IngestLimits(max_seconds_per_article=0)
