"""Errors of the connectors.

Hierarchy::

    ConnectorError
    ├── SourceUnavailable       retryable: the source did not answer (timeout, 5xx, connection refused)
    └── SourceResponseInvalid   permanent for this response: it cannot be mapped to observations
"""


class ConnectorError(Exception):
    """Base class of connector errors; carries the source name."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"source {source!r}: {message}")
        self.source = source


class SourceUnavailable(ConnectorError):
    """The source did not answer; the loop retries with backoff."""


class SourceResponseInvalid(ConnectorError):
    """The source answered with data that cannot be mapped; nothing of it is produced."""
