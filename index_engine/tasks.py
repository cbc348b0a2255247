"""Task status and task alerts: the newest report, the plan's rules and the day in, a status with its reasons out.

Statuses: done (reported done, with evidence) · overdue (the deadline has passed and it is not done) · at risk
(progress more than the plan's tolerance behind the share of time elapsed, or no report for longer than the
reporting cadence) · on schedule. Alerts use the hysteresis of indicators: at risk must hold for two consecutive
evaluations before it pages, and must be gone for two before it clears, so a status that flaps pages once.
Overdue pages at once (a deadline passing is a fact), done clears everything, and a reminder goes out once when
the deadline is ``reminder_days`` away. Alerts page only for tasks of the plan of the day's year: earlier plans
keep their statuses without paging anyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from index_engine.catalog import Task, TaskRules


class TaskStatus(StrEnum):
    """Where a task stands."""

    DONE = "done"
    ON_SCHEDULE = "on_schedule"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"

    @property
    def label_vi(self) -> str:
        """The Vietnamese label."""
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The English label."""
        return _LABELS[self][1]


_LABELS = {
    TaskStatus.DONE: ("Hoàn thành", "Done"),
    TaskStatus.ON_SCHEDULE: ("Đúng tiến độ", "On schedule"),
    TaskStatus.AT_RISK: ("Có nguy cơ chậm", "At risk"),
    TaskStatus.OVERDUE: ("Quá hạn", "Overdue"),
}


@dataclass(frozen=True, slots=True)
class Progress:
    """The newest accepted report of a task."""

    date: dt.date
    progress: float
    done: bool
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class TaskAssessment:
    """A task's status on one day, with the figures behind it and its reasons in Vietnamese and English."""

    task: str
    day: dt.date
    status: TaskStatus
    progress: float
    expected: float
    """Progress expected from the share of the task's time elapsed (0–100)."""
    days_left: int
    """Days from ``day`` to the deadline (negative once it has passed)."""
    silent_days: int
    """Days since the newest report, or since the plan began when there is none."""
    reason_vi: str
    reason_en: str


def _pct(value: float) -> str:
    return f"{value:.0f}%"


def assess(task: Task, rules: TaskRules, starts_on: dt.date, latest: Progress | None, day: dt.date) -> TaskAssessment:
    """The status of ``task`` on the local ``day``, given its newest report (``None``: never reported)."""
    span = max(1, (task.deadline - starts_on).days)
    elapsed = min(max((day - starts_on).days, 0), span)
    expected = 100.0 * elapsed / span
    progress = latest.progress if latest is not None else 0.0
    days_left = (task.deadline - day).days
    silent = max(0, (day - (latest.date if latest is not None else starts_on)).days)

    def result(status: TaskStatus, vi: str, en: str) -> TaskAssessment:
        return TaskAssessment(task.code, day, status, progress, expected, days_left, silent, vi, en)

    if latest is not None and latest.done:
        return result(
            TaskStatus.DONE,
            f"Hoàn thành ngày {latest.date.isoformat()}; minh chứng: {latest.evidence}",
            f"Done on {latest.date.isoformat()}; evidence: {latest.evidence}",
        )
    if days_left < 0:
        return result(
            TaskStatus.OVERDUE,
            f"Quá hạn {-days_left} ngày (hạn {task.deadline.isoformat()}), tiến độ {_pct(progress)}",
            f"{-days_left} days overdue (deadline {task.deadline.isoformat()}), progress {_pct(progress)}",
        )
    if progress < expected - rules.tolerance:
        return result(
            TaskStatus.AT_RISK,
            f"Tiến độ {_pct(progress)} chậm hơn mức kỳ vọng {_pct(expected)} theo thời gian đã qua "
            f"(ngưỡng {rules.tolerance:g} điểm %)",
            f"Progress {_pct(progress)} is behind the {_pct(expected)} expected from the time elapsed "
            f"(tolerance {rules.tolerance:g} pp)",
        )
    if silent > rules.cadence_days:
        since_vi = "báo cáo gần nhất" if latest is not None else "khi kế hoạch bắt đầu"
        since_en = "the last report" if latest is not None else "the plan began"
        return result(
            TaskStatus.AT_RISK,
            f"Không có báo cáo {silent} ngày từ {since_vi} (chu kỳ báo cáo {rules.cadence_days} ngày)",
            f"No report for {silent} days since {since_en} (reporting cadence {rules.cadence_days} days)",
        )
    return result(
        TaskStatus.ON_SCHEDULE,
        f"Tiến độ {_pct(progress)}, kỳ vọng {_pct(expected)}; còn {days_left} ngày đến hạn",
        f"Progress {_pct(progress)}, expected {_pct(expected)}; {days_left} days to the deadline",
    )


