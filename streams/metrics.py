"""Prometheus metrics of the worker, in one class over a registry that the caller passes in.

Names are documented in README.md (section "Metrics"); dashboards and rules use these names.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from index_engine.observation import REASONS as OBSERVATION_REASONS
from index_engine.results import Scorecard
from index_engine.status import Status
from index_engine.task_report import REASONS as TASK_REPORT_REASONS


class WorkerMetrics:
    """Counters, gauges and histograms of one worker process."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.messages = Counter(
            "qndti_worker_messages_total", "Messages consumed, by topic role.", ["role"], registry=registry
        )
        self.observations = Counter(
            "qndti_worker_observations_total", "Observations by outcome.", ["outcome"], registry=registry
        )
        self.dead_letters = Counter(
            "qndti_worker_dead_letters_total",
            "Messages sent to the dead-letter topic, by reason.",
            ["reason"],
            registry=registry,
        )
        self.batch_size = Histogram(
            "qndti_worker_batch_messages",
            "Messages per processed batch.",
            buckets=(1, 10, 100, 1000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000),
            registry=registry,
        )
        self.batch_stage = Histogram(
            "qndti_worker_batch_stage_seconds",
            "Time per batch in each stage of the worker (wait, load, process, send, commit, metrics).",
            ["stage"],
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.sink_rows = Counter(
            "qndti_sink_rows_total", "Rows upserted into the database with the batches.", registry=registry
        )
        self.sink_seconds = Histogram(
            "qndti_sink_batch_duration_seconds",
            "Time to commit one batch (rows, state, offsets).",
            registry=registry,
        )
        self.sink_retries = Counter(
            "qndti_sink_retries_total",
            "Steps tried again after a database or broker error.",
            registry=registry,
        )
        self.latency = Histogram(
            "qndti_processing_latency_seconds",
            "Event time to database commit of indicator rows.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400),
            registry=registry,
        )
        self.state_writes = Counter(
            "qndti_worker_state_writes_total",
            "Unit-state rows written with the batches.",
            registry=registry,
        )
        self.alerts = Counter(
            "qndti_worker_alerts_total",
            "Alert messages published, raised or resolved.",
            ["change"],
            registry=registry,
        )
        self.task_reports = Counter(
            "qndti_worker_task_reports_total",
            "Task progress reports by outcome: accepted, repeated, older (kept, no effect), rejected.",
            ["outcome"],
            registry=registry,
        )
        self.task_alerts = Counter(
            "qndti_worker_task_alerts_total",
            "Task alert messages published, raised or resolved.",
            ["change"],
            registry=registry,
        )
        self.indicators = IndicatorGauges()
        registry.register(self.indicators)
        self.consumer_lag = Gauge(
            "qndti_worker_consumer_lag",
            "Messages behind the end of each assigned source partition (fetch lag).",
            ["topic", "partition"],
            registry=registry,
        )
        self.commit_conflicts = Counter(
            "qndti_worker_commit_conflicts_total",
            "Batches rolled back because another worker had committed their partitions or delta ids first.",
            registry=registry,
        )
        self.last_batch = Gauge(
            "qndti_worker_last_batch_timestamp_seconds",
            "Unix time the last batch finished.",
            registry=registry,
        )
        self._zero()

    def _zero(self) -> None:
        """Every known label set starts at 0, so rates and ratios exist before the first failure."""
        for reason in (*OBSERVATION_REASONS, "key_mismatch", "bad_rollup", "unstorable", *TASK_REPORT_REASONS):
            self.dead_letters.labels(reason)
        for outcome in ("accepted", "rejected", "repeated", "revised", "quarantined"):
            self.observations.labels(outcome)
        for role in ("observations", "rollup", "task_reports"):
            self.messages.labels(role)
        for outcome in ("accepted", "repeated", "older", "rejected"):
            self.task_reports.labels(outcome)
        for change in ("raised", "resolved"):
            self.alerts.labels(change)
            self.task_alerts.labels(change)

    def observe_scorecard(self, card: Scorecard) -> None:
        """Keep a unit's latest evaluation for the indicator gauges (labels bounded by the catalog)."""
        self.indicators.observe(card)

    def set_lag(self, lags: dict[tuple[str, int], int]) -> None:
        """Replace the lag series with the current assignment's (revoked partitions drop out)."""
        self.consumer_lag.clear()
        for (topic, partition), lag in lags.items():
            self.consumer_lag.labels(topic, str(partition)).set(lag)


class IndicatorGauges(Collector):
    """``qndti_indicator_value`` and ``qndti_indicator_status`` of every unit evaluated, made at scrape time.

    A batch keeps the latest value and status per indicator and unit in two dictionaries (35 entries per
    scorecard); the series are built only when ``/metrics`` is read, as prometheus-client's custom collectors do.
    """

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], float] = {}
        """The latest known value by indicator and unit (an evaluation without a value keeps the one before)."""
        self.statuses: dict[tuple[str, str], Status] = {}

    def observe(self, card: Scorecard) -> None:
        """Keep the values and statuses of a unit's evaluation."""
        for result in card.results:
            key = (result.indicator, card.unit)
            if result.value is not None:
                self.values[key] = result.value
            self.statuses[key] = result.status

    def describe(self) -> Iterator[Metric]:
        """The two families without samples (so that ``/metrics?name[]=…`` knows them without a scrape)."""
        return iter(self._families())

    def collect(self) -> Iterator[Metric]:
        """The two families with one value series per indicator and unit and one status series per status."""
        value, status = self._families()
        for (indicator, unit), number in self.values.items():
            value.add_metric([indicator, unit], number)
        for (indicator, unit), current in self.statuses.items():
            for each in Status:
                status.add_metric([indicator, unit, each.value], 1.0 if each is current else 0.0)
        yield value
        yield status

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        value = GaugeMetricFamily(
            "qndti_indicator_value", "Latest indicator value per indicator and unit.", labels=["indicator", "unit"]
        )
        status = GaugeMetricFamily(
            "qndti_indicator_status",
            "1 for the current status of an indicator and unit, else 0.",
            labels=["indicator", "unit", "status"],
        )
        return value, status
