"""Lineage: the observations behind an indicator's value at a unit, read back from ``dti.observation``.

The value is rebuilt the way the worker builds it, with the index engine's own rules: each unit's own metric
values from its stored observations (a delta figure counted once at its highest revision; for cumulative and
gauge metrics the newest ``ts`` of the period, then the highest revision), combined up the map of the day (for a
flow, every unit of the year so far) with :func:`index_engine.rollup.combine` (own values win, metric by metric).
Observations are kept as long as the observation store keeps them: on TimescaleDB
``QNDTI_DB_OBSERVATION_RETENTION_DAYS`` (400 days by default); plain PostgreSQL keeps them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from index_engine.catalog import Catalog, Indicator
from index_engine.periods import LOCAL_TZ, period_bounds, period_of
from index_engine.rollup import Inputs, combine
from index_engine.values import indicator_value
from streams.state import figure

Conn = psycopg.Connection[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One stored observation that counts towards the value."""

    id: str
    source: str
    unit_code: str
    metric_code: str
    ts: dt.datetime
    received_at: dt.datetime
    revision: int
    value: float


@dataclass(slots=True)
class UnitLineage:
    """One unit of the tree under the asked unit: its own values and the observations behind them."""

    unit: str
    depth: int
    own: dict[str, float] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)
    """How many observations make each own metric value."""
    evidence: list[Evidence] = field(default_factory=list)
    """The observations counted, newest first."""
    inputs: Inputs = (None, None, None)
    """Numerator, denominator and time complete, after combining the unit's children."""


@dataclass(frozen=True, slots=True)
class Lineage:
    """The rebuilt value of an indicator at a unit at ``at``, the units under it, and what the worker stored."""

    indicator: Indicator
    unit: str
    at: dt.datetime
    period: int
    units: tuple[UnitLineage, ...]
    value: float | None
    stored: tuple[float | None, float | None, float | None, dt.datetime] | None
    """The worker's newest value: numerator, denominator, value and time (``dti.indicator_latest``)."""

    @property
    def inputs(self) -> Inputs:
        """The asked unit's numerator, denominator and time complete."""
        return self.units[0].inputs


def _tree(catalog: Catalog, indicator: Indicator, unit: str, day: dt.date, depth: int = 0) -> list[tuple[str, int]]:
    out = [(unit, depth)]
    for child in catalog.rollup_children(unit, indicator, day):
        out.extend(_tree(catalog, indicator, child, day, depth + 1))
    return out


def _counted(rows: Sequence[Evidence], kind: str) -> list[Evidence]:
    """The observations the worker counts: per delta figure its highest revision; else the newest per unit."""
    if kind == "delta":
        best: dict[tuple[str, str], Evidence] = {}
        for row in rows:
            key = (row.unit_code, figure(row.id, row.revision))
            if key not in best or row.revision > best[key].revision:
                best[key] = row
        return sorted(best.values(), key=lambda e: e.ts, reverse=True)
    newest: dict[str, Evidence] = {}
    for row in rows:
        kept = newest.get(row.unit_code)
        if kept is None or (row.ts, row.revision) > (kept.ts, kept.revision):
            newest[row.unit_code] = row
    return sorted(newest.values(), key=lambda e: e.ts, reverse=True)


def _observations(conn: Conn, metric: str, units: list[str], since: dt.datetime, until: dt.datetime) -> list[Evidence]:
    rows = conn.execute(
        "SELECT id, source, unit_code, metric_code, ts, received_at, revision, value FROM dti.observation"
        " WHERE metric_code = %s AND unit_code = ANY(%s) AND ts >= %s AND ts <= %s",
        (metric, units, since, until),
    ).fetchall()
    return [Evidence(str(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], r[5], int(r[6]), float(r[7])) for r in rows]


def gather(conn: Conn, catalog: Catalog, indicator: str, unit: str, at: dt.datetime) -> Lineage:
    """The lineage of ``indicator`` at ``unit`` as of ``at`` (its local year is the period)."""
    found = catalog.indicators[indicator]
    period = period_of(at)
    day = at.astimezone(LOCAL_TZ).date()
    tree = _tree(catalog, found, unit, day)
    units = {code: UnitLineage(code, depth) for code, depth in tree}
    since, _ = period_bounds(period)
    for metric in found.metrics:
        kind = catalog.metrics[metric].kind
        for row in _counted(_observations(conn, metric, list(units), since, at), kind):
            lineage = units[row.unit_code]
            lineage.evidence.append(row)
            lineage.counted[metric] = lineage.counted.get(metric, 0) + 1
            lineage.own[metric] = lineage.own.get(metric, 0.0) + row.value if kind == "delta" else row.value
    for code, _ in reversed(tree):
        lineage = units[code]
        seen = {metric: max(e.ts for e in lineage.evidence if e.metric_code == metric) for metric in lineage.own}
        below = [units[child].inputs for child in catalog.rollup_children(code, found, day)]
        lineage.inputs = combine(found, lineage.own, seen, below)
        lineage.evidence.sort(key=lambda e: e.ts, reverse=True)
    numerator, denominator, _ = units[unit].inputs
    stored = conn.execute(
        "SELECT numerator, denominator, value, ts FROM dti.indicator_latest"
        " WHERE indicator_code = %s AND unit_code = %s AND period = %s",
        (indicator, unit, period),
    ).fetchone()
    return Lineage(
        indicator=found,
        unit=unit,
        at=at,
        period=period,
        units=tuple(units[code] for code, _ in tree),
        value=indicator_value(found, numerator, denominator),
        stored=None if stored is None else (stored[0], stored[1], stored[2], stored[3]),
    )
