"""Prometheus metrics of the worker, in one class over a registry that the caller passes in.

Names are documented in README.md (section "Metrics"); dashboards and rules use these names.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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
            buckets=(1, 10, 100, 500, 1000, 2000, 5000, 10000),
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
        self.indicator_value = Gauge(
            "qndti_indicator_value",
            "Latest indicator value per indicator and unit.",
            ["indicator", "unit"],
            registry=registry,
        )
        self.indicator_status = Gauge(
            "qndti_indicator_status",
            "1 for the current status of an indicator and unit, else 0.",
            ["indicator", "unit", "status"],
            registry=registry,
        )
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
        self._shown: dict[tuple[str, str], tuple[float | None, Status]] = {}
        """Value and status last set, by indicator and unit."""
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
        """Set the indicator gauges from a unit's latest evaluation (labels bounded by the catalog).

        Only the series that changed since the last evaluation are set: a scorecard covers 35 indicators with
        nine series each, and most of them stay as they were.
        """
        for result in card.results:
            key = (result.indicator, card.unit)
            shown = self._shown.get(key)
            if shown == (result.value, result.status):
                continue
            self._shown[key] = (result.value, result.status)
            if result.value is not None and (shown is None or shown[0] != result.value):
                self.indicator_value.labels(result.indicator, card.unit).set(result.value)
            if shown is None:
                for status in Status:
                    self.indicator_status.labels(result.indicator, card.unit, status.value).set(
                        1 if status is result.status else 0
                    )
            elif shown[1] is not result.status:
                self.indicator_status.labels(result.indicator, card.unit, shown[1].value).set(0)
                self.indicator_status.labels(result.indicator, card.unit, result.status.value).set(1)

    def set_lag(self, lags: dict[tuple[str, int], int]) -> None:
        """Replace the lag series with the current assignment's (revoked partitions drop out)."""
        self.consumer_lag.clear()
        for (topic, partition), lag in lags.items():
            self.consumer_lag.labels(topic, str(partition)).set(lag)
