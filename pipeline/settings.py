"""The one settings object. Only this module reads the environment.

Every setting has an environment twin with the prefix ``NEWSLINE_``; nested groups use
``__`` (``NEWSLINE_INGEST__MAX_BODY_BYTES``). Connection settings are flat because
deployments know them by these names (``NEWSLINE_KAFKA_BOOTSTRAP_SERVERS``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
Compression = Literal["none", "gzip", "lz4", "zstd"]


class IngestLimits(BaseModel):
    """Caps that keep one hostile article from hurting the worker (safe defaults)."""

    model_config = ConfigDict(frozen=True)

    max_body_bytes: int = Field(
        default=5_000_000, gt=0, description="Largest accepted record value, in bytes."
    )
    max_sentences: int = Field(
        default=2_000,
        gt=0,
        description="Sentences kept per article; the rest are dropped.",
    )
    max_sentence_chars: int = Field(
        default=2_000, gt=0, description="A longer run without punctuation is cut here."
    )
    max_seconds_per_article: float = Field(
        default=20.0,
        gt=0,
        description=(
            "Longest time a stage (ingest, fingerprint, claims) may spend on one"
            " article; past it the article dead-letters as a timeout."
        ),
    )


class EventTimeSettings(BaseModel):
    """Which publication times the event-time windows (dedupe, corroborate) trust.

    An article's publication time places it in the windows, and the latest one seen
    is where they end: one mistyped or hostile date would otherwise expire, or keep,
    everything. A time outside these bounds is taken as unknown, the article is
    placed at the window's end without moving it, and it carries a note saying so.
    """

    model_config = ConfigDict(frozen=True)

    earliest: datetime = Field(
        default=datetime(1990, 1, 1, tzinfo=UTC),
        description="Publication times before this are implausible.",
    )
    max_ahead_hours: float = Field(
        default=24.0,
        ge=0,
        description=(
            "Publication times further than this past the wall clock are implausible"
            " (time zones differ by at most 14 hours)."
        ),
    )


class DedupeSettings(BaseModel):
    """Duplicate detection: MinHash-LSH over word shingles, and repeated sentences."""

    model_config = ConfigDict(frozen=True)

    threshold: float = Field(
        default=0.8,
        gt=0.0,
        le=1.0,
        description="Jaccard similarity of a near-duplicate.",
    )
    shingle_words: int = Field(default=5, gt=0, description="Words per shingle.")
    bands: int = Field(default=20, gt=0, description="LSH bands.")
    rows: int = Field(default=6, gt=0, description="Signature rows per LSH band.")
    bucket_holders: int = Field(
        default=8, gt=0, description="Earliest articles remembered per LSH bucket."
    )
    min_sentence_words: int = Field(
        default=6, gt=0, description="Shorter sentences are never reported as repeats."
    )
    window_hours: float = Field(
        default=72.0,
        gt=0,
        description="State older than this (publication time) expires.",
    )

    @property
    def num_perm(self) -> int:
        """MinHash permutations: one per signature row of every band."""
        return self.bands * self.rows


class ClaimsSettings(BaseModel):
    """The claims stage."""

    model_config = ConfigDict(frozen=True)

    memory_articles: int = Field(
        default=512,
        ge=0,
        description=(
            "Recent articles whose claims an exact copy reuses instead of being"
            " parsed again (per worker); 0 parses every article."
        ),
    )


class CorroborateSettings(BaseModel):
    """Grouping claims about the same fact, and comparing their figures."""

    model_config = ConfigDict(frozen=True)

    threshold: float = Field(
        default=0.40,
        gt=0.0,
        le=1.0,
        description="Similarity at which a claim joins a cluster.",
    )
    window_hours: float = Field(
        default=72.0,
        gt=0,
        description="State older than this (publication time) expires.",
    )
    max_candidates: int = Field(
        default=20,
        gt=0,
        description="Clusters scored per claim, most shared terms first.",
    )
    max_postings: int = Field(
        default=64,
        gt=0,
        description="Latest clusters remembered per index term; older ones drop out.",
    )
    max_profiles: int = Field(
        default=32,
        gt=0,
        description="Member texts per cluster that a new claim is compared with.",
    )
    # Real stories stay far below it (at most 5 peers on the seeds, 4 on BBC
    # business news); it bounds the work when many figures of one kind pile up.
    max_peers: int = Field(
        default=8,
        gt=0,
        description="Earlier distinct figures a new figure is compared with.",
    )
    max_members: int = Field(
        default=32,
        ge=2,
        description=(
            "Members a cluster's record lists and publishes: the founding one and the"
            " latest. Member and source counts stay exact."
        ),
    )
    story_min_shared: int = Field(
        default=2,
        ge=1,
        description=(
            "Claim clusters two articles must share to be one story (one of them"
            " stated in both leads)."
        ),
    )
    story_hours: float = Field(
        default=48.0,
        gt=0,
        description=(
            "Articles published further apart than this are never one story (when"
            " both give a publication time)."
        ),
    )
    max_claims_per_article: int = Field(
        default=300,
        gt=0,
        description=(
            "Claims of one article grouped and compared; the rest are published"
            " without a cluster, and the article says so in a note."
        ),
    )
    approx_tolerance: float = Field(
        default=0.12,
        ge=0.0,
        lt=1.0,
        description="How far an 'about' figure stretches either way.",
    )


class ServeSettings(BaseModel):
    """``newsline serve``: the store of the output topics, the page and the API."""

    model_config = ConfigDict(frozen=True)

    host: str = Field(
        default="127.0.0.1",
        description="Address the page and the API listen on; 0.0.0.0 for every one.",
    )
    port: int = Field(default=8000, gt=0, lt=65536, description="Their TCP port.")
    db: Path = Field(
        default=Path("var/serve.sqlite3"),
        description="The SQLite store (one file, WAL); deleted, it is rebuilt.",
    )
    token: SecretStr | None = Field(
        default=None,
        description=(
            "When set, the page and the API ask for it (Authorization: Bearer, or"
            " ?token= once in a browser); /healthz never does."
        ),
    )
    group_id: str | None = Field(
        default=None,
        description=(
            "Consumer group its offsets are also committed to, for lag monitoring;"
            " default '<app_id>.serve'. It resumes from the store's own offsets."
        ),
    )
    batch_records: int = Field(
        default=500, gt=0, description="Records stored per transaction, at most."
    )
    page_size: int = Field(
        default=50, gt=0, description="Items per API page when no limit is given."
    )
    max_page_size: int = Field(
        default=500, gt=0, description="Largest limit an API request may ask for."
    )
    refresh_s: float = Field(
        default=2.0,
        gt=0,
        description="How often an open page checks the store for new records.",
    )


class LocalBrokerSettings(BaseModel):
    """The local Apache Kafka that ``newsline broker start`` runs (KRaft mode): one
    node by default, or a cluster of `nodes` combined broker-controller nodes."""

    model_config = ConfigDict(frozen=True)

    data_dir: Path = Field(
        default=Path("var/broker"),
        description="Kafka logs, config, pid and broker.log.",
    )
    port: int = Field(default=9092, gt=0, lt=65536, description="Client listener port.")
    controller_port: int | None = Field(
        default=None,
        gt=0,
        lt=65536,
        description="KRaft controller port; default port + 1.",
    )
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "newsline" / "kafka",
        description="Where the Maven-resolved Kafka jars are kept between runs.",
    )
    heap: str = Field(default="512m", description="Java heap (-Xmx) of the broker.")
    start_timeout_s: float = Field(default=90.0, gt=0)
    nodes: int = Field(
        default=1,
        ge=1,
        le=9,
        description=(
            "Nodes of the local cluster, each a broker and a KRaft controller, on "
            "the ports after `port` two by two (3: a cluster that survives one "
            "node down); kept in the data dir when first started."
        ),
    )


class Settings(BaseSettings):
    """newsline configuration; see README "Settings" for every name."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSLINE_",
        env_nested_delimiter="__",
        frozen=True,
        extra="ignore",
    )

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="host:port[,host:port...] of the brokers."
    )
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = Field(
        default=None,
        description="CA bundle (PEM) that signed the brokers' certificates.",
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None,
        description="Client certificate (PEM), for brokers that require mutual TLS.",
    )
    kafka_ssl_keyfile: Path | None = Field(
        default=None,
        description="Client private key (PEM); default: inside the certfile.",
    )
    kafka_ssl_key_password: SecretStr | None = Field(
        default=None, description="Password of an encrypted client private key."
    )

    app_id: str = Field(
        default="newsline", description="Faust app id: consumer group and state prefix."
    )
    topic_prefix: str = Field(
        default="", description="Prepended to every topic name, e.g. 'staging.'."
    )
    topic_partitions: int = Field(default=4, gt=0)
    topic_replication_factor: int | None = Field(
        default=None,
        gt=0,
        description=(
            "Copies of each partition of the topics newsline creates; unset: 3 when "
            "three or more brokers are up, else 1."
        ),
    )
    topic_min_insync_replicas: int | None = Field(
        default=None,
        gt=0,
        description=(
            "Copies a write must reach before it counts (acks=all); unset: 2 with "
            "three or more replicas, else 1."
        ),
    )
    data_dir: Path = Field(
        default=Path("var/newsline"), description="Worker state (RocksDB tables)."
    )
    web_port: int = Field(
        default=6066, gt=0, lt=65536, description="Worker's faust web port."
    )
    process_workers: int = Field(
        default=0,
        ge=0,
        description="CPU worker processes for extraction; 0 = one per core.",
    )
    state_cache_keys: int = Field(
        default=4096,
        ge=0,
        description="Values of each decider's state table kept decoded in memory.",
    )
    state_write_buffer_mb: int = Field(
        default=8,
        gt=0,
        description="RocksDB write buffer of each decider table, in MiB (two kept).",
    )
    state_block_cache_mb: int = Field(
        default=32,
        gt=0,
        description="RocksDB block cache of each decider table, in MiB.",
    )
    pool_chunk_items: int = Field(
        default=4,
        gt=0,
        description="Articles a pool process takes at a time: the longest another"
        " stage's urgent work waits for.",
    )
    batch_size: int = Field(
        default=32, gt=0, description="Records per processing batch."
    )
    batch_within_s: float = Field(
        default=0.2, gt=0, description="Longest wait to fill a batch, in seconds."
    )
    # Measured with bench/throughput.py: against faust's defaults (no wait, 16 KB
    # batches, smaller than one article record) the broker spent half the CPU per
    # article and the worker's event loop a sixth less.
    producer_linger_ms: float = Field(
        default=10.0,
        ge=0,
        description="How long a worker's producer waits to fill a batch, in ms.",
    )
    producer_batch_bytes: int = Field(
        default=1024**2,
        gt=0,
        description="Largest batch of records per partition a worker's producer sends.",
    )
    # zstd: a third of the bytes on the broker, no CPU cost the benches can see
    # (bench/compression.py).
    producer_compression: Compression = Field(
        default="zstd",
        description="Compression of the batches a worker's producer sends.",
    )
    # A killed worker keeps its partitions until the group coordinator has not heard
    # from it for this long; its replacement waits that long before it consumes.
    # Heartbeats come from the consumer's own thread, so a busy event loop does not
    # miss them.
    kafka_session_timeout_s: float = Field(
        default=60.0,
        ge=6.0,
        le=300.0,
        description="Seconds without a heartbeat before a worker's partitions move.",
    )
    ingest: IngestLimits = IngestLimits()
    event_time: EventTimeSettings = EventTimeSettings()
    dedupe: DedupeSettings = DedupeSettings()
    claims: ClaimsSettings = ClaimsSettings()
    corroborate: CorroborateSettings = CorroborateSettings()
    broker: LocalBrokerSettings = LocalBrokerSettings()
    serve: ServeSettings = ServeSettings()

    def as_environment(self) -> dict[str, str]:
        """The NEWSLINE_ variables that give a child process these same settings."""
        env: dict[str, str] = {}
        for name, value in self.model_dump(mode="json").items():
            if isinstance(value, dict):
                for field, inner in value.items():
                    _put(env, f"NEWSLINE_{name}__{field}", inner)
            else:
                _put(env, f"NEWSLINE_{name}", value)
        for name, value in self:  # secrets were dumped masked above
            if isinstance(value, SecretStr):
                env[f"NEWSLINE_{name.upper()}"] = value.get_secret_value()
            elif isinstance(value, BaseModel):
                for field, inner in value:
                    if isinstance(inner, SecretStr):
                        env[f"NEWSLINE_{name}__{field}".upper()] = (
                            inner.get_secret_value()
                        )
        return env

    def topic(self, name: str) -> str:
        """The full name of a pipeline topic, with the deployment's prefix."""
        return f"{self.topic_prefix}{name}"


def _put(env: dict[str, str], name: str, value: object) -> None:
    if value is not None:
        env[name.upper()] = str(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
