"""Rows the worker writes to the database: absolute values, so writing one twice is harmless.

Each row type maps to one table of schema ``dti``; rows with a ``version`` replace the stored row of the same key
only when their version is not older. :data:`OVERALL` is the pillar code of a unit's composite index. A raw
observation is written as the :class:`~index_engine.observation.Observation` itself (a repeated ``id`` at the same
``ts`` is ignored). The rows a batch makes by the thousand are msgspec structs (cheap to build); task rows
are dataclasses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import msgspec

from index_engine.observation import Observation

OVERALL = "INDEX"
"""``UnitScoreRow.pillar`` of the composite index (all pillars together)."""

AlertKind = Literal["worsened", "stale", "shortfall"]
AlertAction = Literal["raised", "resolved"]


class IndicatorRow(msgspec.Struct, frozen=True, gc=False):
    """An indicator's value for a unit and period as of ``ts`` (absolute, so rewriting it is harmless)."""

    indicator_code: str
    unit_code: str
    period: int
    ts: dt.datetime
    value: float | None
    numerator: float | None
    denominator: float | None
    version: int


class MetricRow(msgspec.Struct, frozen=True, gc=False):
    """A metric's value for a unit (year to date or latest, as the indicator reads it) as of ``ts``."""

    metric_code: str
    unit_code: str
    period: int
    ts: dt.datetime
    value: float | None
    version: int


class StatusRow(msgspec.Struct, frozen=True, gc=False):
    """An indicator's evaluation for a unit at ``ts``: score, trajectory and status (``dti.indicator_status``)."""

    indicator_code: str
    unit_code: str
    period: int
    ts: dt.datetime
    status: str
    score: float | None
    attainment: float | None
    baseline: float | None
    target: float | None
    expected: float | None
    projected: float | None
    progress: float | None
    shortfall: float | None
    fresh: bool
    version: int


class UnitScoreRow(msgspec.Struct, frozen=True, gc=False):
    """A unit's score on one pillar, or its composite index when ``pillar`` is :data:`OVERALL`, at ``ts``."""

    unit_code: str
    pillar: str
    period: int
    ts: dt.datetime
    score: float | None
    coverage: float | None
    version: int
    weight: float | None = None
    points: float | None = None
    rank: int | None = None
    rank_of: int | None = None
    peer_group: str | None = None


class AlertRow(msgspec.Struct, frozen=True, gc=False):
    """An alert raised or resolved for an indicator and unit at ``ts`` (an event: rewriting it is harmless)."""

    indicator_code: str
    unit_code: str
    kind: AlertKind
    action: AlertAction
    ts: dt.datetime
    status: str
    message_vi: str = ""
    message_en: str = ""
    notify: tuple[str, ...] = ()


class DeadLetterRow(msgspec.Struct, frozen=True, gc=False):
    """A rejected message with its reason; ``ts`` is the original message's time, so a replay rewrites it."""

    topic: str
    partition: int
    offset: int
    ts: dt.datetime
    reason: str
    payload: bytes
    detail: str = ""


class StateUnitRow(msgspec.Struct, frozen=True, gc=False):
    """A unit's state version (``dti.state_unit``)."""

    unit_code: str
    version: int


class StateCellRow(msgspec.Struct, frozen=True, gc=False):
    """A unit's own metric value in a period (``dti.state_cell``)."""

    unit_code: str
    metric_code: str
    period: int
    ts: dt.datetime
    value: float
    revision: int = 0


class StateContributionRow(msgspec.Struct, frozen=True, gc=False):
    """A child's inputs for one indicator and period as its parent holds them (``dti.state_contribution``)."""

    parent_code: str
    indicator_code: str
    period: int
    child_code: str
    version: int
    ts: dt.datetime
    numerator: float | None
    denominator: float | None
    seen: dt.datetime | None


class StateIndicatorRow(msgspec.Struct, frozen=True, gc=False):
    """An indicator's evaluation memory for a unit, msgpack-encoded (``dti.state_indicator``)."""

    unit_code: str
    indicator_code: str
    memory: bytes


@dataclass(frozen=True, slots=True)
class TaskReportRow:
    """A task progress report as received (``dti.task_report``); a repeated report id is stored once."""

    task_code: str
    report_id: str
    source: str
    report_date: dt.date
    progress: float
    state: str
    evidence: str
    note: str
    topic: str
    partition: int
    offset: int
    latest: bool


@dataclass(frozen=True, slots=True)
class TaskStateRow:
    """A task's newest report, its status on ``evaluated_on`` and its alert memory (``dti.task_state``)."""

    task_code: str
    report_id: str | None
    report_date: dt.date | None
    progress: float
    state: str | None
    evidence: str
    report_source: str
    report_offset: int | None
    status: str
    expected: float
    days_left: int
    silent_days: int
    reason_vi: str
    reason_en: str
    lead_unit: str
    evaluated_on: dt.date
    alert_settled: str | None
    alert_pending: str | None
    alerts_open: tuple[str, ...]
    reminded: bool


@dataclass(frozen=True, slots=True)
class TaskAlertRow:
    """A task alert raised or resolved at ``ts`` (``dti.task_alert``, an event: rewriting it is harmless)."""

    task_code: str
    kind: str
    action: AlertAction
    ts: dt.datetime
    status: str
    message_vi: str
    message_en: str
    notify: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    """An implausible observation kept aside with its reason (``dti.quarantine``); its original bytes too."""

    id: str
    ts: dt.datetime
    source: str
    metric_code: str
    unit_code: str
    kind: str
    value: float
    revision: int
    reason: str
    detail_vi: str
    detail_en: str
    topic: str
    partition: int
    offset: int
    payload: bytes


class RevisedRow(msgspec.Struct, frozen=True, gc=False):
    """The newest revision applied to a unit's metric in a period (``dti.revised``), for the dashboards' mark."""

    unit_code: str
    metric_code: str
    period: int
    ts: dt.datetime
    revision: int


TaskRow = TaskReportRow | TaskStateRow | TaskAlertRow
"""A row of the task tables."""

StateRow = StateUnitRow | StateCellRow | StateContributionRow | StateIndicatorRow
"""A row of the worker's own state tables."""

Row = (
    IndicatorRow
    | MetricRow
    | StatusRow
    | UnitScoreRow
    | AlertRow
    | Observation
    | DeadLetterRow
    | StateRow
    | TaskRow
    | QuarantineRow
    | RevisedRow
)
"""Any row the sink writes."""
