"""Rows of the public ``dti`` views that ``qndti watch`` reads, one dataclass per view (the columns it uses)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from psycopg import sql


@dataclass(frozen=True)
class ScoreRow:
    """A row of ``dti.unit_score_latest``: a unit's latest score on one pillar or its index (``INDEX``)."""

    unit_code: str
    unit_name_vi: str | None
    unit_name_en: str | None
    pillar: str
    pillar_name_vi: str | None
    pillar_name_en: str | None
    score: float | None
    points: float | None
    coverage: float | None
    rank: int | None
    rank_of: int | None
    peer_group: str | None
    ts: dt.datetime


@dataclass(frozen=True)
class TrendRow:
    """A row of ``dti.unit_score_series``: one stored score of a unit in one time bucket."""

    bucket: dt.datetime
    score: float | None
    points: float | None


@dataclass(frozen=True)
class IndicatorRow:
    """A row of ``dti.indicator_latest``: an indicator's latest value and status at one unit."""

    indicator_code: str
    indicator_name_vi: str | None
    indicator_name_en: str | None
    unit_code: str
    unit_name_vi: str | None
    unit_name_en: str | None
    pillar: str | None
    value: float | None
    value_unit: str | None
    target: float | None
    expected: float | None
    projected: float | None
    status: str | None
    status_vi: str | None
    status_en: str | None
    score: float | None
    attainment: float | None
    progress: float | None
    ts: dt.datetime | None


@dataclass(frozen=True)
class AlertRow:
    """A row of ``dti.alerts_open``: an alert raised and not yet resolved."""

    indicator_code: str
    unit_code: str
    unit_name_vi: str | None
    kind: str
    ts: dt.datetime
    status: str | None
    status_vi: str | None
    status_en: str | None
    message_vi: str | None
    message_en: str | None


@dataclass(frozen=True)
class FeedRow:
    """A row of ``dti.alert_feed``: an alert event (indicator or task), raised or resolved."""

    ts: dt.datetime
    action: str
    subject: str
    code: str
    unit_code: str | None
    kind: str
    status: str | None
    status_vi: str | None
    status_en: str | None
    message_vi: str | None
    message_en: str | None


@dataclass(frozen=True)
class TaskSummary:
    """How a plan year's tasks stand (``dti.task_latest``)."""

    period: int
    total: int
    done: int
    overdue: int
    at_risk: int


def select(row_type: type[Any], view: str) -> sql.Composed:
    """``SELECT`` the fields of a row dataclass, in order, ``FROM`` a view of schema ``dti``."""
    names: list[sql.Composable] = [sql.Identifier(f.name) for f in fields(row_type)]
    return sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(names), sql.Identifier("dti", view))
