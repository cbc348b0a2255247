"""Every dashboard and alert query runs against the real migrated database after Grafana's macro expansion.

The scenario is written into the tables behind the public views (storage schema: dti.unit, dti.indicator,
dti.target, dti.indicator_value, dti.indicator_status, dti.unit_score, dti.alert), then each panel's SQL is expanded
as Grafana would and executed; its columns must be the ones the panel expects. Every test runs on both flavours:
plain PostgreSQL (the test stack's server) and TimescaleDB (the PGlite engine).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest

from grafana import queries as q
from grafana.builders.unit import UNIT
from grafana.generate import build_all
from grafana.macros import QueryContext, expand
from index_engine.catalog import load_catalog
from streams.reference import load_reference
from tests.integration.timescale_engine import flavour_database, timescale, timescale_installed

__all__ = ["flavour_database", "timescale", "timescale_installed"]

pytestmark = pytest.mark.integration

NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
PERIOD = NOW.astimezone(dt.timezone(dt.timedelta(hours=7))).year
UNITS = {"QN": ("Tỉnh Quảng Ninh", "province", None), "HALONG": ("Thành phố Hạ Long", "locality", "QN"),
         "CAMPHA": ("Thành phố Cẩm Phả", "locality", "QN")}  # fmt: skip
INDICATORS = {"CQS-04": ("CQS", "Hồ sơ xử lý hoàn toàn trực tuyến", "TTPVHCC"),
              "KTS-02": ("KTS", "Doanh nghiệp nộp thuế điện tử", "CUCTHUE"),
              "XHS-03": ("XHS", "Hộ gia đình có cáp quang", "STTTT"),
              "NT-02": ("NT", "HTTT được phê duyệt cấp độ ATTT", "STTTT")}  # fmt: skip

# (indicator, unit, value, target, expected, projected, status) at NOW
BEHIND = [
    ("CQS-04", "QN", 85.0, 80.0, 60.0, 90.0, "achieved"),
    ("CQS-04", "HALONG", 40.0, 80.0, 60.0, 45.0, "off_track"),
    ("CQS-04", "CAMPHA", 55.0, 80.0, 60.0, 70.0, "at_risk"),
    ("KTS-02", "QN", 98.0, 99.0, 97.0, 99.5, "on_track"),
    ("KTS-02", "HALONG", 90.0, 99.0, 97.0, 88.0, "deteriorating"),
    ("XHS-03", "QN", 89.0, 88.0, 80.0, 90.0, "completed"),
    ("XHS-03", "CAMPHA", 70.0, 88.0, 80.0, 75.0, "off_track"),
    ("NT-02", "QN", 50.0, 100.0, 70.0, 60.0, "at_risk"),
]
FIRING = {("CQS-04", "HALONG"), ("CQS-04", "CAMPHA"), ("KTS-02", "HALONG"), ("XHS-03", "CAMPHA"), ("NT-02", "QN")}
ON_TRACK = [(i, u, v, t, e, p, "on_track" if (i, u) in FIRING else s) for i, u, v, t, e, p, s in BEHIND]
WORKER_BEHIND = ("at_risk", "off_track", "deteriorating")


def _connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    # No server-side prepared statements: the TimescaleDB engine shares one backend between clients.
    return psycopg.connect(url, prepare_threshold=None)


def _fill(url: str, rows: list[tuple[str, str, float, float, float, float, str]]) -> None:
    with _connect(url) as conn:
        for code, (name, group, parent) in UNITS.items():
            conn.execute(
                """INSERT INTO dti.unit (code, name_vi, name_en, kind, parent_code, peer_group, valid_from)
                   VALUES (%s, %s, %s, %s, %s, %s, '2023-01-01') ON CONFLICT DO NOTHING""",
                (code, name, code, group, parent, group),
            )
        for code, (pillar, name, lead) in INDICATORS.items():
            conn.execute(
                """INSERT INTO dti.indicator (code, pillar, name_vi, name_en, numerator_metric, denominator_metric,
                       scale, direction, aggregation, cadence_hours, lead_unit, source_system, assumed)
                   VALUES (%s, %s, %s, %s, 'n', 'd', 100, 'up', 'ytd', 24, %s, 'src', false)
                   ON CONFLICT DO NOTHING""",
                (code, pillar, name, code, lead),
            )
        for indicator, unit, value, target, expected, projected, status in rows:
            conn.execute(
                """INSERT INTO dti.target (indicator_code, unit_code, period, baseline, target, tolerance,
                       baseline_assumed, target_assumed)
                   VALUES (%s, %s, %s, 20, %s, 5, true, false) ON CONFLICT DO NOTHING""",
                (indicator, unit, PERIOD, target),
            )
            for hours_ago in (48, 24, 0):
                bucket = NOW - dt.timedelta(hours=hours_ago)
                conn.execute(
                    """INSERT INTO dti.indicator_value (indicator_code, unit_code, bucket, period, ts, value,
                           numerator, denominator, version)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, 100, 1)""",
                    (indicator, unit, bucket, PERIOD, bucket, value - hours_ago / 24, value - hours_ago / 24),
                )
            score = max(0.0, min(1.0, (value - 20) / (target - 20)))
            conn.execute(
                """INSERT INTO dti.indicator_status (indicator_code, unit_code, bucket, period, ts, status, score,
                       attainment, baseline, target, expected, projected, progress, shortfall, fresh, version)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 20, %s, %s, %s, %s, %s, true, 1)""",
                (indicator, unit, NOW, PERIOD, NOW, status, score, value / target, target, expected, projected,
                 (projected - 20) / (target - 20), expected - value),
            )  # fmt: skip
            if (indicator, unit) in FIRING and status in WORKER_BEHIND:
                # The worker's own alert, raised after its hysteresis: what the behind-target rule reports.
                conn.execute(
                    """INSERT INTO dti.alert (indicator_code, unit_code, kind, action, ts, status, message_vi)
                       VALUES (%s, %s, 'worsened', 'raised', %s, %s, 'Chậm so với lộ trình')""",
                    (indicator, unit, NOW, status),
                )
        for unit, (_, group, _) in UNITS.items():
            for pillar, score in (("INDEX", 0.8), ("CQS", 0.7), ("KTS", 0.9), ("XHS", 0.85), ("NT", 0.5)):
                for hours_ago in (48, 24, 0):
                    bucket = NOW - dt.timedelta(hours=hours_ago)
                    conn.execute(
                        """INSERT INTO dti.unit_score (unit_code, pillar, bucket, period, ts, score, points,
                               coverage, weight, rank, rank_of, peer_group, version)
                           VALUES (%s, %s, %s, %s, %s, %s, %s, 0.9, 1, 1, 2, %s, 1)""",
                        (unit, pillar, bucket, PERIOD, bucket, score, score * 1000, group),
                    )


def _context() -> QueryContext:
    return QueryContext(
        NOW - dt.timedelta(days=30),
        NOW + dt.timedelta(hours=1),
        dt.timedelta(hours=1),
        {"province": "QN", "unit": "HALONG", "indicator": "CQS-04", "indicator_total": "35", "year": str(PERIOD)},
    )


def _run(url: str, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    with _connect(url) as conn, conn.cursor() as cur:
        cur.execute(expand(sql, _context()).encode())
        assert cur.description is not None
        return [c.name for c in cur.description], cur.fetchall()


@pytest.fixture
def behind_db(flavour_database: str) -> str:
    _fill(flavour_database, BEHIND)
    return flavour_database


def _fill_current_map(url: str) -> None:
    """The catalog's reference data, and a CQS-04 value and status for every unit of the map in force now."""
    catalog = load_catalog()
    with _connect(url) as conn:
        load_reference(conn, catalog)
        today = NOW.astimezone(dt.timezone(dt.timedelta(hours=7))).date()
        for unit in catalog.units_on(today):
            if unit in UNITS:
                continue
            conn.execute(
                """INSERT INTO dti.indicator_value (indicator_code, unit_code, bucket, period, ts, value,
                       numerator, denominator, version)
                   VALUES ('CQS-04', %s, %s, %s, %s, 90, 90, 100, 1)""",
                (unit, NOW, PERIOD, NOW),
            )
            conn.execute(
                """INSERT INTO dti.indicator_status (indicator_code, unit_code, bucket, period, ts, status, score,
                       attainment, baseline, target, expected, projected, progress, shortfall, fresh, version)
                   VALUES ('CQS-04', %s, %s, %s, %s, 'achieved', 1, 1.125, 70, 80, 79, 91, 2.1, -11, true, 1)""",
                (unit, NOW, PERIOD, NOW),
            )


