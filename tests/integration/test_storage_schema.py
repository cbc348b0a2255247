"""The plain-PostgreSQL flavour against the test stack's real server: migrations, reference data, views, roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from index_engine.catalog import load_catalog
from streams.db import MIGRATIONS, migrate
from streams.reference import load_reference
from streams.timescale import flavour
from tests.conftest import StackInfo
from tests.integration import storage_checks as checks

pytestmark = pytest.mark.integration

ALL_MIGRATIONS = sorted(p.name.rsplit(".", 1)[0] for p in MIGRATIONS.iterdir() if p.suffix in (".sql", ".py"))


@pytest.fixture
def empty_database(stack: StackInfo) -> Iterator[str]:
    """A new database with nothing in it."""
    name = f"e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(stack.database("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield stack.database(name)
    with psycopg.connect(stack.database("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_build_the_plain_flavour_from_empty_and_rerun_is_a_no_op(empty_database: str) -> None:
    assert migrate(empty_database) == ALL_MIGRATIONS
    with psycopg.connect(empty_database, autocommit=True) as conn:
        before = conn.execute("SELECT count(*) FROM _yoyo_migration").fetchone()
        assert flavour(conn) == "postgresql"
        checks.check_time_in_unique_keys(conn)
        checks.check_view_contract(conn)
        checks.check_comments(conn)
    assert migrate(empty_database) == []
    with psycopg.connect(empty_database, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM _yoyo_migration").fetchone() == before
        assert before == (len(ALL_MIGRATIONS),)


def test_reference_data_loads_from_the_catalog_and_reloading_changes_nothing(database_url: str) -> None:
    catalog = load_catalog()
    query = "SELECT code, xmin::text FROM dti.{} ORDER BY code"
    with psycopg.connect(database_url, autocommit=True) as conn:
        load_reference(conn, catalog)
        first = {t: conn.execute(query.format(t)).fetchall() for t in ("unit", "metric", "indicator", "pillar")}
        load_reference(conn, catalog)
        second = {t: conn.execute(query.format(t)).fetchall() for t in ("unit", "metric", "indicator", "pillar")}
    # Same rows, untouched (same xmin): the second load wrote nothing.
    assert first == second
    assert [code for code, _ in first["unit"]] == sorted(catalog.units)
    assert [code for code, _ in first["indicator"]] == sorted(catalog.indicators)


def test_views_answer_with_the_documented_columns(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        load_reference(conn, load_catalog())

    checks.write(database_url, checks.sample_rows())
    with psycopg.connect(database_url, autocommit=True) as conn:
        checks.check_view_contract(conn)
        latest = conn.execute(
            "SELECT unit_code, numerator, denominator, status, status_vi, unit_name_vi"
            " FROM dti.indicator_latest ORDER BY unit_code"
        ).fetchall()
        open_alerts = conn.execute("SELECT indicator_code, unit_code, kind FROM dti.alerts_open").fetchall()
        scores = conn.execute(
            "SELECT unit_code, score, rank FROM dti.unit_score_latest WHERE pillar = 'INDEX' ORDER BY rank"
        ).fetchall()
        hours = conn.execute(
            "SELECT count(*) FROM dti.indicator_series"
            " WHERE unit_code = 'QN' AND bucket >= '2023-06-30T03:00Z' AND bucket < '2023-07-01T09:00Z'"
        ).fetchone()
        days = conn.execute("SELECT count(*) FROM dti.indicator_series_daily WHERE unit_code = 'QN'").fetchone()
    assert latest == [
        ("CAMPHA", 1192.0, 1290.0, "achieved", "Đạt", "Thành phố Cẩm Phả"),
        ("HALONG", 1191.0, 1290.0, "achieved", "Đạt", "Thành phố Hạ Long"),
        ("QN", 1190.0, 1290.0, "achieved", "Đạt", "Tỉnh Quảng Ninh"),
    ]
    assert open_alerts == [("CQS-04", "HALONG", "shortfall")]
    assert scores == [("QN", 0.8, 1), ("HALONG", 0.8, 2), ("CAMPHA", 0.8, 3)]
    # 30 hourly buckets; local days: 30 Jun 10:10 to 1 Jul 15:10 (UTC+7) spans two.
    assert hours == (30,)
    assert days == (2,)


def test_reader_role_reads_views_only_and_writer_cannot_drop(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        checks.check_roles(conn)


REWRITTEN = (
    "consumer_offset",
    "state_unit",
    "state_cell",
    "state_contribution",
    "state_indicator",
    "indicator_value_current",
    "indicator_status_current",
    "unit_score_current",
    "alert_current",
)


def test_tables_rewritten_per_batch_keep_room_for_the_next_version_on_the_page(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        options = dict(
            conn.execute(
                "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'dti' AND c.relname = ANY(%s)",
                (list(REWRITTEN),),
            ).fetchall()
        )
        assert {name: options.get(name) for name in REWRITTEN} == {name: ["fillfactor=50"] for name in REWRITTEN}
        unit = f"T{uuid.uuid4().hex[:8]}"
        conn.execute(
            "INSERT INTO dti.state_cell (unit_code, metric_code, period, ts, value)"
            " SELECT %s, 'm' || g, 2026, now(), 0 FROM generate_series(1, 2000) g",
            (unit,),
        )
        pages = "SELECT metric_code, (ctid::text::point)[0] FROM dti.state_cell WHERE unit_code = %s"
        before = dict(conn.execute(pages, (unit,)).fetchall())
        assert len(set(before.values())) > 5  # several pages, each filled to its limit
        conn.execute("UPDATE dti.state_cell SET value = value + 1 WHERE unit_code = %s", (unit,))
        # Each new version went on its row's own page: nothing for the indexes to add.
        assert dict(conn.execute(pages, (unit,)).fetchall()) == before
