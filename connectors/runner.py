"""The one loop every polled source runs in: schedule, timeout, backoff, circuit breaker, checkpoint, metrics.

A poll's observations are validated and produced; only after the broker acknowledged all of them is the
checkpoint saved. A failure of one source is logged, counted and retried by that source's own loop; the
others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from connectors.base import Batch, Connector, PushConnector
from connectors.checkpoint import CheckpointStore
from connectors.errors import (
    ConnectorError,
    ProduceFailed,
    RecordRejected,
    SourceResponseInvalid,
    SourceTimeout,
    SourceUnavailable,
)
from connectors.metrics import ConnectorMetrics
from connectors.resilience import Backoff, CircuitBreaker, next_run
from index_engine.catalog import Catalog
from index_engine.errors import InvalidObservation
from index_engine.observation import Observation, validate
from index_engine.task_report import TaskReport

log = logging.getLogger("connectors")

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The current aware UTC time."""
    return dt.datetime.now(dt.UTC)


class Sink(Protocol):
    """Where observations go: the Kafka producer, or a list in a dry run."""

    async def send(self, observations: Sequence[Observation]) -> int:
        """Send and wait for every acknowledgement; return how many were sent."""
        ...


class TaskSink(Protocol):
    """Where task reports go: the Kafka producer (to the task-report topic), or a list in tests."""

    async def send_task_reports(self, reports: Sequence[TaskReport]) -> int:
        """Send and wait for every acknowledgement; return how many were sent."""
        ...


@dataclass
class Emitter:
    """Validate → produce → save checkpoint → run the batch's follow-up → count. Shared by polled and pushed.

    Observations are validated here; task reports are not (the worker judges them and dead-letters the bad ones).
    """

    sink: Sink
    catalog: Catalog
    store: CheckpointStore | None
    metrics: ConnectorMetrics
    clock: Clock = utc_now
    task_sink: TaskSink | None = None

    async def emit(self, source: str, batch: Batch) -> int:
        """Produce one batch; raise ProduceFailed or SourceResponseInvalid and leave the checkpoint as it was.

        Return how many records (observations and task reports) the broker acknowledged.
        """
        now = self.clock()
        for obs in batch.observations:
            try:
                validate(obs, self.catalog, now)
            except InvalidObservation as exc:
                raise SourceResponseInvalid(source, f"observation {obs.id}: {exc}") from None
        for rejected in batch.rejected:
            log.error("%s", rejected)
        if batch.task_reports and self.task_sink is None:
            raise ProduceFailed(source, "this process has no producer for task reports")
        try:
            sent = await self.sink.send(batch.observations) if batch.observations else 0
            if batch.task_reports and self.task_sink is not None:
                tasks = await self.task_sink.send_task_reports(batch.task_reports)
            else:
                tasks = 0
        except Exception as exc:
            raise ProduceFailed(source, f"the broker did not acknowledge: {type(exc).__name__}: {exc}") from exc
        if self.store is not None:
            self.store.save(source, batch.checkpoint)
        if batch.after_produced is not None:
            await batch.after_produced()
        for warning in batch.warnings:
            log.warning("source %r: %s", source, warning)
        self.metrics.produced(source, sent, batch.newest, self.clock())
        if batch.produces == "task_reports":
            rows = sum(isinstance(r, RecordRejected) for r in batch.rejected)
            self.metrics.tasks(source, tasks, rows)
        if batch.rejected:
            # One failure per poll, whatever the number of records set aside: failures ÷ polls stays ≤ 1.
            self.metrics.failure(source, batch.rejected[0].error_class)
        return sent + tasks


@dataclass
class SourceState:
    """What /healthz reports about one source: ``last_error`` is set while its last poll or delivery failed."""

    name: str
    breaker: str = "closed"
    last_error: str | None = None
    last_success: dt.datetime | None = None

    @property
    def healthy(self) -> bool:
        """Whether the source's last poll or delivery went through whole, with its breaker closed."""
        return self.breaker == "closed" and self.last_error is None

    def succeeded(self, at: dt.datetime, rejected: Sequence[ConnectorError] = ()) -> None:
        """Record a poll or delivery that went through; records set aside still count as an error."""
        self.breaker, self.last_success = "closed", at
        self.last_error = None
        if rejected:
            more = f" (and {len(rejected) - 1} more)" if len(rejected) > 1 else ""
            self.last_error = f"{rejected[0]}{more}"