# (code, lead unit, deadline, progress, status) of this year's test tasks
TASKS = [
    ("NVQ-01", "HALONG", dt.date(PERIOD, 3, 31), 100.0, "done"),
    ("NVQ-02", "HALONG", dt.date(PERIOD, 6, 30), 40.0, "overdue"),
    ("NVQ-03", "QN", dt.date(PERIOD, 12, 31), 10.0, "at_risk"),
    ("NVQ-04", "QN", dt.date(PERIOD, 12, 31), 70.0, "on_schedule"),
]


def _fill_tasks(url: str) -> None:
    """This year's plan with four tasks, their states as the worker writes them, and an open task alert."""
    with _connect(url) as conn:
        conn.execute(
            "INSERT INTO dti.plan (period, name_vi, name_en, assumed) VALUES (%s, 'KH', 'Plan', true)"
            " ON CONFLICT DO NOTHING",
            (PERIOD,),
        )
        for code, lead, deadline, progress, status in TASKS:
            conn.execute(
                """INSERT INTO dti.task (code, period, title_vi, title_en, pillar, lead_unit, deadline, assumed)
                   VALUES (%s, %s, %s, %s, 'NT', %s, %s, true)""",
                (code, PERIOD, f"Nhiệm vụ {code}", f"Task {code}", lead, deadline),
            )
            conn.execute(
                """INSERT INTO dti.task_state (task_code, report_id, report_date, progress, state, evidence, status,
                       expected, days_left, silent_days, reason_vi, reason_en, lead_unit, evaluated_on)
                   VALUES (%s, 'r', %s, %s, %s, %s, %s, 50, 0, 0, 'lý do', 'why', %s, %s)""",
                (code, deadline, progress, "done" if status == "done" else "in_progress",
                 "QĐ 1" if status == "done" else "", status, lead, deadline),
            )  # fmt: skip
        conn.execute(
            """INSERT INTO dti.task_alert (task_code, kind, action, ts, status, message_vi, notify)
               VALUES ('NVQ-02', 'overdue', 'raised', %s, 'overdue', 'Quá hạn', '{HALONG}')""",
            (NOW,),
        )


