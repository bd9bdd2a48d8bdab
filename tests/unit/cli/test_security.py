"""Secrets in settings, TLS and SASL pass-through, and the access check's messages.

Nothing here needs a broker: the certificates are made here, and the access check is
pointed at loopback sockets that refuse or never answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import faust
import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pipeline import cli
from pipeline.clients.kafka import (
    KafkaAccessError,
    aiokafka_options,
    check_access,
    check_credentials,
    describe_failure,
    faust_credentials,
    ssl_context,
)
from pipeline.settings import Settings

PASSWORD = "scram-Pw-7c1e9a40"
KEY_PASSWORD = "key-Pw-91b2d7e4"
ADDRESS = "127.0.0.1:9093"


@pytest.fixture
def certificate_factory(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    """Self-signed certificates and their keys, encrypted with `key_password`."""

    def make(*, key_password: str | None = KEY_PASSWORD) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "newsline-client")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256())
        )
        encryption = (
            serialization.BestAvailableEncryption(key_password.encode())
            if key_password
            else serialization.NoEncryption()
        )
        folder = tmp_path / f"cert-{key_password}"
        folder.mkdir()
        certfile, keyfile = folder / "client.pem", folder / "client.key"
        certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        keyfile.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                encryption,
            )
        )
        return certfile, keyfile

    return make


@pytest.fixture
def certificate(
    certificate_factory: Callable[..., tuple[Path, Path]],
) -> tuple[Path, Path]:
    return certificate_factory()


@pytest.fixture
def secure_settings_factory() -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "kafka_bootstrap_servers": ADDRESS,
            "kafka_security_protocol": "SASL_PLAINTEXT",
            "kafka_sasl_username": "ingest",
            "kafka_sasl_password": PASSWORD,
            "kafka_ssl_key_password": KEY_PASSWORD,
        }
        return Settings(**(values | overrides))  # type: ignore[arg-type]

    return make


@pytest.fixture
def secure_settings(secure_settings_factory: Callable[..., Settings]) -> Settings:
    return secure_settings_factory()


# -- secrets --------------------------------------------------------------------------


def test_secrets_are_masked_in_every_rendering(secure_settings: Settings) -> None:
    renderings = [
        repr(secure_settings),
        str(secure_settings),
        f"{secure_settings}",
        str(secure_settings.model_dump()),
        str(secure_settings.model_dump(mode="json")),
        secure_settings.model_dump_json(),
        repr(secure_settings.kafka_sasl_password),
        str(secure_settings.kafka_ssl_key_password),
    ]
    for text in renderings:
        assert PASSWORD not in text
        assert KEY_PASSWORD not in text
    assert "**********" in secure_settings.model_dump_json()


def test_secrets_reach_child_processes_unmasked(
    secure_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = secure_settings.as_environment()

    assert env["NEWSLINE_KAFKA_SASL_PASSWORD"] == PASSWORD
    assert env["NEWSLINE_KAFKA_SSL_KEY_PASSWORD"] == KEY_PASSWORD
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings() == secure_settings


def test_faust_credentials_repr_has_no_password(secure_settings: Settings) -> None:
    credentials = faust_credentials(secure_settings)

    assert isinstance(credentials, faust.SASLCredentials)
    assert PASSWORD not in repr(credentials)
    assert PASSWORD not in str(credentials)


def test_access_errors_do_not_carry_the_password(
    secure_settings: Settings,
) -> None:
    error = SaslAuthenticationFailed("invalid credentials")

    message = describe_failure(secure_settings, ADDRESS, error, 15.0)

    assert message == (
        f"authentication failed for user 'ingest' on {ADDRESS}: invalid credentials"
    )
    assert PASSWORD not in message


# -- pass-through ---------------------------------------------------------------------


def test_sasl_ssl_options_carry_credentials_and_ca(
    secure_settings_factory: Callable[..., Settings],
    certificate: tuple[Path, Path],
) -> None:
    ca, _ = certificate
    settings = secure_settings_factory(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_ssl_cafile=ca,
    )

    options = aiokafka_options(settings)
    credentials = faust_credentials(settings)

    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert options["sasl_plain_username"] == "ingest"
    assert options["sasl_plain_password"] == PASSWORD
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [
        ((("commonName", "newsline-client"),),)
    ]
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-256"
    assert (credentials.username, credentials.password) == ("ingest", PASSWORD)
    assert credentials.ssl_context is not None


def test_ssl_options_load_the_client_certificate_with_its_password(
    secure_settings_factory: Callable[..., Settings],
    certificate: tuple[Path, Path],
) -> None:
    certfile, keyfile = certificate
    settings = secure_settings_factory(
        kafka_security_protocol="SSL",
        kafka_ssl_cafile=certfile,
        kafka_ssl_certfile=certfile,
        kafka_ssl_keyfile=keyfile,
    )

    options = aiokafka_options(settings)
    credentials = faust_credentials(settings)

    assert options["security_protocol"] == "SSL"
    assert "sasl_plain_password" not in options
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert isinstance(credentials, faust.SSLCredentials)
    assert credentials.protocol.value == "SSL"
    # The key is encrypted: loading it at all proves the password was passed on.
    # Without one it fails at once, rather than OpenSSL asking on the terminal.
    wrong = settings.model_copy(update={"kafka_ssl_key_password": None})
    with pytest.raises(ssl.SSLError):
        ssl_context(wrong)


def test_unencrypted_client_key_needs_no_password(
    secure_settings_factory: Callable[..., Settings],
    certificate_factory: Callable[..., tuple[Path, Path]],
) -> None:
    certfile, keyfile = certificate_factory(key_password=None)
    settings = secure_settings_factory(
        kafka_security_protocol="SSL",
        kafka_ssl_certfile=certfile,
        kafka_ssl_keyfile=keyfile,
        kafka_ssl_key_password=None,
    )

    assert isinstance(ssl_context(settings), ssl.SSLContext)


def test_plain_protocols_get_no_tls_context(
    secure_settings_factory: Callable[..., Settings],
    certificate: tuple[Path, Path],
) -> None:
    certfile, _ = certificate
    settings = secure_settings_factory(kafka_ssl_cafile=certfile)

    assert ssl_context(settings) is None
    assert aiokafka_options(settings)["ssl_context"] is None


# -- the access check -----------------------------------------------------------------


def test_sasl_without_credentials_names_the_missing_settings(
    secure_settings_factory: Callable[..., Settings],
) -> None:
    neither = secure_settings_factory(
        kafka_sasl_username=None, kafka_sasl_password=None
    )

    with pytest.raises(KafkaAccessError) as caught:
        check_credentials(neither)

    assert str(caught.value) == (
        "NEWSLINE_KAFKA_SECURITY_PROTOCOL is SASL_PLAINTEXT but "
        "NEWSLINE_KAFKA_SASL_USERNAME and NEWSLINE_KAFKA_SASL_PASSWORD are not set"
    )
    check_credentials(neither.model_copy(update={"kafka_security_protocol": "SSL"}))


@pytest.mark.parametrize(
    ("protocol", "error", "expected"),
    [
        (
            "SASL_SSL",
            UnsupportedSaslMechanismError("enabled: ['PLAIN']"),
            f"the broker at {ADDRESS} does not offer SCRAM-SHA-512: enabled: ['PLAIN']",
        ),
        (
            "PLAINTEXT",
            KafkaConnectionError(f"Connection at {ADDRESS} closed"),
            "closed the connection before answering (NEWSLINE_KAFKA_SECURITY_PROTOCOL "
            "is PLAINTEXT): does its listener need SASL or TLS?",
        ),
        (
            "SSL",
            ConnectionResetError(),
            "does it require a client certificate (NEWSLINE_KAFKA_SSL_CERTFILE)?",
        ),
        ("SSL", ssl.SSLError(1, "WRONG_VERSION_NUMBER"), "TLS handshake with"),
        ("SSL", TimeoutError(), f"no answer from {ADDRESS} within 15 s (SSL)"),
        (
            "PLAINTEXT",
            ConnectionRefusedError(111, "Connection refused"),
            f"cannot connect to {ADDRESS}: Connection refused",
        ),
    ],
)
def test_failures_are_described_in_one_line(
    secure_settings_factory: Callable[..., Settings],
    protocol: str,
    error: BaseException,
    expected: str,
) -> None:
    settings = secure_settings_factory(kafka_security_protocol=protocol)

    message = describe_failure(settings, ADDRESS, error, 15.0)

    assert expected in message
    assert "\n" not in message


def test_untrusted_certificate_points_at_the_ca_setting(
    secure_settings: Settings,
) -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate in certificate chain"

    message = describe_failure(secure_settings, ADDRESS, error, 15.0)

    assert message == (
        f"TLS: the certificate of the broker at {ADDRESS} is not trusted (self-signed "
        "certificate in certificate chain); set NEWSLINE_KAFKA_SSL_CAFILE to the CA "
        "that signed it"
    )


def test_missing_tls_files_are_named(
    secure_settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = secure_settings_factory(
        kafka_security_protocol="SSL", kafka_ssl_cafile=tmp_path / "missing-ca.pem"
    )

    with pytest.raises(KafkaAccessError, match=r"TLS file not found: .*missing-ca"):
        asyncio.run(check_access(settings))


@pytest.fixture
def silent_listener() -> Iterator[str]:
    """A loopback port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield f"127.0.0.1:{listener.getsockname()[1]}"


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.slow
def test_access_check_gives_up_on_a_silent_broker(
    secure_settings_factory: Callable[..., Settings], silent_listener: str
) -> None:
    settings = secure_settings_factory(
        kafka_bootstrap_servers=silent_listener, kafka_security_protocol="PLAINTEXT"
    )

    with pytest.raises(KafkaAccessError, match=r"no answer from .* within 1 s"):
        asyncio.run(asyncio.wait_for(check_access(settings, timeout_s=1.0), 10.0))


def test_access_check_reports_every_unreachable_broker(
    secure_settings_factory: Callable[..., Settings],
) -> None:
    first, second = closed_port(), closed_port()
    settings = secure_settings_factory(
        kafka_bootstrap_servers=f"{first},{second}",
        kafka_security_protocol="PLAINTEXT",
    )

    with pytest.raises(KafkaAccessError) as caught:
        asyncio.run(check_access(settings))

    message = str(caught.value)
    assert f"cannot connect to {first}" in message
    assert f"cannot connect to {second}" in message


@pytest.mark.parametrize(
    "command", [["tail", "articles.raw"], ["replay", "seeds"], ["run", "seeds"]]
)
def test_cli_prints_one_line_and_exits_2_when_refused(
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    seeds_dir: Path,
) -> None:
    settings = Settings(kafka_bootstrap_servers=closed_port())
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    monkeypatch.chdir(seeds_dir.parent)

    assert cli.main(command) == 2

    err = capsys.readouterr().err
    assert err.startswith("newsline: cannot connect to 127.0.0.1:")
    assert err.count("\n") == 1