@dataclass
class SourceLoop:
    """Runs one polled source until stopped."""

    connector: Connector
    emitter: Emitter
    checkpoint: dict[str, object]
    state: SourceState
    rng: random.Random = field(default_factory=random.Random)
    monotonic: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        policy = self.connector.config.retry
        self.backoff = Backoff(policy.backoff_initial, policy.backoff_max, self.rng)
        self.breaker = CircuitBreaker.from_policy(policy)
        self.zone = ZoneInfo(self.connector.config.timezone)

    @property
    def name(self) -> str:
        """The source's name."""
        return self.connector.config.name

    async def poll_once(self) -> float:
        """Run one poll if the breaker allows; return the seconds to wait before the next."""
        config = self.connector.config
        metrics = self.emitter.metrics
        now_mono = self.monotonic()
        if not self.breaker.allow(now_mono):
            metrics.poll(self.name, "skipped")
            self.state.breaker = "open"
            return max(0.1, self.breaker.seconds_until_trial(now_mono))
        now = self.emitter.clock()
        try:
            try:
                batch = await asyncio.wait_for(self.connector.poll(dict(self.checkpoint), now), config.timeout)
            except TimeoutError:
                raise SourceTimeout(self.name, f"no answer within {config.timeout:g} s") from None
            sent = await self.emitter.emit(self.name, batch)
        except ConnectorError as exc:
            return self._failed(exc)
        except Exception as exc:
            log.exception("source %r: unexpected error", self.name)
            return self._failed(ConnectorError(self.name, f"unexpected {type(exc).__name__}: {exc}"))
        self.checkpoint = batch.checkpoint
        outcome = "not_modified" if batch.not_modified else ("ok" if sent else "empty")
        metrics.poll(self.name, outcome)
        self.breaker.record_success()
        self.backoff.reset()
        self.state.succeeded(now, batch.rejected)
        if sent or batch.rejected:
            what = "task reports" if batch.produces == "task_reports" else "observations"
            log.info("source %r: produced %d %s, %d rejected", self.name, sent, what, len(batch.rejected))
        return max(0.0, (next_run(config.schedule, now, self.zone) - self.emitter.clock()).total_seconds())

    def _failed(self, exc: ConnectorError) -> float:
        metrics = self.emitter.metrics
        log.error("%s [%s]", exc, exc.error_class)
        metrics.poll(self.name, "failed")
        metrics.failure(self.name, exc.error_class)
        self.breaker.record_failure(self.monotonic())
        self.state.breaker = self.breaker.state(self.monotonic())
        self.state.last_error = str(exc)
        if isinstance(exc, SourceUnavailable | ProduceFailed):
            return self.backoff.next_delay()
        # A permanent failure (bad data, refused credential) will not heal by retrying at once.
        now = self.emitter.clock()
        return max(
            self.backoff.next_delay(), (next_run(self.connector.config.schedule, now, self.zone) - now).total_seconds()
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Poll on schedule until ``stop`` is set; then close the connector."""
        try:
            while not stop.is_set():
                delay = await self.poll_once()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
        finally:
            await self.connector.aclose()


async def run_push(
    connector: PushConnector,
    emitter: Emitter,
    checkpoint: dict[str, object],
    stop: asyncio.Event,
    state: SourceState | None = None,
) -> None:
    """Serve a pushing source until ``stop`` is set; each delivery counts as one poll."""
    name = connector.config.name
    health = state or SourceState(name)

    async def emit(batch: Batch) -> int:
        sent = await emitter.emit(name, batch)
        emitter.metrics.poll(name, "ok" if sent else "empty")
        health.succeeded(emitter.clock(), batch.rejected)
        return sent

    def report(exc: ConnectorError) -> None:
        log.error("%s [%s]", exc, exc.error_class)
        emitter.metrics.poll(name, "failed")
        emitter.metrics.failure(name, exc.error_class)
        health.last_error = str(exc)

    await connector.serve(dict(checkpoint), emit, report, stop.wait)