def _fill_quarantine(url: str) -> None:
    """Three held observations: two of Hạ Long from one source, one of Cẩm Phả; a fourth already rejected."""
    rows = [
        ("q1", "etax", "HALONG", "enterprise.active", 1.5, "not_whole", "held"),
        ("q2", "etax", "HALONG", "enterprise.tax_epaying", 21733.0, "share_exceeds", "held"),
        ("q3", "dvc", "CAMPHA", "dossier.processed", 7.5, "not_whole", "held"),
        ("q4", "dvc", "CAMPHA", "dossier.processed", 8.5, "not_whole", "rejected"),
    ]
    with _connect(url) as conn:
        for obs_id, source, unit, metric, value, reason, status in rows:
            conn.execute(
                """INSERT INTO dti.quarantine (id, ts, source, metric_code, unit_code, kind, value, reason, detail_vi,
                       topic, partition, "offset", payload, status)
                   VALUES (%s, %s, %s, %s, %s, 'gauge', %s, %s, 'sửa đi', 'qndti.observations', 0, 0, '', %s)""",
                (obs_id, NOW, source, metric, unit, value, reason, status),
            )


def _fill_revised(url: str) -> None:
    """Dossier counts of Hạ Long and of Bãi Cháy ward were revised this year (as the worker writes it)."""
    with _connect(url) as conn:
        for unit in ("HALONG", "P_BAICHAY"):
            conn.execute(
                "INSERT INTO dti.revised (unit_code, metric_code, period, ts, revision) VALUES (%s,"
                " 'dossier.processed', %s, %s, 2)",
                (unit, PERIOD, NOW),
            )


