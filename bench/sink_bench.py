"""Sink throughput: the worker's ``write_in`` next to raw COPY → staging → upsert at the same batch size.

Usage: ``python bench/sink_bench.py [--rows N] [--batch B] [--repeats R] [--database-url URL]``. Without a URL it
starts an embedded PostgreSQL of its own on a free port in a temporary folder. Each run writes the same rows
twice into an empty ``dti.indicator_value`` (inserts, then updates of the same keys), so both paths do the same
work; the anchor gets its parameter tuples ready-made, the sink builds them from rows (bucketing, deduplication).
Prints rows/s of each path (best of the repeats) and the ratio sink / anchor (goal ≥ 0.7).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import socket
import tempfile
import time
from pathlib import Path

import psycopg
from common import Result, emit

from streams.db import migrate
from streams.rows import IndicatorRow
from streams.sink import SinkMode, prepare, write_in
from streams.tables import TABLES, Params

HOUR = dt.timedelta(hours=1)
TABLE = TABLES[IndicatorRow]


def workload(count: int) -> list[IndicatorRow]:
    """``count`` rows with distinct keys: 35 indicators × 40 units × consecutive hours."""
    start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(count):
        indicator, unit, hour = n % 35, (n // 35) % 40, n // 1400
        ts = start + dt.timedelta(hours=hour, minutes=7)
        rows.append(IndicatorRow(f"I-{indicator:02d}", f"U{unit:02d}", 2023, ts, 93.4, 934.0, 1000.0, n))
    return rows


async def anchor(url: str, params: list[Params], size: int) -> float:
    """Seconds for raw COPY binary into staging then one upsert per batch, with ready parameters."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await conn.execute(TABLE.create_stage())
        await conn.commit()
        copy_sql, upsert_sql, types = TABLE.copy(), TABLE.upsert_staged(), TABLE.types
        started = time.perf_counter()
        for _ in range(2):
            for i in range(0, len(params), size):
                async with conn.transaction(), conn.cursor() as cur:
                    async with cur.copy(copy_sql) as copy:
                        copy.set_types(types)
                        for values in params[i : i + size]:
                            await copy.write_row(values)
                    await cur.execute(upsert_sql)
        return time.perf_counter() - started


async def sink_run(url: str, rows: list[IndicatorRow], size: int, mode: SinkMode) -> float:
    """Seconds for ``write_in`` of the same rows in batches of ``size``, one transaction each (the worker's path)."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await prepare(conn, mode)
        await conn.commit()
        started = time.perf_counter()
        for _ in range(2):
            for i in range(0, len(rows), size):
                async with conn.transaction():
                    await write_in(conn, rows[i : i + size], HOUR, mode)
        return time.perf_counter() - started


async def truncate(url: str) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("TRUNCATE dti.indicator_value")
        await conn.execute("VACUUM ANALYZE dti.indicator_value")


async def bench(url: str, count: int, size: int, repeats: int) -> dict[str, float]:
    rows = workload(count)
    params = TABLE.batch(rows, HOUR)
    best: dict[str, float] = {}
    for _ in range(repeats):
        for name in ("anchor", "sink", "sink-plain"):
            await truncate(url)
            if name == "anchor":
                seconds = await anchor(url, params, size)
            else:
                seconds = await sink_run(url, rows, size, "copy" if name == "sink" else "plain")
            best[name] = min(best.get(name, float("inf")), seconds)
    written = 2 * count
    return {name: written / seconds for name, seconds in best.items()}


def report(rate: dict[str, float], count: int, size: int, repeats: int) -> None:
    """The figures as text."""
    print(f"rows={count} (written twice: insert, then update) batch={size} repeats={repeats} (best run)")
    print(f"anchor  raw COPY binary -> staging -> upsert : {rate['anchor']:>10,.0f} rows/s")
    print(f"sink    write_in (mode=copy)                 : {rate['sink']:>10,.0f} rows/s")
    print(f"sink    write_in (mode=plain)                : {rate['sink-plain']:>10,.0f} rows/s")
    print(f"ratio   sink / anchor                        : {rate['sink'] / rate['anchor']:.2f}x (goal >= 0.70x)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(count: int = 100_000, size: int = 5_000, repeats: int = 3, database_url: str | None = None) -> dict[str, float]:
    """Rows/s of the anchor and both sink modes, on ``database_url`` or an embedded PostgreSQL of its own."""
    if database_url:
        migrate(database_url)
        return asyncio.run(bench(database_url, count, size, repeats))
    from qndti.stack.postgres import EmbeddedPostgres

    # Not a TemporaryDirectory: the server may run as another user, who needs the folder until it stops.
    home = tempfile.mkdtemp(prefix="sink-bench-")
    server = EmbeddedPostgres(home=Path(home), port=free_port())
    server.start()
    try:
        migrate(server.url)
        return asyncio.run(bench(server.url, count, size, repeats))
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def result(rate: dict[str, float], count: int, size: int, repeats: int) -> Result:
    """The figures as a benchmark result."""
    ratio = rate["sink"] / rate["anchor"]
    return Result(
        name="sink",
        value=rate["sink"],
        unit="rows/s (write_in, mode=copy)",
        anchor="raw COPY binary -> staging -> upsert, same batches",
        anchor_value=rate["anchor"],
        goal=">= 0.7x the anchor",
        met=ratio >= 0.7,
        details={"rows": count, "batch": size, "repeats": repeats, "sink_plain_rows_per_s": rate["sink-plain"]},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database-url", help="a migrated-or-empty database to use (default: embedded)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    rate = run(args.rows, args.batch, args.repeats, args.database_url)
    if args.json:
        emit(result(rate, args.rows, args.batch, args.repeats), as_json=True)
    else:
        report(rate, args.rows, args.batch, args.repeats)


if __name__ == "__main__":
    main()
