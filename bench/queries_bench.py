"""Dashboard and alert queries on years of data: each query's median and p95 next to ``SELECT 1``.

Usage: ``python bench/queries_bench.py [--years Y] [--units U] [--indicators I] [--runs R] [--database-url URL]``.
Without a URL it starts an embedded PostgreSQL of its own on a free port in a temporary folder and migrates it.
It writes the bundled catalog's reference tables (plus synthetic localities up to U units), then Y years of
hourly rows up to now for U units × I indicators into dti.indicator_value and dti.indicator_status, hourly unit
scores for 6 pillars, and two alert events per indicator × unit and month. The fill is one INSERT … SELECT per
table on the server with the row triggers off; the current-row tables are then rebuilt from the history with the
same statement the migration uses, as a bulk load would. Every panel, variable and alert query of the generated
dashboards and rules, expanded as Grafana expands it, then runs R times on one connection, interleaved with
``SELECT 1``. Goals: every wall-screen query p95 ≤ 50 ms, every alert query p95 ≤ 200 ms.
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from common import Result, emit, free_port, log, parser

from grafana.generate import Artefacts, build_all
from grafana.macros import QueryContext, expand
from grafana.sql import POSTGRES_UID
from index_engine.catalog import load_catalog
from streams.db import migrate
from streams.reference import load_reference

WALL_SCREEN = "qndti-overview"
HISTORY_SCAN = (
    "SELECT DISTINCT ON (indicator_code, unit_code) indicator_code, unit_code, ts, value, numerator, denominator,"
    " period, bucket FROM dti.indicator_value ORDER BY indicator_code, unit_code, bucket DESC, ts DESC"
)
"""How dti.indicator_latest found the newest values before migration 0030 (timed for comparison only)."""
PILLARS = ("INDEX", "CQS", "KTS", "XHS", "NT", "OTHER")
CURRENT = {
    "indicator_value_current": ("indicator_value", "indicator_code, unit_code", "bucket DESC, ts DESC"),
    "indicator_status_current": ("indicator_status", "indicator_code, unit_code, period", "bucket DESC, ts DESC"),
    "unit_score_current": ("unit_score", "unit_code, pillar", "bucket DESC, ts DESC"),
    "alert_current": ("alert", "indicator_code, unit_code, kind", "ts DESC, action DESC"),
}


# Loading settings of the benchmark's own server while it fills (reset before any query is timed): fewer
# checkpoints and no flushes to disk. Never applied to a database given with --database-url.
LOADING = {"fsync": "off", "full_page_writes": "off", "synchronous_commit": "off", "max_wal_size": "'6GB'",
           "checkpoint_timeout": "'1h'"}  # fmt: skip


def server_settings(url: str, values: dict[str, str] | None) -> None:
    """Set the loading settings (or reset them all with None) and reload the server's configuration."""
    with psycopg.connect(url, autocommit=True) as conn:
        if values is None:
            conn.execute("CHECKPOINT")
            conn.execute("ALTER SYSTEM RESET ALL")
        for name, value in (values or {}).items():
            conn.execute(f"ALTER SYSTEM SET {name} = {value}")
        conn.execute("SELECT pg_reload_conf()")