@pytest.fixture
def map_db(flavour_database: str) -> str:
    _fill_current_map(flavour_database)
    _fill(flavour_database, BEHIND)
    _fill_tasks(flavour_database)
    _fill_quarantine(flavour_database)
    _fill_revised(flavour_database)
    return flavour_database


def test_revised_values_are_marked(map_db: str) -> None:
    rows = _run(map_db, q.unit_indicators("'HALONG'").sql)[1]
    marks = {row[0]: row[-1] for row in rows}
    assert marks["CQS-04"] == "đã sửa dossier.processed"
    assert {code for code, mark in marks.items() if mark} == {"CQS-04"}
    by_unit = _run(map_db, q.indicator_by_unit("'CQS-04'").sql)[1]
    # Of the units in force (the 2025 map), only the ward that revised is marked.
    assert [row[0] for row in by_unit if row[-1] == "đã sửa"] == ["Phường Bãi Cháy"]


def test_one_quarantine_alert_per_source_and_unit_with_held_observations(map_db: str) -> None:
    columns, rows = _run(map_db, q.QUARANTINE_HELD.sql)
    assert tuple(columns) == q.QUARANTINE_HELD.columns
    assert sorted(rows) == [
        ("dvc", "CAMPHA", "CAMPHA", "Thành phố Cẩm Phả", 1),
        ("etax", "HALONG", "HALONG", "Thành phố Hạ Long", 2),
    ]
    by_source = _run(map_db, q.quarantine_by_source().sql)[1]
    assert [row[:4] for row in by_source] == [
        ("etax", "Thành phố Hạ Long", 2, "not_whole, share_exceeds"),
        ("dvc", "Thành phố Cẩm Phả", 1, "not_whole"),
    ]


def test_task_queries_count_and_rank_the_tasks(map_db: str) -> None:
    assert _run(map_db, q.task_counts().sql)[1] == [("1/4", 1, 1)]
    board = _run(map_db, q.task_board("${year}").sql)[1]
    assert [(row[0], row[6]) for row in board] == [
        ("NVQ-02", "Quá hạn"),
        ("NVQ-03", "Có nguy cơ chậm"),
        ("NVQ-04", "Đúng tiến độ"),
        ("NVQ-01", "Hoàn thành"),
    ]
    assert _run(map_db, q.unit_task_rate(UNIT).sql)[1] == [(50.0, 2)]
    by_lead = _run(map_db, q.tasks_by_lead_unit("${year}").sql)[1]
    assert by_lead == [("Thành phố Hạ Long", 2, 1, 0, 1), ("Tỉnh Quảng Ninh", 2, 0, 1, 0)]
    assert [row[1:3] for row in _run(map_db, q.open_task_alerts("${year}").sql)[1]] == [("NVQ-02", "overdue")]


def test_every_panel_and_variable_query_returns_the_columns_its_panel_expects(map_db: str) -> None:
    behind_db = map_db
    artefacts = build_all(load_catalog())
    sqls = [
        t["rawSql"]
        for board in artefacts.dashboards.values()
        for panel in board["panels"]
        for t in panel["targets"]
        if "rawSql" in t
    ]
    sqls += [
        v["query"]
        for b in artefacts.dashboards.values()
        for v in b["templating"].get("list", [])
        if v["type"] == "query"
    ]
    assert len(sqls) > 30
    empty = []
    for sql in sqls:
        columns, rows = _run(behind_db, sql)
        assert tuple(columns) == q.REGISTRY[sql].columns, sql
        if not rows:
            empty.append(sql)
    assert empty == []


