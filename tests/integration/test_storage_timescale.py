"""The TimescaleDB flavour against a real TimescaleDB engine, and the same answers as the plain flavour."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from index_engine.catalog import load_catalog
from streams.db import migrate
from streams.reference import load_reference
from streams.timescale import Policies, apply_policies, flavour
from tests.integration import storage_checks as checks
from tests.integration.test_storage_schema import ALL_MIGRATIONS
from tests.integration.timescale_engine import TimescaleServer, timescale, timescale_installed

__all__ = ["timescale", "timescale_installed"]

pytestmark = pytest.mark.integration


def test_migrations_build_hypertables_aggregates_and_policies(timescale: TimescaleServer) -> None:
    assert migrate(timescale.url) == ALL_MIGRATIONS
    assert migrate(timescale.url) == []
    with timescale.connect() as conn:
        assert flavour(conn) == "timescaledb"
        hypertables = conn.execute(
            "SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables"
            " WHERE hypertable_schema = 'dti' ORDER BY 1"
        ).fetchall()
        aggregates = conn.execute(
            "SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates"
            " WHERE view_schema = 'dti' ORDER BY 1"
        ).fetchall()
        jobs = conn.execute(
            "SELECT proc_name, hypertable_name FROM timescaledb_information.jobs"
            " WHERE hypertable_schema = 'dti' ORDER BY 1, 2"
        ).fetchall()
        checks.check_time_in_unique_keys(conn)
        checks.check_view_contract(conn)
        checks.check_comments(conn)
        checks.check_roles(conn)
        # The policies follow the settings: unchanged ones stay, a new interval replaces the old one.
        assert apply_policies(conn, Policies()) == []
        changed = apply_policies(conn, Policies(compress_after=dt.timedelta(days=60)))
        compress_after = conn.execute(
            "SELECT DISTINCT config->>'compress_after' FROM timescaledb_information.jobs"
            " WHERE proc_name = 'policy_compression' AND hypertable_schema = 'dti'"
        ).fetchall()
    assert hypertables == [(name, True) for name in sorted(checks.SERIES_TABLES)]
    assert aggregates == [("indicator_value_daily", False), ("indicator_value_hourly", False)]
    assert jobs == sorted(
        [("policy_compression", name) for name in checks.SERIES_TABLES]
        + [("policy_retention", "observation")]
        + [("policy_refresh_continuous_aggregate", f"indicator_value_{w}") for w in ("hourly", "daily")]
    )
    assert len(changed) == len(checks.SERIES_TABLES)
    assert compress_after == [("60 days",)]


def test_views_answer_the_same_on_both_flavours(timescale: TimescaleServer, database_url: str) -> None:
    rows = checks.sample_rows()
    catalog = load_catalog()
    migrate(timescale.url)
    with timescale.connect() as conn:
        load_reference(conn, catalog)
    with psycopg.connect(database_url, autocommit=True) as conn:
        load_reference(conn, catalog)
    # PGlite cannot COPY over its socket server: the plain mode writes the same upserts with executemany.
    assert checks.write(timescale.url, rows, "plain") == checks.write(database_url, rows, "copy")
    with timescale.connect() as conn:
        on_timescale = checks.view_answers(conn)
    with psycopg.connect(database_url, autocommit=True) as conn:
        on_postgres = checks.view_answers(conn)
    assert all(on_postgres.values())
    assert on_timescale == on_postgres
