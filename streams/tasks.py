"""Task reports in a batch: decode and check them, the newest report wins, then status and alerts. Pure.

A task's reports share a key (its code), so they arrive in order on one partition. The newest report is the one
with the latest ``date``, and of one date the one received last. A report id seen before is a repeat and changes
nothing; an older report arriving late is kept in the history (``latest`` false) and changes nothing either. Each
task touched is evaluated on the worker's local day with :func:`index_engine.tasks.assess` and its alerts decided
with :func:`index_engine.tasks.decide_task`; :func:`sweep_tasks` does the same for tasks nobody reported on, so
deadlines and silence are noticed. The worker loads the stored states, writes the rows and sends the messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import msgspec

from index_engine.catalog import Catalog, Task
from index_engine.errors import InvalidTaskReport
from index_engine.periods import LOCAL_TZ
from index_engine.task_report import TaskReport, decode_task_report
from index_engine.tasks import (
    Progress,
    TaskAlertDecision,
    TaskAlertKind,
    TaskAlertState,
    TaskAssessment,
    TaskStatus,
    alert_text,
    assess,
    decide_task,
)
from streams.processor import DeadLetter, Message
from streams.rows import AlertAction, Row, TaskAlertRow, TaskReportRow, TaskStateRow


@dataclass(frozen=True, slots=True)
class Reported:
    """The newest accepted report of a task, with its offset for the tie of two reports of one date."""

    report_id: str
    date: dt.date
    progress: float
    state: str
    evidence: str
    source: str
    offset: int


@dataclass(frozen=True, slots=True)
class TaskCurrent:
    """What the worker keeps of one task: its newest report, its alert memory and the row as stored."""

    reported: Reported | None = None
    alert: TaskAlertState = field(default_factory=TaskAlertState)
    stored: TaskStateRow | None = None


def current_of(row: TaskStateRow) -> TaskCurrent:
    """A task's state as read back from ``dti.task_state``."""
    reported = None
    if row.report_id is not None and row.report_date is not None and row.state is not None:
        offset = row.report_offset if row.report_offset is not None else -1
        reported = Reported(
            row.report_id, row.report_date, row.progress, row.state, row.evidence, row.report_source, offset
        )
    alert = TaskAlertState(
        settled=TaskStatus(row.alert_settled) if row.alert_settled else None,
        pending=TaskStatus(row.alert_pending) if row.alert_pending else None,
        open=frozenset(TaskAlertKind(k) for k in row.alerts_open),
        reminded=row.reminded,
    )
    return TaskCurrent(reported, alert, row)


@dataclass(frozen=True, slots=True)
class TaskAlert:
    """A task alert decision that changed something, with the assessment behind it."""

    task: Task
    assessment: TaskAssessment
    decision: TaskAlertDecision
    at: dt.datetime

    def rows(self) -> list[TaskAlertRow]:
        """One row per kind raised or resolved."""
        out = []
        actions: tuple[tuple[AlertAction, tuple[TaskAlertKind, ...]], ...] = (
            ("raised", self.decision.raised),
            ("resolved", self.decision.resolved),
        )
        for action, kinds in actions:
            for kind in kinds:
                vi, en = alert_text(kind, action == "raised", self.assessment, self.task)
                out.append(
                    TaskAlertRow(
                        task_code=self.task.code,
                        kind=kind.value,
                        action=action,
                        ts=self.at,
                        status=self.decision.status.value,
                        message_vi=vi,
                        message_en=en,
                        notify=self.decision.notify,
                    )
                )
        return out

    def to_json(self) -> bytes:
        """The message on ``qndti.alerts`` (key ``task|<code>``)."""
        return msgspec.json.encode(
            {
                "task": self.task.code,
                "at": self.at,
                "status": self.decision.status.value,
                "status_vi": self.decision.status.label_vi,
                "raised": [k.value for k in self.decision.raised],
                "resolved": [k.value for k in self.decision.resolved],
                "notify": list(self.decision.notify),
                "progress": self.assessment.progress,
                "expected": self.assessment.expected,
                "deadline": self.task.deadline,
                "why_vi": self.assessment.reason_vi,
                "why_en": self.assessment.reason_en,
            }
        )


@dataclass(slots=True)
class TaskBatch:
    """What a batch of task reports (or a sweep) changed."""

    current: dict[str, TaskCurrent] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    alerts: list[TaskAlert] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    accepted: int = 0
    repeated: int = 0
    older: int = 0
    """Reports older than the task's newest one: kept in the history, without effect."""


Decoded = tuple[TaskReport, Task] | DeadLetter


def decode_reports(catalog: Catalog, messages: Iterable[Message], now: dt.datetime) -> list[tuple[Message, Decoded]]:
    """Each message as a checked report and its task, or a dead letter with the reason."""
    today = now.astimezone(LOCAL_TZ).date()
    out: list[tuple[Message, Decoded]] = []
    for message in messages:
        try:
            report, task = decode_task_report(message.value, catalog, today)
        except InvalidTaskReport as exc:
            out.append((message, DeadLetter(message.key, message.value, exc.reason, exc.detail, message)))
            continue
        if message.key is not None and message.key != task.code.encode():
            detail = f"key {message.key!r} is not the task code {task.code!r}"
            out.append((message, DeadLetter(message.key, message.value, "key_mismatch", detail, message)))
            continue
        out.append((message, (report, task)))
    return out