def _firing(url: str) -> set[tuple[str, str]]:
    columns, rows = _run(url, q.BEHIND_FLAG.sql)
    assert tuple(columns) == q.BEHIND_FLAG.columns
    flags = {(row[0], row[1]): row[-1] for row in rows}
    for query in (q.BEHIND_SEVERITY, q.BEHIND_SHORTFALL, q.BEHIND_VALUE, q.BEHIND_TARGET):
        cols, other = _run(url, query.sql)
        assert tuple(cols) == query.columns
        assert {(row[0], row[1]) for row in other} == set(flags)  # same series, so expressions join by labels
    return {series for series, flag in flags.items() if flag > 0.5}  # the rule's threshold: A > 0.5


def test_behind_target_alert_fires_for_exactly_the_behind_series(behind_db: str) -> None:
    assert _firing(behind_db) == FIRING
    _, rows = _run(behind_db, q.BEHIND_FLAG.sql)
    labels = {(r[0], r[1]): dict(zip(q.BEHIND_FLAG.columns, r, strict=True)) for r in rows}
    assert labels["CQS-04", "HALONG"]["lead_unit"] == "TTPVHCC"
    assert labels["CQS-04", "HALONG"]["pillar"] == "CQS"
    assert "status" not in labels["CQS-04", "HALONG"]  # a change of status must not make a new alert
    _, rows = _run(behind_db, q.BEHIND_SEVERITY.sql)
    severity = {(r[0], r[1]): r[-1] for r in rows}
    # off track 2, deteriorating 3, at risk 1 (the annotations' numbers); no open alert 0.
    assert severity["CQS-04", "HALONG"] == 2
    assert severity["KTS-02", "HALONG"] == 3
    assert severity["CQS-04", "CAMPHA"] == 1
    assert severity["CQS-04", "QN"] == 0


def test_an_alert_the_worker_resolved_does_not_fire(behind_db: str) -> None:
    with _connect(behind_db) as conn:
        conn.execute(
            """INSERT INTO dti.alert (indicator_code, unit_code, kind, action, ts, status)
               VALUES ('CQS-04', 'HALONG', 'worsened', 'resolved', %s, 'on_track')""",
            (NOW + dt.timedelta(minutes=5),),
        )
    assert _firing(behind_db) == FIRING - {("CQS-04", "HALONG")}


def test_the_worker_status_alone_decides_not_grafana(flavour_database: str) -> None:
    # Behind statuses without an alert of the worker (its hysteresis has not confirmed them yet): no page.
    _fill(flavour_database, BEHIND)
    with _connect(flavour_database) as conn:
        conn.execute("DELETE FROM dti.alert")
    assert _firing(flavour_database) == set()


def test_behind_target_alert_is_quiet_when_all_are_on_track(flavour_database: str) -> None:
    _fill(flavour_database, ON_TRACK)
    assert _firing(flavour_database) == set()


def test_stale_alert_queries_run(behind_db: str) -> None:
    for query in (q.STALE_FLAG, q.STALE_HOURS):
        columns, rows = _run(behind_db, query.sql)
        assert tuple(columns) == query.columns
        assert len(rows) == len(BEHIND)
    _, flags = _run(behind_db, q.STALE_FLAG.sql)
    assert all(row[-1] == 0 for row in flags)


