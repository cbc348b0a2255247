"""Status of an indicator for a unit: the eight codes, their labels and the rules that assign them."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

from index_engine.catalog import Direction

ON_TRACK_MIN: Final = 0.95
"""R at or above this is on track (Open SDG: ≥ 95% of the required growth)."""

AT_RISK_MIN: Final = 0.60
"""R at or above this (and below :data:`ON_TRACK_MIN`) is at risk; below it, off track."""

STALE_AFTER: Final = 1.5
"""An indicator with no data for this many times its expected cadence is stale."""


class Status(StrEnum):
    """The status codes, stable strings used in the database, alerts and dashboards."""

    ACHIEVED = "achieved"
    COMPLETED = "completed"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    DETERIORATING = "deteriorating"
    STALE = "stale"
    NO_TARGET = "no_target"

    @property
    def label_vi(self) -> str:
        """The Vietnamese label shown on dashboards."""
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The English label."""
        return _LABELS[self][1]

    @property
    def severity(self) -> int:
        """How bad the status is for progress: 0 for met or neutral, up to 4 for deteriorating."""
        return _SEVERITY.get(self, 0)

    @property
    def is_problem(self) -> bool:
        """Whether the status calls for action (at risk, off track, deteriorating)."""
        return self.severity >= _SEVERITY[Status.AT_RISK]


_LABELS: Final = {
    Status.ACHIEVED: ("Đạt", "Achieved"),
    Status.COMPLETED: ("Hoàn thành", "Completed"),
    Status.ON_TRACK: ("Đúng tiến độ", "On track"),
    Status.AT_RISK: ("Có nguy cơ", "At risk"),
    Status.OFF_TRACK: ("Chậm tiến độ", "Off track"),
    Status.DETERIORATING: ("Suy giảm", "Deteriorating"),
    Status.STALE: ("Thiếu dữ liệu", "Stale"),
    Status.NO_TARGET: ("Chưa có chỉ tiêu", "No target"),
}

# Stale and no-target say nothing about progress: they are handled apart from this scale.
_SEVERITY: Final = {Status.ON_TRACK: 1, Status.AT_RISK: 2, Status.OFF_TRACK: 3, Status.DETERIORATING: 4}


def stale_cutoff(now: dt.datetime, cadence_hours: float) -> dt.datetime:
    """Data that last came at or before this time is stale: 1.5× the expected cadence before ``now``."""
    return now - dt.timedelta(hours=STALE_AFTER * cadence_hours)


def is_fresh(last_seen: dt.datetime | None, now: dt.datetime, cadence_hours: float) -> bool:
    """Whether data arrived within 1.5× the expected cadence; at exactly 1.5× it is already stale."""
    return last_seen is not None and last_seen > stale_cutoff(now, cadence_hours)


def progress_status(progress: float) -> Status:
    """The status for a progress ratio R of an indicator not yet at target."""
    if progress >= ON_TRACK_MIN:
        return Status.ON_TRACK
    if progress >= AT_RISK_MIN:
        return Status.AT_RISK
    if progress >= 0:
        return Status.OFF_TRACK
    return Status.DETERIORATING


def classify(
    value: float | None,
    target: float | None,
    progress: float | None,
    fresh: bool,
    completed: bool = False,
    direction: Direction = "up",
) -> Status:
    """Assign the status; the first rule that holds wins.

    completed (confirmed by the lead unit) · no_target · stale (no fresh data) · achieved (d(x−T) ≥ 0,
    provisional until confirmed) · on_track / at_risk / off_track / deteriorating by R.
    """
    if completed:
        return Status.COMPLETED
    if target is None:
        return Status.NO_TARGET
    if not fresh or value is None:
        return Status.STALE
    d = 1 if direction == "up" else -1
    if d * (value - target) >= 0:
        return Status.ACHIEVED
    return progress_status(progress if progress is not None else 0.0)
