"""Checks shared by the storage tests of both flavours: the view contract, sample rows, roles and comments."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import psycopg
import pytest

from index_engine.observation import Observation
from streams.rows import (
    OVERALL,
    AlertRow,
    DeadLetterRow,
    IndicatorRow,
    MetricRow,
    Row,
    StatusRow,
    UnitScoreRow,
)
from streams.sink import SinkMode, prepare, write_in

Conn = psycopg.Connection[tuple[object, ...]]


def write(url: str, rows: list[Row], mode: SinkMode = "copy") -> int:
    """Upsert ``rows`` in one transaction through the worker's write path; return the rows sent."""

    async def run() -> int:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await prepare(conn, mode)
            async with conn.transaction():
                return await write_in(conn, rows, dt.timedelta(hours=1), mode)

    return asyncio.run(run())


# The public contract: the documented leading columns of each view, in order.
VIEW_COLUMNS = {
    "indicator_latest": [
        "indicator_code",
        "unit_code",
        "ts",
        "value",
        "numerator",
        "denominator",
        "target",
        "expected",
        "projected",
        "status",
        "score",
        "period",
        "bucket",
    ],
    "unit_score_latest": ["unit_code", "pillar", "ts", "score", "points", "coverage", "weight", "rank", "rank_of"],
    "unit_score_series": ["unit_code", "pillar", "bucket", "ts", "score", "points", "coverage"],
    "indicator_series": [
        "indicator_code",
        "unit_code",
        "bucket",
        "ts",
        "value",
        "numerator",
        "denominator",
        "period",
        "target",
        "baseline",
        "expected",
        "projected",
        "status",
        "score",
    ],
    "indicator_series_daily": [
        "indicator_code",
        "unit_code",
        "bucket",
        "ts",
        "value",
        "numerator",
        "denominator",
        "period",
        "target",
        "baseline",
        "expected",
        "projected",
        "status",
        "score",
    ],
    "alerts_open": ["indicator_code", "unit_code", "kind", "ts", "status", "status_vi", "status_en", "message_vi"],
}
SERIES_TABLES = (
    "indicator_value",
    "metric_value",
    "indicator_status",
    "unit_score",
    "observation",
    "alert",
    "dead_letter",
)

T0 = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)


def sample_rows() -> list[Row]:
    """A small day of CQS-04 for the province and two localities, with scores, alerts and raw data."""
    rows: list[Row] = []
    for hour in range(30):
        ts = T0 + dt.timedelta(hours=hour, minutes=10)
        for n, unit in enumerate(("QN", "HALONG", "CAMPHA")):
            num, den = 900.0 + 10 * hour + n, 1000.0 + 10 * hour
            rows.append(IndicatorRow("CQS-04", unit, 2023, ts, 100 * num / den, num, den, hour))
            rows.append(MetricRow("dossier.processed", unit, 2023, ts, den, hour))
            rows.append(
                StatusRow("CQS-04", unit, 2023, ts, "achieved", 1.0, 1.1, 70, 80, 75, 95, 1.3, None, True, hour)
            )
            rows.append(UnitScoreRow(unit, "CQS", 2023, ts, 0.9, 1.0, hour, weight=0.35))
            rows.append(UnitScoreRow(unit, OVERALL, 2023, ts, 0.8, 1.0, hour, points=800.0, rank=n + 1, rank_of=3))
            obs_id = f"igate:{unit}:{hour}"
            rows.append(
                Observation(
                    id=obs_id,
                    source="igate",
                    metric="dossier.processed",
                    unit=unit,
                    ts=ts,
                    kind="cumulative",
                    value=den,
                )
            )
    rows.append(AlertRow("CQS-04", "HALONG", "shortfall", "raised", T0, "at_risk", "Hụt", "Short", ("TTPVHCC",)))
    rows.append(AlertRow("CQS-04", "CAMPHA", "stale", "raised", T0, "stale"))
    rows.append(AlertRow("CQS-04", "CAMPHA", "stale", "resolved", T0 + dt.timedelta(hours=2), "achieved"))
    rows.append(DeadLetterRow("qndti.observations", 0, 7, T0, "invalid_json", b"{oops", "line 1"))
    return rows


def columns(conn: Conn, relation: str) -> list[str]:
    """The column names of a relation of schema dti, in order."""
    cur = conn.execute(f"SELECT * FROM dti.{relation} LIMIT 0")
    assert cur.description is not None
    return [d.name for d in cur.description]


def check_view_contract(conn: Conn) -> None:
    """Every public view starts with its documented columns."""
    for view, expected in VIEW_COLUMNS.items():
        assert columns(conn, view)[: len(expected)] == expected, view


def view_answers(conn: Conn) -> dict[str, list[tuple[Any, ...]]]:
    """What every public view answers, ordered, for comparing the flavours."""
    answers = {}
    for view in VIEW_COLUMNS:
        names = ", ".join(columns(conn, view))
        answers[view] = conn.execute(f"SELECT {names} FROM dti.{view} ORDER BY 1, 2, 3, 4").fetchall()
    return answers


def check_comments(conn: Conn) -> None:
    """Every table, view and column of schema dti has a Vietnamese / English comment."""
    missing = conn.execute(
        """
        SELECT c.relname, a.attname
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname = 'dti' AND c.relkind IN ('r', 'v', 'm', 'p')
           AND coalesce(col_description(c.oid, a.attnum), '') NOT LIKE '% / %'
        UNION ALL
        SELECT c.relname, NULL
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'dti' AND c.relkind IN ('r', 'v', 'm', 'p')
           AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE '% / %'
        ORDER BY 1, 2
        """
    ).fetchall()
    assert missing == []


def check_time_in_unique_keys(conn: Conn) -> None:
    """Every unique index of a time-series table includes its time column."""
    rows = conn.execute(
        """
        SELECT t.relname, array_agg(a.attname::text ORDER BY a.attname)
          FROM pg_index i
          JOIN pg_class t ON t.oid = i.indrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey)
         WHERE n.nspname = 'dti' AND i.indisunique AND t.relname = ANY (%s)
         GROUP BY t.relname, i.indexrelid
        """,
        (list(SERIES_TABLES),),
    ).fetchall()
    assert {name for name, _ in rows} == set(SERIES_TABLES)
    for name, cols in rows:
        assert "bucket" in cols or "ts" in cols, (name, cols)


def check_roles(conn: Conn) -> None:
    """The reader reads the views only; the writer writes series but cannot drop the schema or a table."""
    conn.execute("SET ROLE grafana_reader")
    try:
        for view in VIEW_COLUMNS:
            conn.execute(f"SELECT count(*) FROM dti.{view}").fetchone()
        for statement in (
            "SELECT count(*) FROM dti.indicator_value",
            "INSERT INTO dti.alert (indicator_code, unit_code, kind, action, ts, status)"
            " VALUES ('CQS-04', 'QN', 'stale', 'raised', now(), 'stale')",
            "DELETE FROM dti.indicator_value",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    finally:
        conn.execute("RESET ROLE")
    conn.execute("SET ROLE qndti_writer")
    try:
        conn.execute(
            "INSERT INTO dti.alert (indicator_code, unit_code, kind, action, ts, status)"
            " VALUES ('CQS-04', 'QN', 'stale', 'raised', now(), 'stale')"
        )
        for statement in ("DROP SCHEMA dti CASCADE", "DROP TABLE dti.indicator_value", "DELETE FROM dti.target"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    finally:
        conn.execute("RESET ROLE")