def test_stale_pages_only_for_data_that_stopped_not_for_an_indicator_that_never_reported(behind_db: str) -> None:
    with _connect(behind_db) as conn:
        for indicator, unit in (("NT-02", "QN"), ("XHS-03", "HALONG")):  # XHS-03 at HALONG never reported
            conn.execute(
                """INSERT INTO dti.alert (indicator_code, unit_code, kind, action, ts, status)
                   VALUES (%s, %s, 'stale', 'raised', %s, 'stale')""",
                (indicator, unit, NOW),
            )
    _, flags = _run(behind_db, q.STALE_FLAG.sql)
    assert {(r[0], r[1]) for r in flags if r[-1] > 0.5} == {("NT-02", "QN")}
    assert ("XHS-03", "HALONG") not in {(r[0], r[1]) for r in flags}


def test_indicators_that_never_reported_are_listed_as_a_setup_gap(behind_db: str) -> None:
    with _connect(behind_db) as conn:
        # This year's plan sets KTS-02 for Cẩm Phả, which never sent a value; last year's target of NT-02 at Hạ
        # Long, also without data, is no longer this plan's concern.
        for indicator, unit, period in (("KTS-02", "CAMPHA", PERIOD), ("NT-02", "HALONG", PERIOD - 1)):
            conn.execute(
                """INSERT INTO dti.target (indicator_code, unit_code, period, baseline, target, tolerance,
                       baseline_assumed, target_assumed) VALUES (%s, %s, %s, 20, 99, 5, true, false)""",
                (indicator, unit, period),
            )
    columns, rows = _run(behind_db, q.never_reported().sql)
    assert tuple(columns) == q.never_reported().columns
    assert [(r[0], r[2], r[3]) for r in rows] == [("KTS-02", "Thành phố Cẩm Phả", "CUCTHUE")]


# (unit, peer group, period offset, INDEX score now, INDEX score a day ago, stored rank and rank_of) for the ranks
RANKED = [
    ("QN", "province", 0, 0.8, 0.8, None),
    ("HALONG", "locality", 0, 0.7, 0.95, None),
    ("CAMPHA", "locality", 0, 0.9, 0.6, None),
    ("UONGBI", "locality", 0, 0.7, 0.7, None),
    ("MONGCAI", "locality", 0, None, 0.99, None),
    ("DONGTRIEU", "locality", -1, 0.99, 0.99, (7, 9)),
]


def _fill_ranked(url: str) -> None:
    """Unit scores as the worker writes them: rank empty, peer group only on the INDEX row."""
    with _connect(url) as conn:
        conn.execute(
            """INSERT INTO dti.peer_group (code, name_vi, name_en, ranked)
               VALUES ('province', 'Tỉnh', 'Province', false), ('locality', 'Địa phương', 'Localities', true)"""
        )
        for unit, group, offset, now, before, stored in RANKED:
            conn.execute(
                """INSERT INTO dti.unit (code, name_vi, name_en, kind, parent_code, peer_group, valid_from)
                   VALUES (%s, %s, %s, 'city', NULL, %s, '2023-01-01')""",
                (unit, unit, unit, group),
            )
            rank, rank_of = stored or (None, None)
            for pillar, score, hours_ago in (("INDEX", before, 24), ("INDEX", now, 0), ("CQS", now, 0)):
                bucket = NOW - dt.timedelta(hours=hours_ago) + dt.timedelta(days=365 * offset)
                conn.execute(
                    """INSERT INTO dti.unit_score (unit_code, pillar, bucket, period, ts, score, coverage, rank,
                           rank_of, peer_group, version)
                       VALUES (%s, %s, %s, %s, %s, %s, 1, %s, %s, %s, 1)""",
                    (unit, pillar, bucket, PERIOD + offset, bucket, score, rank, rank_of,
                     group if pillar == "INDEX" else None),
                )  # fmt: skip


