"""How each row type maps to its table: columns and types, conflict key, version guard, and the SQL to write it.

The sink writes a batch of one type in two ways: COPY (binary) into a per-connection temporary staging table,
then one ``INSERT … SELECT … ON CONFLICT`` (the fast path), or one ``executemany`` of ``INSERT … VALUES … ON
CONFLICT`` for engines without COPY. Both end with the same upsert, so they write the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from index_engine.observation import Observation
from streams.rows import (
    AlertRow,
    DeadLetterRow,
    IndicatorRow,
    MetricRow,
    QuarantineRow,
    RevisedRow,
    Row,
    StateCellRow,
    StateContributionRow,
    StateIndicatorRow,
    StateUnitRow,
    StatusRow,
    TaskAlertRow,
    TaskReportRow,
    TaskStateRow,
    UnitScoreRow,
)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

Params = tuple[Any, ...]


def bucket_of(ts: dt.datetime, size: dt.timedelta) -> dt.datetime:
    """The start of the time bucket of ``size`` (aligned to the UTC epoch) that ``ts`` falls in."""
    return _EPOCH + ((ts - _EPOCH) // size) * size


@dataclass(frozen=True, slots=True)
class Current:
    """The table of a time-series table's current rows: the newest row of each ``key`` by bucket, then ts.

    The sink upserts it from the rows its staged batch wrote, in the same statement (migration 0090); its
    session turns the row trigger that keeps it for other writers off.
    """

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]

    def upsert_from(self, written: str) -> str:
        """``written`` (an upsert of the base table) returning its rows, then the newest of each key upserted here."""
        names = ", ".join(f'"{c}"' for c in self.columns)
        key = ", ".join(f'"{c}"' for c in self.key)
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in self.columns if c not in self.key)
        # Identifiers come from the constant table specs below, never from data.
        return (
            f"WITH written AS ({written} RETURNING {names})"  # noqa: S608
            f" INSERT INTO {self.name} AS c ({names})"
            f" SELECT DISTINCT ON ({key}) {names} FROM written ORDER BY {key}, bucket DESC, ts DESC"
            f" ON CONFLICT ({key}) DO UPDATE SET {sets} WHERE EXCLUDED.bucket >= c.bucket"
        )


@dataclass(frozen=True, slots=True)
class Table:
    """One table the sink writes, and how a row becomes its parameters.

    ``params`` returns the values of ``columns`` in order; its leading values are the conflict ``key``.
    """

    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    params: Callable[[Any, dt.timedelta], Params]
    versioned: bool = True
    updates: bool = True
    stamped: bool = True
    current: Current | None = None
    """Its current-row table, which the staged upsert keeps too (``None``: none, or kept by a trigger only)."""

    @property
    def stage(self) -> str:
        """The temporary staging table of this table."""
        return "stage_" + self.name.rpartition(".")[2]

    @property
    def names(self) -> str:
        """The column list, quoted."""
        return ", ".join(f'"{c}"' for c, _ in self.columns)

    @property
    def types(self) -> list[str]:
        """The PostgreSQL types of the columns, for binary COPY."""
        return [t for _, t in self.columns]

    def create_stage(self) -> str:
        """DDL of the staging table (emptied at each commit)."""
        cols = ", ".join(f'"{c}" {t}' for c, t in self.columns)
        return f"CREATE TEMP TABLE IF NOT EXISTS {self.stage} ({cols}) ON COMMIT DELETE ROWS"

    def copy(self) -> str:
        """COPY of a batch into the staging table."""
        return f"COPY {self.stage} ({self.names}) FROM STDIN (FORMAT BINARY)"

    def copy_straight(self) -> str:
        """COPY of a batch straight into the table (insert-only tables, when none of its keys is stored yet)."""
        return f"COPY {self.name} ({self.names}) FROM STDIN (FORMAT BINARY)"

    def _conflict(self) -> str:
        key = ", ".join(f'"{c}"' for c in self.key)
        if not self.updates:
            return f"ON CONFLICT ({key}) DO NOTHING"
        sets = [f'"{c}" = EXCLUDED."{c}"' for c, _ in self.columns if c not in self.key]
        if self.stamped:
            sets.append("written_at = now()")
        guard = f" WHERE {self.name}.version <= EXCLUDED.version" if self.versioned else ""
        return f"ON CONFLICT ({key}) DO UPDATE SET {', '.join(sets)}{guard}"

    def upsert_staged(self) -> str:
        """The upsert of the staged batch, with its current rows where the table has a :class:`Current`."""
        # Identifiers come from the constant table specs below, never from data.
        staged = f"INSERT INTO {self.name} ({self.names}) SELECT {self.names} FROM {self.stage} {self._conflict()}"  # noqa: S608
        return staged if self.current is None else self.current.upsert_from(staged)

    def upsert_values(self) -> str:
        """The upsert of one row, for ``executemany``."""
        marks = ", ".join(["%s"] * len(self.columns))
        return f"INSERT INTO {self.name} ({self.names}) VALUES ({marks}) {self._conflict()}"  # noqa: S608

    def batch(self, rows: Sequence[Any], bucket: dt.timedelta) -> list[Params]:
        """The parameters of ``rows``, one per key: the newest version wins, else the last row given.

        A table that never updates gets every row: the database keeps the first of a key and skips the others
        (``DO NOTHING``), as it does for a key stored by an earlier batch.
        """
        if not self.updates:
            return [self.params(row, bucket) for row in rows]
        width = len(self.key)
        newest: dict[Params, Params] = {}
        if self.versioned:
            # The version is the last column of versioned tables.
            for row in rows:
                params = self.params(row, bucket)
                key = params[:width]
                kept = newest.get(key)
                if kept is None or kept[-1] <= params[-1]:
                    newest[key] = params
        else:
            for row in rows:
                params = self.params(row, bucket)
                newest[params[:width]] = params
        return list(newest.values())


def _indicator(r: IndicatorRow, bucket: dt.timedelta) -> Params:
    return (
        r.indicator_code,
        r.unit_code,
        bucket_of(r.ts, bucket),
        r.period,
        r.ts,
        r.value,
        r.numerator,
        r.denominator,
        r.version,
    )


def _metric(r: MetricRow, bucket: dt.timedelta) -> Params:
    return (r.metric_code, r.unit_code, bucket_of(r.ts, bucket), r.period, r.ts, r.value, r.version)


def _status(r: StatusRow, bucket: dt.timedelta) -> Params:
    return (
        r.indicator_code,
        r.unit_code,
        bucket_of(r.ts, bucket),
        r.period,
        r.ts,
        r.status,
        r.score,
        r.attainment,
        r.baseline,
        r.target,
        r.expected,
        r.projected,
        r.progress,
        r.shortfall,
        r.fresh,
        r.version,
    )


def _unit_score(r: UnitScoreRow, bucket: dt.timedelta) -> Params:
    return (
        r.unit_code,
        r.pillar,
        bucket_of(r.ts, bucket),
        r.period,
        r.ts,
        r.score,
        r.points,
        r.coverage,
        r.weight,
        r.rank,
        r.rank_of,
        r.peer_group,
        r.version,
    )


def _alert(r: AlertRow, _: dt.timedelta) -> Params:
    return (
        r.indicator_code,
        r.unit_code,
        r.kind,
        r.ts,
        r.action,
        r.status,
        r.message_vi,
        r.message_en,
        list(r.notify),
    )


def _observation(o: Observation, _: dt.timedelta) -> Params:
    return (o.id, o.ts, o.source, o.metric, o.unit, o.kind, o.value, o.revision)


def _dead_letter(r: DeadLetterRow, _: dt.timedelta) -> Params:
    return (r.topic, r.partition, r.offset, r.ts, r.reason, r.detail, r.payload)


def _state_unit(r: StateUnitRow, _: dt.timedelta) -> Params:
    return (r.unit_code, r.version)


def _state_cell(r: StateCellRow, _: dt.timedelta) -> Params:
    return (r.unit_code, r.metric_code, r.period, r.ts, r.value, r.revision)


def _state_contribution(r: StateContributionRow, _: dt.timedelta) -> Params:
    return (
        r.parent_code,
        r.indicator_code,
        r.period,
        r.child_code,
        r.version,
        r.ts,
        r.numerator,
        r.denominator,
        r.seen,
    )


def _state_indicator(r: StateIndicatorRow, _: dt.timedelta) -> Params:
    return (r.unit_code, r.indicator_code, r.memory)


def _task_report(r: TaskReportRow, _: dt.timedelta) -> Params:
    return (
        r.task_code,
        r.report_id,
        r.source,
        r.report_date,
        r.progress,
        r.state,
        r.evidence,
        r.note,
        r.topic,
        r.partition,
        r.offset,
        r.latest,
    )


def _task_state(r: TaskStateRow, _: dt.timedelta) -> Params:
    return (
        r.task_code,
        r.report_id,
        r.report_date,
        r.progress,
        r.state,
        r.evidence,
        r.report_source,
        r.report_offset,
        r.status,
        r.expected,
        r.days_left,
        r.silent_days,
        r.reason_vi,
        r.reason_en,
        r.lead_unit,
        r.evaluated_on,
        r.alert_settled,
        r.alert_pending,
        list(r.alerts_open),
        r.reminded,
    )


def _quarantine(r: QuarantineRow, _: dt.timedelta) -> Params:
    return (
        r.id,
        r.ts,
        r.source,
        r.metric_code,
        r.unit_code,
        r.kind,
        r.value,
        r.revision,
        r.reason,
        r.detail_vi,
        r.detail_en,
        r.topic,
        r.partition,
        r.offset,
        r.payload,
    )


def _revised(r: RevisedRow, _: dt.timedelta) -> Params:
    return (r.unit_code, r.metric_code, r.period, r.ts, r.revision)


def _task_alert(r: TaskAlertRow, _: dt.timedelta) -> Params:
    return (r.task_code, r.kind, r.ts, r.action, r.status, r.message_vi, r.message_en, list(r.notify))


_TEXT, _TS, _INT, _BIGINT, _FLOAT, _BOOL = "text", "timestamptz", "int4", "int8", "float8", "bool"
_DATE = "date"

TABLES: dict[type[Row], Table] = {
    IndicatorRow: Table(
        "dti.indicator_value",
        (
            ("indicator_code", _TEXT),
            ("unit_code", _TEXT),
            ("bucket", _TS),
            ("period", _INT),
            ("ts", _TS),
            ("value", _FLOAT),
            ("numerator", _FLOAT),
            ("denominator", _FLOAT),
            ("version", _BIGINT),
        ),
        ("indicator_code", "unit_code", "bucket"),
        _indicator,
        current=Current(
            "dti.indicator_value_current",
            ("indicator_code", "unit_code", "bucket", "period", "ts", "value", "numerator", "denominator"),
            ("indicator_code", "unit_code"),
        ),
    ),
    MetricRow: Table(
        "dti.metric_value",
        (
            ("metric_code", _TEXT),
            ("unit_code", _TEXT),
            ("bucket", _TS),
            ("period", _INT),
            ("ts", _TS),
            ("value", _FLOAT),
            ("version", _BIGINT),
        ),
        ("metric_code", "unit_code", "bucket"),
        _metric,
    ),
    StatusRow: Table(
        "dti.indicator_status",
        (
            ("indicator_code", _TEXT),
            ("unit_code", _TEXT),
            ("bucket", _TS),
            ("period", _INT),
            ("ts", _TS),
            ("status", _TEXT),
            ("score", _FLOAT),
            ("attainment", _FLOAT),
            ("baseline", _FLOAT),
            ("target", _FLOAT),
            ("expected", _FLOAT),
            ("projected", _FLOAT),
            ("progress", _FLOAT),
            ("shortfall", _FLOAT),
            ("fresh", _BOOL),
            ("version", _BIGINT),
        ),
        ("indicator_code", "unit_code", "bucket"),
        _status,
        current=Current(
            "dti.indicator_status_current",
            (
                "indicator_code",
                "unit_code",
                "period",
                "bucket",
                "ts",
                "status",
                "score",
                "attainment",
                "baseline",
                "target",
                "expected",
                "projected",
                "progress",
                "fresh",
            ),
            ("indicator_code", "unit_code", "period"),
        ),
    ),
    UnitScoreRow: Table(
        "dti.unit_score",
        (
            ("unit_code", _TEXT),
            ("pillar", _TEXT),
            ("bucket", _TS),
            ("period", _INT),
            ("ts", _TS),
            ("score", _FLOAT),
            ("points", _FLOAT),
            ("coverage", _FLOAT),
            ("weight", _FLOAT),
            ("rank", _INT),
            ("rank_of", _INT),
            ("peer_group", _TEXT),
            ("version", _BIGINT),
        ),
        ("unit_code", "pillar", "bucket"),
        _unit_score,
        current=Current(
            "dti.unit_score_current",
            (
                "unit_code",
                "pillar",
                "bucket",
                "period",
                "ts",
                "score",
                "points",
                "coverage",
                "weight",
                "rank",
                "rank_of",
                "peer_group",
            ),
            ("unit_code", "pillar"),
        ),
    ),
    AlertRow: Table(
        "dti.alert",
        (
            ("indicator_code", _TEXT),
            ("unit_code", _TEXT),
            ("kind", _TEXT),
            ("ts", _TS),
            ("action", _TEXT),
            ("status", _TEXT),
            ("message_vi", _TEXT),
            ("message_en", _TEXT),
            ("notify", "text[]"),
        ),
        ("indicator_code", "unit_code", "kind", "ts", "action"),
        _alert,
        versioned=False,
    ),
    Observation: Table(
        "dti.observation",
        (
            ("id", _TEXT),
            ("ts", _TS),
            ("source", _TEXT),
            ("metric_code", _TEXT),
            ("unit_code", _TEXT),
            ("kind", _TEXT),
            ("value", _FLOAT),
            ("revision", _BIGINT),
        ),
        ("id", "ts"),
        _observation,
        versioned=False,
        updates=False,
        stamped=False,
    ),
    DeadLetterRow: Table(
        "dti.dead_letter",
        (
            ("topic", _TEXT),
            ("partition", _INT),
            ("offset", _BIGINT),
            ("ts", _TS),
            ("reason", _TEXT),
            ("detail", _TEXT),
            ("payload", "bytea"),
        ),
        ("topic", "partition", "offset", "ts"),
        _dead_letter,
        versioned=False,
    ),
    StateUnitRow: Table(
        "dti.state_unit",
        (("unit_code", _TEXT), ("version", _BIGINT)),
        ("unit_code",),
        _state_unit,
        versioned=False,
        stamped=False,
    ),
    StateCellRow: Table(
        "dti.state_cell",
        (
            ("unit_code", _TEXT),
            ("metric_code", _TEXT),
            ("period", _INT),
            ("ts", _TS),
            ("value", _FLOAT),
            ("revision", _BIGINT),
        ),
        ("unit_code", "metric_code", "period"),
        _state_cell,
        versioned=False,
        stamped=False,
    ),
    StateContributionRow: Table(
        "dti.state_contribution",
        (
            ("parent_code", _TEXT),
            ("indicator_code", _TEXT),
            ("period", _INT),
            ("child_code", _TEXT),
            ("version", _BIGINT),
            ("ts", _TS),
            ("numerator", _FLOAT),
            ("denominator", _FLOAT),
            ("seen", _TS),
        ),
        ("parent_code", "indicator_code", "period", "child_code"),
        _state_contribution,
        versioned=False,
        stamped=False,
    ),
    StateIndicatorRow: Table(
        "dti.state_indicator",
        (("unit_code", _TEXT), ("indicator_code", _TEXT), ("memory", "bytea")),
        ("unit_code", "indicator_code"),
        _state_indicator,
        versioned=False,
        stamped=False,
    ),
    TaskReportRow: Table(
        "dti.task_report",
        (
            ("task_code", _TEXT),
            ("report_id", _TEXT),
            ("source", _TEXT),
            ("report_date", _DATE),
            ("progress", _FLOAT),
            ("state", _TEXT),
            ("evidence", _TEXT),
            ("note", _TEXT),
            ("topic", _TEXT),
            ("partition", _INT),
            ("offset", _BIGINT),
            ("latest", _BOOL),
        ),
        ("task_code", "report_id"),
        _task_report,
        versioned=False,
        updates=False,
        stamped=False,
    ),
    TaskStateRow: Table(
        "dti.task_state",
        (
            ("task_code", _TEXT),
            ("report_id", _TEXT),
            ("report_date", _DATE),
            ("progress", _FLOAT),
            ("state", _TEXT),
            ("evidence", _TEXT),
            ("report_source", _TEXT),
            ("report_offset", _BIGINT),
            ("status", _TEXT),
            ("expected", _FLOAT),
            ("days_left", _INT),
            ("silent_days", _INT),
            ("reason_vi", _TEXT),
            ("reason_en", _TEXT),
            ("lead_unit", _TEXT),
            ("evaluated_on", _DATE),
            ("alert_settled", _TEXT),
            ("alert_pending", _TEXT),
            ("alerts_open", "text[]"),
            ("reminded", _BOOL),
        ),
        ("task_code",),
        _task_state,
        versioned=False,
    ),
    TaskAlertRow: Table(
        "dti.task_alert",
        (
            ("task_code", _TEXT),
            ("kind", _TEXT),
            ("ts", _TS),
            ("action", _TEXT),
            ("status", _TEXT),
            ("message_vi", _TEXT),
            ("message_en", _TEXT),
            ("notify", "text[]"),
        ),
        ("task_code", "kind", "ts", "action"),
        _task_alert,
        versioned=False,
    ),
    QuarantineRow: Table(
        "dti.quarantine",
        (
            ("id", _TEXT),
            ("ts", _TS),
            ("source", _TEXT),
            ("metric_code", _TEXT),
            ("unit_code", _TEXT),
            ("kind", _TEXT),
            ("value", _FLOAT),
            ("revision", _BIGINT),
            ("reason", _TEXT),
            ("detail_vi", _TEXT),
            ("detail_en", _TEXT),
            ("topic", _TEXT),
            ("partition", _INT),
            ("offset", _BIGINT),
            ("payload", "bytea"),
        ),
        ("id", "ts"),
        _quarantine,
        versioned=False,
        updates=False,
        stamped=False,
    ),
    RevisedRow: Table(
        "dti.revised",
        (("unit_code", _TEXT), ("metric_code", _TEXT), ("period", _INT), ("ts", _TS), ("revision", _BIGINT)),
        ("unit_code", "metric_code", "period"),
        _revised,
        versioned=False,
    ),
}