class TaskAlertKind(StrEnum):
    """What a task alert is about."""

    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    REMINDER = "reminder"


@dataclass(frozen=True, slots=True)
class TaskAlertState:
    """What the alerting remembers for one task between evaluations."""

    settled: TaskStatus | None = None
    pending: TaskStatus | None = None
    """A change between on schedule and at risk seen once, waiting for a second evaluation."""
    open: frozenset[TaskAlertKind] = frozenset()
    reminded: bool = False


@dataclass(frozen=True, slots=True)
class TaskAlertDecision:
    """Alerts to raise and resolve after one evaluation; ``notify`` is the lead unit first, then the co-leads."""

    task: str
    status: TaskStatus
    raised: tuple[TaskAlertKind, ...]
    resolved: tuple[TaskAlertKind, ...]
    notify: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """Whether anything is to be sent."""
        return bool(self.raised or self.resolved)


_SWINGING = (TaskStatus.ON_SCHEDULE, TaskStatus.AT_RISK)


def _settle(state: TaskAlertState, status: TaskStatus) -> tuple[TaskStatus, TaskStatus | None]:
    """The new settled and pending statuses: on schedule ⇄ at risk needs two evaluations in a row."""
    settled = state.settled
    if settled is None or status not in _SWINGING or settled not in _SWINGING or status is settled:
        return status, None
    if state.pending is status:
        return status, None
    return settled, status


def decide_task(
    state: TaskAlertState, assessment: TaskAssessment, task: Task, rules: TaskRules, lead_unit: str
) -> tuple[TaskAlertState, TaskAlertDecision]:
    """Apply one assessment to a task's alert state; ``lead_unit`` leads the task on the assessment's day."""
    settled, pending = _settle(state, assessment.status)
    if state.settled is None and settled is TaskStatus.AT_RISK:
        # A first evaluation at risk waits for a second, as a worsening does.
        settled, pending = TaskStatus.ON_SCHEDULE, TaskStatus.AT_RISK
    live = assessment.day.year == task.year
    wanted = {
        TaskAlertKind.OVERDUE: settled is TaskStatus.OVERDUE,
        TaskAlertKind.AT_RISK: settled is TaskStatus.AT_RISK,
        TaskAlertKind.REMINDER: settled in _SWINGING and 0 <= assessment.days_left <= rules.reminder_days,
    }
    raised: list[TaskAlertKind] = []
    resolved: list[TaskAlertKind] = []
    open_ = set(state.open)
    reminded = state.reminded
    for kind, active in wanted.items():
        if active and kind not in open_ and live and not (kind is TaskAlertKind.REMINDER and reminded):
            open_.add(kind)
            raised.append(kind)
            reminded = reminded or kind is TaskAlertKind.REMINDER
        elif not active and kind in open_ and kind is not TaskAlertKind.REMINDER:
            open_.remove(kind)
            resolved.append(kind)
        elif kind is TaskAlertKind.REMINDER and kind in open_ and settled not in _SWINGING:
            # A reminder stays open until the task is done or overdue.
            open_.remove(kind)
            resolved.append(kind)
    decision = TaskAlertDecision(
        task=task.code,
        status=assessment.status,
        raised=tuple(raised),
        resolved=tuple(resolved),
        notify=(lead_unit, *task.co_lead_units),
    )
    return TaskAlertState(settled, pending, frozenset(open_), reminded), decision


def alert_text(kind: TaskAlertKind, raised: bool, assessment: TaskAssessment, task: Task) -> tuple[str, str]:
    """The Vietnamese and English message of a task alert raised or resolved."""
    if not raised:
        return (
            f"Nhiệm vụ {task.code} hết cảnh báo ({assessment.status.label_vi}): {assessment.reason_vi}",
            f"Task {task.code} alert cleared ({assessment.status.label_en}): {assessment.reason_en}",
        )
    if kind is TaskAlertKind.REMINDER:
        return (
            f"Nhắc hạn: nhiệm vụ {task.code} đến hạn ngày {task.deadline.isoformat()} (còn {assessment.days_left} "
            f"ngày), tiến độ {_pct(assessment.progress)}",
            f"Reminder: task {task.code} is due on {task.deadline.isoformat()} ({assessment.days_left} days left), "
            f"progress {_pct(assessment.progress)}",
        )
    return (
        f"Nhiệm vụ {task.code} {assessment.status.label_vi.lower()}: {assessment.reason_vi}",
        f"Task {task.code} {assessment.status.label_en.lower()}: {assessment.reason_en}",
    )