def test_unit_rank_is_computed_among_the_latest_scores_of_ranked_peers(flavour_database: str) -> None:
    _fill_ranked(flavour_database)
    shown = {}
    for unit, *_ in RANKED:
        context = QueryContext(NOW - dt.timedelta(days=30), NOW, variables={"unit": unit})
        with _connect(flavour_database) as conn, conn.cursor() as cur:
            cur.execute(expand(q.unit_rank(UNIT).sql, context).encode())
            row = cur.fetchone()
        assert row is not None
        shown[unit] = row[:2]
    # Ties share a rank; a withheld score is neither ranked nor counted; the province's group is not ranked;
    # a stored rank wins; a score of an earlier period is not ranked against this period's.
    assert shown == {
        "QN": (None, None),
        "HALONG": (2, 3),
        "CAMPHA": (1, 3),
        "UONGBI": (2, 3),
        "MONGCAI": (None, None),
        "DONGTRIEU": (7, 9),
    }
    _, rows = _run(flavour_database, "SELECT unit_code, rank, rank_of, peer_group FROM dti.unit_score_latest"
                   " WHERE pillar = 'CQS' ORDER BY unit_code")  # fmt: skip
    assert rows == [
        ("CAMPHA", 1, 3, "locality"),
        ("DONGTRIEU", 7, 9, "locality"),
        ("HALONG", 2, 3, "locality"),
        ("MONGCAI", None, None, "locality"),
        ("QN", None, None, "province"),
        ("UONGBI", 2, 3, "locality"),
    ]


def test_the_task_rule_fires_for_exactly_the_tasks_with_an_open_alert(map_db: str) -> None:
    series = {}
    for query in (q.TASK_FLAG, q.TASK_LEVEL, q.TASK_PROGRESS, q.TASK_DAYS_LEFT):
        columns, rows = _run(map_db, query.sql)
        assert tuple(columns) == query.columns
        series[query.columns[-1]] = {row[0]: float(row[-1]) for row in rows}
    assert series["open"] == {"NVQ-01": 0, "NVQ-02": 1, "NVQ-03": 0, "NVQ-04": 0}
    assert series["severity"]["NVQ-02"] == 3  # overdue
    assert series["progress"]["NVQ-02"] == 40
    assert set(series["days_left"]) == set(series["open"])  # the same series, so expressions join by labels
    labels = _run(map_db, q.TASK_FLAG.sql)[1]
    assert ("NVQ-02", "HALONG", "Thành phố Hạ Long", "Nhiệm vụ NVQ-02", "") in [row[:5] for row in labels]


def test_history_panel_shows_derived_days_apart_and_the_lineage_note(map_db: str) -> None:
    local = dt.timezone(dt.timedelta(hours=7))
    with _connect(map_db) as conn:
        for unit, day, numerator, denominator in (("VANDON", 30, 48.0, 64.0), ("DK_VANDON", 1, 4.0, 5.0)):
            ts = dt.datetime(2025, 6 if day == 30 else 7, day, 10, tzinfo=local)
            conn.execute(
                """INSERT INTO dti.indicator_value (indicator_code, unit_code, bucket, period, ts, value, numerator,
                       denominator, version)
                   VALUES ('CQS-04', %s, %s, 2025, %s, %s, %s, %s, 1)""",
                (unit, ts, ts, numerator / denominator * 100, numerator, denominator),
            )
    context = QueryContext(
        dt.datetime(2025, 6, 1, tzinfo=local), dt.datetime(2025, 8, 1, tzinfo=local), variables={"unit": "DK_VANDON"}
    )
    query = q.indicator_history("'CQS-04'", "${unit:sqlstring}")
    with _connect(map_db) as conn, conn.cursor() as cur:
        cur.execute(expand(query.sql, context).encode())
        rows = [(row[0].astimezone(local).date(), row[1], row[2]) for row in cur.fetchall()]
        # Before 1 July the special zone's line is Vân Đồn's 48/64 × 100 = 75, in the derived column only.
        assert rows == [(dt.date(2025, 6, 30), None, 75.0), (dt.date(2025, 7, 1), 80.0, None)]
        cur.execute(expand(q.unit_history_note("'P_BAICHAY'").sql, context).encode())
        note = cur.fetchone()
    assert note is not None
    assert "không so sánh được" in note[0]
    assert note[3] == "HALONG"