def touched_tasks(decoded: Sequence[tuple[Message, Decoded]]) -> set[str]:
    """The codes of the tasks that accepted reports are for."""
    return {item[1].code for _, item in decoded if not isinstance(item, DeadLetter)}


def report_ids(decoded: Sequence[tuple[Message, Decoded]]) -> list[tuple[str, str]]:
    """``(task code, report id)`` of each accepted report, to look up which were seen before."""
    return [(item[1].code, item[0].id) for _, item in decoded if not isinstance(item, DeadLetter)]


def apply_reports(
    catalog: Catalog,
    decoded: Sequence[tuple[Message, Decoded]],
    current: Mapping[str, TaskCurrent],
    seen: Collection[tuple[str, str]],
    now: dt.datetime,
) -> TaskBatch:
    """Apply decoded reports to the tasks' states, then evaluate each task they touched as of ``now``."""
    batch = TaskBatch()
    states = dict(current)
    repeats = set(seen)
    touched: dict[str, Task] = {}
    for message, item in decoded:
        if isinstance(item, DeadLetter):
            batch.dead_letters.append(item)
            continue
        report, task = item
        if (task.code, report.id) in repeats:
            batch.repeated += 1
            continue
        repeats.add((task.code, report.id))
        state = states.get(task.code, TaskCurrent())
        newest = state.reported is None or (report.date, message.offset) >= (state.reported.date, state.reported.offset)
        batch.rows.append(_report_row(report, message, newest))
        if newest:
            reported = Reported(
                report.id, report.date, report.progress, report.state, report.evidence, report.source, message.offset
            )
            states[task.code] = replace(state, reported=reported)
            batch.accepted += 1
        else:
            batch.older += 1
        touched[task.code] = task
    for code, task in touched.items():
        _evaluate(catalog, task, states.get(code, TaskCurrent()), now, batch)
    return batch


def sweep_tasks(
    catalog: Catalog, tasks: Iterable[Task], current: Mapping[str, TaskCurrent], now: dt.datetime
) -> TaskBatch:
    """Evaluate ``tasks`` as of ``now``: deadlines passing and silence turn into statuses and alerts."""
    batch = TaskBatch()
    for task in tasks:
        _evaluate(catalog, task, current.get(task.code, TaskCurrent()), now, batch)
    return batch


def _evaluate(catalog: Catalog, task: Task, state: TaskCurrent, now: dt.datetime, batch: TaskBatch) -> None:
    day = now.astimezone(LOCAL_TZ).date()
    plan = catalog.plans[task.year]
    reported = state.reported
    latest = None
    if reported is not None:
        latest = Progress(reported.date, reported.progress, reported.state == "done", reported.evidence)
    assessment = assess(task, plan.task_rules, plan.starts_on, latest, day)
    # The lead of the day while the plan runs (it follows a merger); for a past plan, the lead at its deadline.
    lead = catalog.task_lead(task, day if day.year == task.year else task.deadline)
    alert_state, decision = decide_task(state.alert, assessment, task, plan.task_rules, lead)
    row = _state_row(task.code, reported, assessment, lead, alert_state)
    batch.current[task.code] = TaskCurrent(reported, alert_state, row)
    if row != state.stored:
        batch.rows.append(row)
    if decision.changed:
        alert = TaskAlert(task, assessment, decision, now)
        batch.alerts.append(alert)
        batch.rows.extend(alert.rows())


def _report_row(report: TaskReport, message: Message, latest: bool) -> TaskReportRow:
    return TaskReportRow(
        task_code=report.task,
        report_id=report.id,
        source=report.source,
        report_date=report.date,
        progress=report.progress,
        state=report.state,
        evidence=report.evidence,
        note=report.note,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        latest=latest,
    )


def _state_row(
    code: str, reported: Reported | None, assessment: TaskAssessment, lead: str, alert: TaskAlertState
) -> TaskStateRow:
    return TaskStateRow(
        task_code=code,
        report_id=reported.report_id if reported else None,
        report_date=reported.date if reported else None,
        progress=assessment.progress,
        state=reported.state if reported else None,
        evidence=reported.evidence if reported else "",
        report_source=reported.source if reported else "",
        report_offset=reported.offset if reported else None,
        status=assessment.status.value,
        expected=round(assessment.expected, 6),
        days_left=assessment.days_left,
        silent_days=assessment.silent_days,
        reason_vi=assessment.reason_vi,
        reason_en=assessment.reason_en,
        lead_unit=lead,
        evaluated_on=assessment.day,
        alert_settled=alert.settled.value if alert.settled else None,
        alert_pending=alert.pending.value if alert.pending else None,
        alerts_open=tuple(sorted(k.value for k in alert.open)),
        reminded=alert.reminded,
    )
