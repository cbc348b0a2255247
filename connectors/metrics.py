"""Prometheus metrics of the connectors, one set per process over a passed-in registry.

Names, labels and every label value are listed in ``docs/metrics.md`` (a test compares that table with what real
polls make here). A poll (or a webhook delivery) counts once in ``qndti_connector_polls_total``, and at most once
in ``qndti_connector_failures_total``, so failures ÷ polls never passes 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge

from connectors.errors import ERROR_CLASSES

POLL_OUTCOMES = ("ok", "empty", "not_modified", "failed", "skipped")
"""Every outcome a poll (or a webhook delivery) counts under."""


class ConnectorMetrics:
    """The connector metrics, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.polls = Counter(
            "qndti_connector_polls", "Polls of a source by outcome.", ["source", "outcome"], registry=registry
        )
        self.failures = Counter(
            "qndti_connector_failures",
            "Failures of a source by error class.",
            ["source", "error_class"],
            registry=registry,
        )
        self.observations = Counter(
            "qndti_connector_observations", "Observations acknowledged by the broker.", ["source"], registry=registry
        )
        self.task_reports = Counter(
            "qndti_connector_task_reports",
            "Task reports of a source: acknowledged by the broker, or rows and records that could not be one.",
            ["source", "outcome"],
            registry=registry,
        )
        self.last_success = Gauge(
            "qndti_connector_last_success_timestamp_seconds",
            "Unix time of the last successful poll.",
            ["source"],
            registry=registry,
        )
        self.lag = Gauge(
            "qndti_connector_source_lag_seconds",
            "Seconds between now and the newest source time produced.",
            ["source"],
            registry=registry,
        )

    def known(self, sources: Iterable[str]) -> None:
        """Start every label set of these sources at 0: a healthy source exposes its zero failures too."""
        for source in sources:
            for outcome in POLL_OUTCOMES:
                self.polls.labels(source=source, outcome=outcome)
            for error_class in ERROR_CLASSES:
                self.failures.labels(source=source, error_class=error_class)
            self.observations.labels(source=source)

    def poll(self, source: str, outcome: str) -> None:
        """Count one poll."""
        self.polls.labels(source=source, outcome=outcome).inc()

    def failure(self, source: str, error_class: str) -> None:
        """Count one failure."""
        self.failures.labels(source=source, error_class=error_class).inc()

    def tasks(self, source: str, produced: int, rejected: int) -> None:
        """Count the task reports a poll or delivery produced and the rows it set aside."""
        self.task_reports.labels(source=source, outcome="produced").inc(produced)
        self.task_reports.labels(source=source, outcome="rejected").inc(rejected)

    def produced(self, source: str, count: int, newest: dt.datetime | None, now: dt.datetime) -> None:
        """Record acknowledged observations and the source's lag."""
        self.observations.labels(source=source).inc(count)
        self.last_success.labels(source=source).set(now.timestamp())
        if newest is not None:
            self.lag.labels(source=source).set(max(0.0, (now - newest).total_seconds()))
