"""What a batch's metrics and logs need once it has committed: counts, and the few records worth a log line.

A batch in flight keeps its tally and its checkpoint only. Its messages, observations and rows are let go once
they are sent and made ready to write, so that the worker holds one batch's objects while the next is prepared,
not two batches'.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

from index_engine.observation import Observation
from index_engine.plausibility import Problem
from index_engine.results import Scorecard
from streams.evaluation import Alert
from streams.metrics import WorkerMetrics
from streams.processor import BatchResult, Message
from streams.tasks import TaskBatch
from streams.topics import Topics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Tally:
    """A batch's counts by outcome, its notable records, and the newest time among its indicator rows."""

    messages: Mapping[str, int]
    """Messages by topic role (``observations``, ``rollup``, ``task_reports``)."""
    accepted: int
    repeated: int
    quarantined: Sequence[tuple[Message, Observation, Problem]]
    rejected: Sequence[str]
    """The reason of each dead letter."""
    revised: Sequence[Observation]
    alerts: Sequence[Alert]
    scorecards: Sequence[Scorecard]
    newest: dt.datetime | None
    state_rows: int
    tasks: TaskBatch

    @property
    def size(self) -> int:
        """How many messages the batch had."""
        return sum(self.messages.values())


def tally_of(topics: Topics, batch: Sequence[Message], result: BatchResult, tasks: TaskBatch, state_rows: int) -> Tally:
    """The tally of a batch applied as ``result`` and ``tasks``, of which ``state_rows`` rows are state rows."""
    roles = {topics.rollup: "rollup", topics.task_reports: "task_reports"}
    counts = Counter(map(attrgetter("topic"), batch))
    return Tally(
        messages={roles.get(topic, "observations"): count for topic, count in counts.items()},
        accepted=result.accepted,
        repeated=result.repeated,
        quarantined=result.quarantined,
        rejected=[letter.reason for letter in result.dead_letters],
        revised=result.revised,
        alerts=result.alerts,
        scorecards=result.scorecards,
        newest=max((r.ts for r in result.rows), default=None),
        state_rows=state_rows,
        tasks=tasks,
    )


def record(metrics: WorkerMetrics, tally: Tally, written: int) -> None:
    """Count a committed batch in the metrics, and log what it quarantined and revised."""
    for role, count in tally.messages.items():
        metrics.messages.labels(role).inc(count)
    metrics.observations.labels("accepted").inc(tally.accepted)
    metrics.observations.labels("quarantined").inc(len(tally.quarantined))
    for _, obs, problem in tally.quarantined:
        log.warning("quarantined: %s %s %s at %s (%s): %s", obs.unit, obs.metric, obs.id, obs.ts, problem.reason,
                    problem.detail_en)  # fmt: skip
    metrics.observations.labels("rejected").inc(len(tally.rejected))
    metrics.observations.labels("repeated").inc(tally.repeated)
    metrics.observations.labels("revised").inc(len(tally.revised))
    for obs in tally.revised:
        log.info("revised: %s %s %s at %s, revision %d", obs.unit, obs.metric, obs.kind, obs.ts, obs.revision)
    for reason in tally.rejected:
        metrics.dead_letters.labels(reason).inc()
    for alert in tally.alerts:
        metrics.alerts.labels("raised" if alert.decision.raised else "resolved").inc()
    for card in tally.scorecards:
        metrics.observe_scorecard(card)
    metrics.batch_size.observe(tally.size)
    metrics.sink_rows.inc(written)
    metrics.state_writes.inc(tally.state_rows)
    metrics.last_batch.set(time.time())
    if tally.newest is not None:
        metrics.latency.observe(max(0.0, (dt.datetime.now(dt.UTC) - tally.newest).total_seconds()))
    record_tasks(metrics, tally.tasks)


def record_tasks(metrics: WorkerMetrics, tasks: TaskBatch) -> None:
    """Count applied task reports (of a batch or a sweep) in the metrics."""
    metrics.task_reports.labels("accepted").inc(tasks.accepted)
    metrics.task_reports.labels("repeated").inc(tasks.repeated)
    metrics.task_reports.labels("older").inc(tasks.older)
    metrics.task_reports.labels("rejected").inc(len(tasks.dead_letters))
    for letter in tasks.dead_letters:
        metrics.dead_letters.labels(letter.reason).inc()
    for alert in tasks.alerts:
        metrics.task_alerts.labels("raised" if alert.decision.raised else "resolved").inc()
