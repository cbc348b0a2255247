"""Settings of every ``qndti`` process: environment variables with the prefix ``QNDTI_``, validated at start."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self

from psycopg import ProgrammingError
from psycopg.conninfo import conninfo_to_dict
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index_engine.catalog import CATALOG_ROOT, DEFAULT_VERSION, Catalog, load_catalog
from qndti.stack import LocalStack
from streams.sink import SinkMode
from streams.timescale import Policies
from streams.topics import Topics

PREFIX = "QNDTI_"
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
MIN_PASSWORD_LENGTH = 12
DEFAULT_PASSWORDS = frozenset({"change-me", "changeme", "password", "postgres", "secret", "admin", "qndti"})
"""Passwords of examples and images: refused whatever their length."""


class UnknownSettingError(ValueError):
    """A ``QNDTI_`` variable of the environment names no setting (a typo or a renamed setting)."""


def known_variables() -> list[str]:
    """Every environment variable a setting reads, e.g. ``QNDTI_KAFKA_BOOTSTRAP``."""
    return sorted(PREFIX + name.upper() for name in Settings.model_fields)


def unknown_variables(environ: Mapping[str, str]) -> dict[str, str | None]:
    """Each ``QNDTI_`` variable of ``environ`` that is no setting, with the closest known name (or None)."""
    known = known_variables()
    unknown = sorted(n.upper() for n in environ if n.upper().startswith(PREFIX) and n.upper() not in known)
    # Compared without the prefix, which every name shares and which would make any two names look alike.
    suffixes = [k.removeprefix(PREFIX) for k in known]

    def closest(name: str) -> str | None:
        matches = difflib.get_close_matches(name.removeprefix(PREFIX), suffixes, n=1, cutoff=0.6)
        return PREFIX + matches[0] if matches else None

    return {name: closest(name) for name in unknown}


def check_environment(environ: Mapping[str, str]) -> None:
    """Raise :class:`UnknownSettingError` naming every unknown ``QNDTI_`` variable and the closest known one."""
    unknown = unknown_variables(environ)
    if unknown:
        lines = [
            f"{name} không phải là thiết lập / is not a setting"
            + (f" (có phải {close}? / did you mean {close}?)" if close else "")
            for name, close in unknown.items()
        ]
        raise UnknownSettingError("; ".join(lines))


def weak_password(password: str) -> str | None:
    """Why ``password`` is too weak for a deployment (Vietnamese / English), or None if it is not."""
    if not password:
        return "mật khẩu trống / the password is empty"
    if password.strip().lower() in DEFAULT_PASSWORDS:
        return "mật khẩu mặc định của ví dụ / the password is an example's default"
    if len(password) < MIN_PASSWORD_LENGTH:
        n = MIN_PASSWORD_LENGTH
        return f"mật khẩu ngắn hơn {n} ký tự / the password is shorter than {n} characters"
    return None


def database_password(url: str) -> str | None:
    """The password a PostgreSQL URL or key=value string carries ('' for ``user:@host``), None if it has none.

    Raises:
        ValueError: ``url`` is no libpq connection string (the message does not repeat it).
    """
    try:
        params = conninfo_to_dict(url)
    except ProgrammingError:
        raise ValueError(
            "QNDTI_DATABASE_URL không phải URL PostgreSQL hợp lệ / is not a valid PostgreSQL URL"
            " (postgresql://user:password@host:port/db?sslmode=…)"
        ) from None
    if "password" in params:
        return str(params["password"])
    # libpq reads "user:@host" as no password at all; it is an empty one that somebody meant to fill in.
    return "" if url.startswith(("postgresql://", "postgres://")) and ":@" in url.split("/", 3)[2] else None


class Settings(BaseSettings):
    """One object per process, built by the entry point and passed down; nothing else reads the environment."""

    # Inputs stay out of error messages: they may hold the database URL or the SASL password.
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", hide_input_in_errors=True)

    stack_dir: Path = Field(Path(".stack"), description="Folder of the local stack (jars, data, logs, state).")
    kafka_bootstrap: str | None = Field(None, description="Kafka bootstrap servers; default: the local stack.")
    kafka_port: int = Field(9092, description="Port of the local stack's Kafka broker.")
    kafka_controller_port: int = Field(9093, description="Port of the local broker's KRaft controller.")
    postgres_port: int = Field(5442, description="Port of the local stack's PostgreSQL.")
    database_url: SecretStr | None = Field(None, description="PostgreSQL URL; default: the local stack's.")
    partitions: int = Field(4, ge=1, description="Partitions of the service's topics.")
    topic_prefix: str = Field("qndti", description="Prefix of every topic name.")
    worker_id: str = Field("qndti-worker", description="The workers' consumer group (offsets are kept under it).")
    worker_web_host: str = Field("127.0.0.1", description="Address of the worker's /metrics and /healthz.")
    worker_web_port: int = Field(6066, description="Port of the worker's /metrics and /healthz.")
    worker_batch_size: int = Field(200_000, ge=1, description="Most messages the worker takes in one batch.")
    worker_batch_within: float = Field(
        0.5, gt=0, description="Seconds a worker's fetch waits for records when none are waiting."
    )
    worker_stale_interval: float = Field(
        300.0, gt=0, description="Seconds between two wall-clock sweeps (stale data, expected values)."
    )
    worker_session_timeout: float = Field(
        10.0, ge=6, description="Seconds without heartbeats before the group moves a worker's partitions to others."
    )
    worker_retry_budget: float = Field(
        120.0, gt=0, description="Seconds of database or broker errors a worker rides out before it exits (code 1)."
    )
    worker_database_timeout: float = Field(
        60.0,
        gt=0,
        description="Seconds a worker's database read or batch commit may take before it counts as an error.",
    )
    store_observations: bool = Field(True, description="Keep every accepted observation in dti.observation.")
    catalog_root: Path | None = Field(None, description="Folder of catalog versions; default: the bundled catalogs.")
    catalog_version: str | None = Field(None, description="Catalog version to load; default: the current one.")
    bucket_minutes: int = Field(60, ge=1, description="Width of the indicator time buckets.")
    sink_mode: SinkMode = Field(
        "copy", description="Sink write path: copy (binary COPY + upsert) or plain (executemany; PGlite test engine)."
    )
    db_late_window_days: int = Field(
        7, ge=2, description="TimescaleDB: days late data is still materialised by the continuous aggregates."
    )
    db_compress_after_days: int = Field(30, ge=4, description="TimescaleDB: compress chunks older than this.")
    db_retention_days: int = Field(
        0, ge=0, description="TimescaleDB: drop values, statuses, scores and alerts older than this (0 keeps them)."
    )
    db_observation_retention_days: int = Field(
        400, ge=0, description="TimescaleDB: drop raw observations older than this (0 keeps them)."
    )
    simulator_seed: int = Field(2023, description="Seed of the simulator's unit profiles.")
    simulator_interval: float = Field(5.0, gt=0, description="Seconds between simulator polls.")
    connector_sources: Path | None = Field(None, description="Folder of source YAML files; default: the shipped ones.")
    connector_state_dir: Path | None = Field(
        None, description="Folder of connector checkpoints; default: STACK/connectors."
    )
    connectors_host: str = Field("127.0.0.1", description="Address of the connectors' /metrics and /healthz.")
    connectors_port: int = Field(9108, description="Port of the connectors' /metrics and /healthz (0: any free port).")
    grafana_token: SecretStr | None = Field(None, description="Service-account token for `qndti grafana publish`.")
    kafka_security_protocol: SecurityProtocol = Field("PLAINTEXT", description="Kafka security protocol.")
    kafka_sasl_mechanism: SaslMechanism | None = Field(None, description="SASL mechanism (SASL_* protocols).")
    kafka_sasl_username: str | None = Field(None, description="SASL user name.")
    kafka_sasl_password: SecretStr | None = Field(None, description="SASL password (never logged).")
    kafka_ssl_cafile: Path | None = Field(None, description="CA bundle that signed the brokers' certificates.")

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_variables(cls, data: Any) -> Any:
        # pydantic-settings ignores QNDTI_ variables it has no field for: a typo would silently keep a default.
        check_environment(os.environ)
        return data

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> Self:
        sasl = self.kafka_security_protocol.startswith("SASL_")
        if sasl and (self.kafka_sasl_mechanism is None or not self.kafka_sasl_username or not self.kafka_sasl_password):
            raise ValueError(
                f"QNDTI_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} cần / needs "
                "QNDTI_KAFKA_SASL_MECHANISM, QNDTI_KAFKA_SASL_USERNAME and QNDTI_KAFKA_SASL_PASSWORD"
            )
        if not sasl and self.kafka_sasl_mechanism is not None:
            raise ValueError(
                f"QNDTI_KAFKA_SASL_MECHANISM is set but QNDTI_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol}"
                " uses no SASL (choose SASL_SSL or SASL_PLAINTEXT)"
            )
        if self.kafka_ssl_cafile is not None and not self.kafka_ssl_cafile.is_file():
            raise ValueError(f"QNDTI_KAFKA_SSL_CAFILE={self.kafka_ssl_cafile} is not a readable file")
        return self

    @model_validator(mode="after")
    def _passwords_are_strong(self) -> Self:
        # The local stack's database and broker take no password; any password given is a deployment's, and an
        # example's change-me or a short one must not reach production. The messages never repeat the password.
        n = MIN_PASSWORD_LENGTH
        advice = f"dùng mật khẩu ngẫu nhiên từ {n} ký tự / use a random password of at least {n} characters"
        if self.database_url is not None:
            password = database_password(self.database_url.get_secret_value())
            reason = weak_password(password) if password is not None else None
            if reason:
                raise ValueError(f"QNDTI_DATABASE_URL: {reason}; {advice}")
        if self.kafka_sasl_password is not None:
            reason = weak_password(self.kafka_sasl_password.get_secret_value())
            if reason:
                raise ValueError(f"QNDTI_KAFKA_SASL_PASSWORD: {reason}; {advice}")
        return self

    def kafka_client_options(self) -> dict[str, Any]:
        """Keyword arguments of every aiokafka client (producer, consumer, admin): bootstrap servers and security."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap(),
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_security_protocol in ("SSL", "SASL_SSL"):
            cafile = str(self.kafka_ssl_cafile) if self.kafka_ssl_cafile is not None else None
            # Verifies the broker's certificate and host name against the CA file (or the system's CAs).
            options["ssl_context"] = ssl.create_default_context(cafile=cafile)
        password = self.kafka_sasl_password
        if self.kafka_security_protocol.startswith("SASL_") and password is not None:
            options["sasl_mechanism"] = self.kafka_sasl_mechanism
            options["sasl_plain_username"] = self.kafka_sasl_username
            options["sasl_plain_password"] = password.get_secret_value()
        return options

    def stack(self) -> LocalStack:
        """The local stack these settings describe."""
        url = self.database_url.get_secret_value() if self.database_url is not None else None
        return LocalStack(
            home=self.stack_dir.resolve(),
            kafka_port=self.kafka_port,
            kafka_controller_port=self.kafka_controller_port,
            postgres_port=self.postgres_port,
            partitions=self.partitions,
            external_database_url=url,
        )

    def catalog(self) -> Catalog:
        """The catalog the worker runs with: the bundled one unless a root or version is named."""
        return load_catalog(self.catalog_version or DEFAULT_VERSION, root=self.catalog_root or CATALOG_ROOT)

    def catalog_folder(self) -> Path:
        """The folder of the catalog version the worker runs with."""
        return (self.catalog_root or CATALOG_ROOT) / (self.catalog_version or DEFAULT_VERSION)

    def connector_state(self) -> Path:
        """Where connector checkpoints are kept."""
        return self.connector_state_dir or self.stack_dir / "connectors"

    def topics(self) -> Topics:
        """The topic names under the configured prefix."""
        return Topics.with_prefix(self.topic_prefix)

    def bootstrap(self) -> str:
        """Kafka bootstrap servers: explicit, else the local stack's broker."""
        return self.kafka_bootstrap or self.stack().kafka.bootstrap

    def database(self) -> str:
        """The database URL: explicit, else the one the local stack recorded, else its default."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        state = self.stack_dir / "state.json"
        if state.exists():
            recorded = json.loads(state.read_text()).get("database_url")
            if recorded:
                return str(recorded)
        return self.stack().postgres.url

    def policies(self) -> Policies:
        """The TimescaleDB policies these settings ask for."""

        def days(n: int) -> dt.timedelta | None:
            return dt.timedelta(days=n) if n > 0 else None

        return Policies(
            late_window=dt.timedelta(days=self.db_late_window_days),
            compress_after=dt.timedelta(days=self.db_compress_after_days),
            retention=days(self.db_retention_days),
            observation_retention=days(self.db_observation_retention_days),
        )

    @property
    def bucket(self) -> dt.timedelta:
        """Width of the indicator time buckets."""
        return dt.timedelta(minutes=self.bucket_minutes)