@contextmanager
def database(url: str | None) -> Iterator[tuple[str, bool]]:
    """The given database, or an embedded PostgreSQL of the benchmark's own (True), migrated."""
    if url:
        migrate(url)
        yield url, False
        return
    from qndti.stack.postgres import EmbeddedPostgres

    # Not a TemporaryDirectory: the server may run as another user, who needs the folder until it stops.
    home = tempfile.mkdtemp(prefix="queries-bench-")
    server = EmbeddedPostgres(home=Path(home), port=free_port())
    server.start()
    try:
        migrate(server.url)
        yield server.url, True
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def fill(url: str, years: float, units: int, indicators: int) -> dict[str, int]:
    """Write the reference tables and the history; return the rows of each series table."""
    catalog = load_catalog()
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    start = now - dt.timedelta(days=round(365 * years))
    with psycopg.connect(url, autocommit=True) as conn:
        load_reference(conn, catalog)
        conn.execute(
            """INSERT INTO dti.unit (code, name_vi, name_en, kind, parent_code, peer_group, valid_from)
               SELECT 'BENCH' || lpad(n::text, 2, '0'), 'Đơn vị thử ' || n, 'Bench unit ' || n, 'locality', 'QN',
                      (SELECT peer_group FROM dti.unit WHERE code = 'HALONG'), '2020-01-01'
                 FROM generate_series(1, greatest(%s - (SELECT count(*) FROM dti.unit), 0)) AS n
               ON CONFLICT DO NOTHING""",
            (units,),
        )
        # session_replication_role = replica turns the row triggers off for the bulk load (superuser only).
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            """CREATE TEMP TABLE pairs AS
               SELECT i.code AS indicator_code, u.code AS unit_code, row_number() OVER () AS n
                 FROM (SELECT code FROM dti.indicator ORDER BY code LIMIT %s) AS i
                CROSS JOIN (SELECT code FROM dti.unit ORDER BY code LIMIT %s) AS u""",
            (indicators, units),
        )
        conn.execute(
            """INSERT INTO dti.target (indicator_code, unit_code, period, baseline, target, tolerance,
                   baseline_assumed, target_assumed)
               SELECT indicator_code, unit_code, y, 20, 80, 5, true, true FROM pairs,
                      generate_series(extract(year FROM %s::timestamptz)::int, extract(year FROM %s::timestamptz)::int)
                      AS y
               ON CONFLICT DO NOTHING""",
            (start, now),
        )
        hours = "generate_series(%(start)s::timestamptz, %(now)s::timestamptz, interval '1 hour') AS b"
        args = {"start": start, "now": now}
        log("writing dti.indicator_value")
        conn.execute(
            f"""INSERT INTO dti.indicator_value (indicator_code, unit_code, bucket, period, ts, value, numerator,
                   denominator, version)
                SELECT indicator_code, unit_code, b, extract(year FROM b AT TIME ZONE 'Asia/Ho_Chi_Minh')::int,
                       b + interval '7 minutes', 50 + (n %% 40), 500 + (n %% 400), 1000, 1
                  FROM pairs, {hours}""",
            args,
        )
        log("writing dti.indicator_status")
        conn.execute(
            f"""INSERT INTO dti.indicator_status (indicator_code, unit_code, bucket, period, ts, status, score,
                   attainment, baseline, target, expected, projected, progress, shortfall, fresh, version)
                SELECT indicator_code, unit_code, b, extract(year FROM b AT TIME ZONE 'Asia/Ho_Chi_Minh')::int,
                       b + interval '8 minutes',
                       (ARRAY['on_track', 'at_risk', 'off_track', 'achieved', 'stale'])[1 + (n + 7 * n * n) %% 5],
                       0.7, 0.8, 20, 80, 60, 75, 0.9, 5, true, 1
                  FROM pairs, {hours}""",
            args,
        )
        log("writing dti.unit_score")
        conn.execute(
            f"""INSERT INTO dti.unit_score (unit_code, pillar, bucket, period, ts, score, points, coverage, weight,
                   peer_group, version)
                SELECT u.code, p, b, extract(year FROM b AT TIME ZONE 'Asia/Ho_Chi_Minh')::int,
                       b + interval '9 minutes', 0.75, 750, 0.9, 1, u.peer_group, 1
                  FROM (SELECT code, peer_group FROM dti.unit ORDER BY code LIMIT %(units)s) AS u,
                       unnest(%(pillars)s::text[]) AS p, {hours}""",
            args | {"units": units, "pillars": list(PILLARS)},
        )
        log("writing dti.alert")
        conn.execute(
            """INSERT INTO dti.alert (indicator_code, unit_code, kind, action, ts, status, message_vi)
               SELECT indicator_code, unit_code, 'worsened', action, m + offs, 'off_track', 'Chậm tiến độ'
                 FROM pairs,
                      generate_series(%(start)s::timestamptz, %(now)s::timestamptz, interval '1 month') AS m,
                      (VALUES ('raised', interval '1 day'), ('resolved', interval '9 days')) AS e(action, offs)
                WHERE m + offs <= %(now)s""",
            args,
        )
        conn.execute("SET session_replication_role = DEFAULT")
        for table, (base, key, order) in CURRENT.items():
            log(f"rebuilding dti.{table} from the history")
            columns = ", ".join(
                r[0]
                for r in conn.execute(
                    """SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0
                        AND NOT attisdropped ORDER BY attnum""",
                    (f"dti.{table}",),
                )
            )
            conn.execute(f"TRUNCATE dti.{table}")
            conn.execute(
                f"INSERT INTO dti.{table} ({columns}) SELECT DISTINCT ON ({key}) {columns} FROM dti.{base} "
                f"ORDER BY {key}, {order}"
            )
        log("ANALYZE")
        conn.execute("ANALYZE")
        return {
            t: int(conn.execute(f"SELECT count(*) FROM dti.{t}").fetchone()[0])  # type: ignore[index]
            for t in ("indicator_value", "indicator_status", "unit_score", "alert")
        }


