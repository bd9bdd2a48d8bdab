"""SASL/SCRAM and TLS against a real Apache Kafka that this module starts itself.

One broker, on free ports in a tmp dir, serves every secured listener: SASL_PLAINTEXT
with a SCRAM-SHA-512 user, SSL that requires a client certificate (mutual TLS), and
SASL_SSL; its certificates come from a throwaway CA made here. The worker, replay and
tail run as the ``newsline`` command, configured only by NEWSLINE_ variables. With the
right credentials they carry an article end to end; without them they stop within
seconds with one line that names the cause; and no secret reaches their output.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bench.measure import free_port
from pipeline.cli.supervise import WorkerProcess
from pipeline.devbroker import BrokerInfo, BrokerTls, start_broker, stop_broker
from pipeline.settings import Settings
from schemas import EnrichedArticle
from tests.integration.test_broker_launcher import free_port_run

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

HOST = "127.0.0.1"
USER = "newsline-ingest"
# Distinctive, so that finding one in any output cannot be a coincidence.
PASSWORD = "scram-Pw-7c1e9a40"
WRONG_PASSWORD = "wrong-Pw-55d0b3e1"
STORE_PASSWORD = "store-Pw-3f0a6c12"
KEY_PASSWORD = "key-Pw-91b2d7e4"
SECRETS = (PASSWORD, WRONG_PASSWORD, STORE_PASSWORD, KEY_PASSWORD)
# A refused client must be done well within this, not wait for a retry loop.
REFUSAL_S = 30.0
WORKER_TIMEOUT_S = 150.0


@dataclass(frozen=True)
class Pki:
    """A CA, the broker's PKCS12 keystore, and a client certificate it signed."""

    ca: Path
    broker_keystore: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    *extensions: x509.ExtensionType,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), True)
    )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(folder: Path) -> Pki:
    """Certificates for 127.0.0.1, valid for a day, written into `folder`."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("newsline test CA", ca_key, None, ca_key)
    broker_key = ec.generate_private_key(ec.SECP256R1())
    broker = _issue(
        "localhost",
        broker_key,
        ca,
        ca_key,
        x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
        ),
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue(
        "newsline-client",
        client_key,
        ca,
        ca_key,
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
    )
    pem = serialization.Encoding.PEM
    pki = Pki(
        ca=folder / "ca.pem",
        broker_keystore=folder / "broker.p12",
        client_cert=folder / "client.pem",
        client_key=folder / "client.key",
    )
    pki.ca.write_bytes(ca.public_bytes(pem))
    pki.broker_keystore.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"broker",
            broker_key,
            broker,
            [ca],
            serialization.BestAvailableEncryption(STORE_PASSWORD.encode()),
        )
    )
    pki.client_cert.write_bytes(client.public_bytes(pem))
    pki.client_key.write_bytes(
        client_key.private_bytes(
            pem,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
        )
    )
    return pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def secure_broker(
    tmp_path_factory: pytest.TempPathFactory, pki: Pki
) -> Iterator[BrokerInfo]:
    """A broker with SCRAM and TLS listeners; stopped after the module."""
    if shutil.which("java") is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("java is not on PATH; CI must run the local broker")
        pytest.skip("java is not on PATH")
    # From the environment's settings, so NEWSLINE_BROKER__CACHE_DIR and heap apply.
    config = Settings().broker.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("secure-broker"),
            # client, controller, SASL_PLAINTEXT, SSL, SASL_SSL
            "port": free_port_run(5),
            "controller_port": None,
            "start_timeout_s": 90.0,
        }
    )
    tls = BrokerTls(
        keystore=pki.broker_keystore,
        keystore_password=STORE_PASSWORD,
        truststore=pki.ca,
    )
    info = start_broker(config, scram_users={USER: PASSWORD}, tls=tls)
    try:
        yield info
    finally:
        stop_broker(config)


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets reaches its children: no NEWSLINE_ from the shell."""
    for name in list(os.environ):
        if name.startswith("NEWSLINE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def secure_settings_factory(
    secure_broker: BrokerInfo, pki: Pki, tmp_path: Path
) -> Callable[..., Settings]:
    """Settings for one listener, with its credentials; overrides replace them."""
    listeners = {
        "PLAINTEXT": secure_broker.sasl_bootstrap,  # a client that skips SASL
        "SASL_PLAINTEXT": secure_broker.sasl_bootstrap,
        "SSL": secure_broker.ssl_bootstrap,
        "SASL_SSL": secure_broker.sasl_ssl_bootstrap,
    }
    sasl = {"kafka_sasl_username": USER, "kafka_sasl_password": PASSWORD}
    tls = {
        "kafka_ssl_cafile": pki.ca,
        "kafka_ssl_certfile": pki.client_cert,
        "kafka_ssl_keyfile": pki.client_key,
        "kafka_ssl_key_password": KEY_PASSWORD,
    }
    credentials = {
        "PLAINTEXT": {},
        "SASL_PLAINTEXT": sasl,
        "SSL": tls,
        "SASL_SSL": sasl | {"kafka_ssl_cafile": pki.ca},
    }

    def make(protocol: str, **overrides: object) -> Settings:
        run = uuid.uuid4().hex[:10]
        values: dict[str, object] = {
            "kafka_bootstrap_servers": listeners[protocol],
            "kafka_security_protocol": protocol,
            **credentials[protocol],
            "topic_prefix": f"sec-{run}.",
            "app_id": f"newsline-sec-{run}",
            "data_dir": tmp_path / f"state-{run}",
            "web_port": free_port(),
            "process_workers": 1,
            "batch_within_s": 0.05,
        }
        return Settings(**(values | overrides))  # type: ignore[arg-type]

    return make


