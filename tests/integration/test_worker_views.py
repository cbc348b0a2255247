"""The real worker's writes fill the public views the dashboards read, on plain PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import psycopg
import pytest

from grafana import queries as q
from grafana.generate import build_all
from grafana.macros import QueryContext, expand
from index_engine.catalog import load_catalog
from streams.reference import load_reference
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.integration.conftest import WorkerProcess, wait_for
from tests.integration.scenarios import LOCALITIES, START, dossier_stream, produce

pytestmark = pytest.mark.integration

CQS04_EVALUATED = """
SELECT unit_code, status IS NOT NULL, score IS NOT NULL, target, lead_unit, status_vi IS NOT NULL
  FROM dti.indicator_latest WHERE indicator_code = 'CQS-04' ORDER BY unit_code
"""
UNITS = sorted([*LOCALITIES, "QN"])
CONTEXT = QueryContext(
    START - dt.timedelta(days=1),
    START + dt.timedelta(days=1),
    dt.timedelta(hours=1),
    {"province": "QN", "unit": "HALONG", "indicator": "CQS-04", "indicator_total": "35", "year": "2023"},
)


def test_worker_writes_fill_indicator_latest_and_unit_score_latest(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    catalog = load_catalog()
    # What `qndti db migrate` does after the migrations: the catalog's reference data.
    with psycopg.connect(database_url, autocommit=True) as conn:
        load_reference(conn, catalog)
    produce(stack.kafka_bootstrap, topics, dossier_stream(seed=11, steps=4))

    worker_factory().start()

    lead = catalog.indicators["CQS-04"].lead_unit
    wait_for(
        database_url,
        CQS04_EVALUATED,
        [(unit, True, True, 80.0, lead, True) for unit in UNITS],
        what="CQS-04 values with status, score and target for QN and its localities",
    )
    with psycopg.connect(database_url) as conn:
        index = conn.execute(
            """SELECT unit_code, peer_group, score, coverage, rank, rank_of
                 FROM dti.unit_score_latest WHERE pillar = %s ORDER BY unit_code""",
            (q.OVERALL,),
        ).fetchall()
        series = conn.execute(
            "SELECT count(*) FROM dti.unit_score_series WHERE unit_code = 'QN' AND pillar = %s", (q.OVERALL,)
        ).fetchone()
    assert [row[0] for row in index] == UNITS
    assert series is not None
    assert series[0] >= 1
    # The province's peer group is not ranked; it still has its overall index and its coverage.
    province = next(row for row in index if row[0] == "QN")
    assert province[1] == "province"
    assert province[3] is not None
    assert province[4:] == (None, None)
    # The worker leaves rank empty; the view ranks the localities by their latest index (ties share a rank).
    scores = {row[0]: row[2] for row in index if row[1] == "locality" and row[2] is not None}
    assert scores
    expected = {unit: (1 + sum(s > score for s in scores.values()), len(scores)) for unit, score in scores.items()}
    assert {row[0]: (row[4], row[5]) for row in index if row[0] in scores} == expected

    # Every panel query runs on what the worker wrote and answers with its panel's columns.
    boards = build_all(catalog).dashboards.values()
    sqls = [t["rawSql"] for b in boards for panel in b["panels"] for t in panel["targets"] if "rawSql" in t]
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        for sql in sqls:
            cur.execute(expand(sql, CONTEXT).encode())
            assert cur.description is not None
            assert tuple(c.name for c in cur.description) == q.REGISTRY[sql].columns, sql
        cur.execute(expand(q.unit_index_trend("'HALONG'").sql, CONTEXT).encode())
        assert cur.fetchall()
