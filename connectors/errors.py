"""Errors of the connectors.

Hierarchy::

    ConnectorError                  carries the source name; never a secret
    ├── ConfigError                 a source YAML file is invalid (names the file and field)
    ├── SourceUnavailable           retryable: the source did not answer (connection refused, 5xx)
    │   └── SourceTimeout           retryable: the source did not answer in time
    ├── SourceAuthFailed            the source refused the credential (401/403): fix the secret, not retryable
    ├── SourceResponseInvalid       permanent for this response: it cannot be mapped to observations
    │   └── RecordRejected          one record is bad (negative or non-numeric count, unknown unit, …)
    ├── ProduceFailed               the broker did not acknowledge the observations
    └── PortInUse                   a port to listen on (``/healthz``, a webhook) cannot be had
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class of connector errors; carries the source name."""

    error_class = "internal"

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"source {source!r}: {message}")
        self.source = source
        self.detail = message


class ConfigError(ConnectorError):
    """A source configuration file is invalid; the message names the file and the field."""

    error_class = "config"

    def __init__(self, file: str, message: str, field: str | None = None) -> None:
        where = file if field is None else f"{file}, field {field!r}"
        Exception.__init__(self, f"{where}: {message}")
        self.source = file
        self.detail = message
        self.file = file
        self.field = field


class SourceUnavailable(ConnectorError):
    """The source did not answer; the loop retries with backoff."""

    error_class = "unavailable"


class SourceTimeout(SourceUnavailable):
    """The source did not answer within the configured timeout."""

    error_class = "timeout"


class SourceAuthFailed(ConnectorError):
    """The source rejected the credential (expired or wrong); retrying will not help until it is replaced."""

    error_class = "auth"


class SourceResponseInvalid(ConnectorError):
    """The source answered with data that cannot be mapped; nothing of it is produced."""

    error_class = "invalid_response"


class RecordRejected(SourceResponseInvalid):
    """One record cannot become an observation; ``where`` says which record and field."""

    error_class = "bad_record"

    def __init__(self, source: str, where: str, message: str) -> None:
        super().__init__(source, f"{where}: {message}")
        self.where = where
        self.detail = message


class ProduceFailed(ConnectorError):
    """The broker did not acknowledge the observations; the checkpoint stays where it was."""

    error_class = "produce"


class PortInUse(ConnectorError):
    """A port this process must listen on cannot be had (another instance holds it, or it is not allowed)."""

    error_class = "port"

    def __init__(self, what: str, message: str) -> None:
        Exception.__init__(self, f"{what}: {message}")
        self.source = what
        self.detail = message


ERROR_CLASSES = tuple(
    dict.fromkeys(
        c.error_class
        for c in (
            ConnectorError,
            ConfigError,
            SourceUnavailable,
            SourceTimeout,
            SourceAuthFailed,
            SourceResponseInvalid,
            RecordRejected,
            ProduceFailed,
            PortInUse,
        )
    )
)
"""Every ``error_class`` a failure can carry (the label values of ``qndti_connector_failures_total``)."""