@pytest.fixture
def seed_file(seeds_dir: Path) -> Path:
    return sorted(seeds_dir.glob("*.txt"))[0]


def newsline(
    settings: Settings, *args: str, timeout: float = WORKER_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """Run the command with exactly these settings in its environment."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env={**os.environ, **settings.as_environment()},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, f"secret(s) {leaked} in output:\n{text[-2000:]}"


def replay_and_tail(settings: Settings, seed: Path, worker: WorkerProcess) -> str:
    """Replay `seed`, tail articles.enriched until it comes out; all the output."""
    sent = newsline(settings, "replay", str(seed))
    assert sent.returncode == 0, sent.stderr
    assert "sent 1 articles" in sent.stderr
    tailed = newsline(
        settings,
        "tail",
        "articles.enriched",
        "--from-beginning",
        "--limit",
        "1",
        "--timeout",
        str(WORKER_TIMEOUT_S),
    )
    assert tailed.returncode == 0, tailed.stderr + worker.log_tail()
    (line,) = tailed.stdout.splitlines()
    article = EnrichedArticle.model_validate_json(line)
    assert article.source == seed.stem
    assert article.sentences
    return sent.stdout + sent.stderr + tailed.stdout + tailed.stderr


def stopped_log(worker: WorkerProcess) -> str:
    """The worker's whole log, after a clean stop."""
    assert worker.alive(), worker.log_tail()
    worker.stop()
    return worker.log_path.read_text(encoding="utf-8", errors="replace")


def test_scram_worker_replay_and_tail_process_an_article(
    secure_settings_factory: Callable[..., Settings],
    worker_factory: Callable[[Settings], WorkerProcess],
    seed_file: Path,
) -> None:
    settings = secure_settings_factory("SASL_PLAINTEXT")
    worker = worker_factory(settings)

    output = replay_and_tail(settings, seed_file, worker)

    log = stopped_log(worker)
    # aiokafka logs each SCRAM login of the worker's clients at INFO.
    assert f"Authenticated as {USER} via SCRAM-SHA-512" in log
    assert_no_secret(output, log)


def test_mutual_tls_worker_replay_and_tail_process_an_article(
    secure_settings_factory: Callable[..., Settings],
    worker_factory: Callable[[Settings], WorkerProcess],
    seed_file: Path,
) -> None:
    settings = secure_settings_factory("SSL")
    worker = worker_factory(settings)

    output = replay_and_tail(settings, seed_file, worker)

    assert_no_secret(output, stopped_log(worker))


def test_scram_over_tls_replays_and_tails(
    secure_settings_factory: Callable[..., Settings], seed_file: Path
) -> None:
    settings = secure_settings_factory("SASL_SSL")

    sent = newsline(settings, "replay", str(seed_file))
    tailed = newsline(
        settings, "tail", "articles.raw", "--from-beginning", "--limit", "1"
    )

    assert sent.returncode == 0, sent.stderr
    assert tailed.returncode == 0, tailed.stderr
    assert f'"source": "{seed_file.stem}"' in tailed.stdout
    assert_no_secret(sent.stdout, sent.stderr, tailed.stdout, tailed.stderr)


REFUSALS = {
    "wrong password": (
        "SASL_PLAINTEXT",
        {"kafka_sasl_password": WRONG_PASSWORD},
        f"authentication failed for user '{USER}' on 127.0.0.1:",
    ),
    "no SASL at all": ("PLAINTEXT", {}, "closed the connection before answering"),
    "no password": (
        "SASL_PLAINTEXT",
        {"kafka_sasl_password": None},
        "NEWSLINE_KAFKA_SASL_PASSWORD is not set",
    ),
    "TLS without the CA": (
        "SSL",
        {"kafka_ssl_cafile": None},
        "is not trusted (self-signed certificate in certificate chain)",
    ),
    "TLS without a client certificate": (
        "SSL",
        {"kafka_ssl_certfile": None, "kafka_ssl_keyfile": None},
        "does it require a client certificate",
    ),
    "wrong key password": (
        "SSL",
        {"kafka_ssl_key_password": WRONG_PASSWORD},
        "cannot load the TLS files",
    ),
    "SCRAM over TLS without the CA": (
        "SASL_SSL",
        {"kafka_ssl_cafile": None},
        "is not trusted",
    ),
}


@pytest.mark.parametrize("command", ["replay", "tail"])
@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_clients_exit_with_one_clear_line(
    secure_settings_factory: Callable[..., Settings],
    seed_file: Path,
    command: str,
    case: str,
) -> None:
    protocol, overrides, expected = REFUSALS[case]
    settings = secure_settings_factory(protocol, **overrides)
    args = [str(seed_file)] if command == "replay" else ["articles.raw"]

    began = time.monotonic()
    done = newsline(settings, command, *args, timeout=REFUSAL_S)

    assert time.monotonic() - began < REFUSAL_S
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("newsline: ")
    assert expected in line
    assert_no_secret(done.stderr)


def test_worker_with_a_wrong_password_exits_with_one_clear_line(
    secure_settings_factory: Callable[..., Settings],
    worker_factory: Callable[[Settings], WorkerProcess],
) -> None:
    settings = secure_settings_factory(
        "SASL_PLAINTEXT", kafka_sasl_password=WRONG_PASSWORD
    )

    worker = worker_factory(settings)

    assert worker.process is not None
    assert worker.process.wait(timeout=REFUSAL_S) == 2
    log = worker.log_path.read_text()
    assert log.splitlines() == [
        f"newsline: authentication failed for user '{USER}' on "
        f"{settings.kafka_bootstrap_servers}: Authentication failed during "
        "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"
    ]
    assert_no_secret(log)