def queries(artefacts: Artefacts) -> dict[str, list[tuple[str, str]]]:
    """(name, SQL) of every query, grouped: the wall screen, the other dashboards, the alert rules."""
    groups: dict[str, list[tuple[str, str]]] = {"wall screen": [], "dashboards": [], "alerts": []}
    for uid, board in sorted(artefacts.dashboards.items()):
        group = "wall screen" if uid == WALL_SCREEN else "dashboards"
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                if "rawSql" in target:
                    groups[group].append((f"{uid}: {panel.get('title', '?')}", target["rawSql"]))
        for variable in board["templating"].get("list", []):
            if variable["type"] == "query":
                groups[group].append((f"{uid}: variable {variable['name']}", variable["query"]))
    for group_ in artefacts.rule_groups:
        for rule in group_["rules"]:
            for query in rule["data"]:
                if query.get("datasourceUid") == POSTGRES_UID:
                    groups["alerts"].append((f"{rule['uid']}: {query['refId']}", query["model"]["rawSql"]))
    return groups


def timings(url: str, sqls: list[str], runs: int) -> tuple[list[list[float]], list[float]]:
    """Seconds of each run of each query, and of ``SELECT 1`` run between them, on one connection."""
    now = dt.datetime.now(dt.UTC)
    context = QueryContext(
        now - dt.timedelta(days=7),
        now,
        dt.timedelta(hours=1),
        {"province": "QN", "unit": "HALONG", "indicator": "CQS-04", "indicator_total": "35",
         "year": str(now.astimezone(dt.timezone(dt.timedelta(hours=7))).year)},  # fmt: skip
    )
    expanded = [expand(sql, context).encode() for sql in sqls]
    per_query: list[list[float]] = [[] for _ in sqls]
    anchor: list[float] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in expanded:  # warm the cache once, as a wall screen refreshing every 10 s has
            conn.execute(sql).fetchall()
        for _ in range(runs):
            for i, sql in enumerate(expanded):
                began = time.perf_counter()
                conn.execute(b"SELECT 1").fetchall()
                anchor.append(time.perf_counter() - began)
                began = time.perf_counter()
                conn.execute(sql).fetchall()
                per_query[i].append(time.perf_counter() - began)
    return per_query, anchor


def p95(values: list[float]) -> float:
    """The 95th percentile (inclusive method)."""
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def run(years: float, units: int, indicators: int, runs: int, url: str | None) -> Result:
    """Fill, time every query, and return the result."""
    artefacts = build_all(load_catalog())
    groups = queries(artefacts)
    with database(url) as (db, own):
        began = time.perf_counter()
        if own:
            server_settings(db, LOADING)
        rows = fill(db, years, units, indicators)
        if own:
            server_settings(db, None)
        fill_seconds = time.perf_counter() - began
        log(f"filled in {fill_seconds:.0f} s: {rows}")
        names = [(group, name) for group, items in groups.items() for name, _ in items]
        sqls = [sql for items in groups.values() for _, sql in items]
        per_query, anchor = timings(db, sqls, runs)
        before, _ = timings(db, [HISTORY_SCAN], 3)
    ms = 1000.0
    details: dict[str, Any] = {f"rows {t}": n for t, n in rows.items()}
    details["fill seconds"] = fill_seconds
    details["SELECT 1 median ms"] = statistics.median(anchor) * ms
    details["SELECT 1 p95 ms"] = p95(anchor) * ms
    worst = {"wall screen": 0.0, "dashboards": 0.0, "alerts": 0.0}
    for (group, name), values in zip(names, per_query, strict=True):
        details[f"{group} | {name}"] = f"median {statistics.median(values) * ms:.2f} ms, p95 {p95(values) * ms:.2f} ms"
        worst[group] = max(worst[group], p95(values) * ms)
    for group, value in worst.items():
        details[f"worst p95 {group} ms"] = value
    details["before 0030: newest values by a scan of history, median ms"] = statistics.median(before[0]) * ms
    met = worst["wall screen"] <= 50 and worst["alerts"] <= 200
    return Result(
        name="queries",
        value=worst["wall screen"],
        unit=f"ms worst wall-screen p95 ({years:g} years, {units} units × {indicators} indicators, {runs} runs)",
        anchor="SELECT 1 p95 on the same connection, ms",
        anchor_value=p95(anchor) * ms,
        goal="wall screen p95 ≤ 50 ms, alerts p95 ≤ 200 ms",
        met=met,
        details=details,
    )


def main() -> None:
    """Parse the options and print the figures."""
    p = parser(__doc__)
    p.add_argument("--years", type=float, default=3.0, help="years of hourly history (default 3)")
    p.add_argument("--units", type=int, default=70, help="units (default 70)")
    p.add_argument("--indicators", type=int, default=35, help="indicators (default 35, the catalog's)")
    p.add_argument("--runs", type=int, default=30, help="timed runs of each query (default 30)")
    p.add_argument("--database-url", default=None, help="an empty database to use instead of an embedded one")
    args = p.parse_args()
    emit(run(args.years, args.units, args.indicators, args.runs, args.database_url), args.json)


if __name__ == "__main__":
    sys.exit(main())
