"""``qndti demo``: the whole slice live in the terminal."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from collections.abc import Sequence

import psycopg
import typer
from rich.live import Live
from rich.table import Table

from index_engine.catalog import Catalog, load_catalog
from index_engine.periods import LOCAL_TZ
from qndti.commands import console, fail, settings
from qndti.stack import StackError

_QUERY = """
SELECT unit_code, value, numerator, denominator, ts
  FROM dti.indicator_latest WHERE indicator_code = %s
"""


def _table(catalog: Catalog, indicator: str, rows: Sequence[tuple[object, ...]], day: dt.date) -> Table:
    info = catalog.indicators[indicator]
    table = Table(title=f"{indicator} · {info.name_vi}", caption="Ctrl-C để dừng / to stop")
    for column in ("Đơn vị / unit", "Giá trị %", "Tử số", "Mẫu số", "Cập nhật (UTC)"):
        table.add_column(column, justify="right" if column != "Đơn vị / unit" else "left")
    by_unit = {str(r[0]): r for r in rows}
    order = ["QN", *catalog.children_on("QN", day)]  # the map in force on the day
    for code in order:
        row = by_unit.get(code)
        name = catalog.units[code].name_vi
        if row is None:
            table.add_row(name, "…", "", "", "")
            continue
        _, value, numerator, denominator, ts = row
        table.add_row(
            f"[bold]{name}[/bold]" if code == "QN" else name,
            "–" if value is None else f"{float(str(value)):.2f}",
            f"{float(str(numerator)):,.0f}" if numerator is not None else "",
            f"{float(str(denominator)):,.0f}" if denominator is not None else "",
            f"{ts:%H:%M:%S}" if ts is not None else "",
        )
    return table


def run(
    indicator: str = typer.Option("CQS-04", help="Indicator to show."),
    keep_stack: bool = typer.Option(False, help="Leave the stack running after Ctrl-C."),
) -> None:
    """Start the stack, migrate, run the simulator and a worker, and show a live table until Ctrl-C."""
    from streams.db import migrate

    config = settings()
    catalog = load_catalog()
    stack = config.stack()
    try:
        with console.status("Starting Kafka and PostgreSQL…"):
            stack.up()
            migrate(config.database())
    except StackError as exc:
        raise fail(str(exc)) from None
    python = [sys.executable, "-m", "qndti"]
    logs = config.stack_dir.resolve() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    children = [
        subprocess.Popen(  # noqa: S603 - our own entry point
            [*python, *args], stdout=(logs / f"{name}.log").open("ab"), stderr=subprocess.STDOUT
        )
        for name, args in (("worker", ["worker"]), ("simulator", ["connectors", "run"]))
    ]
    console.print(f"Worker and simulator started; logs in {logs}")
    try:
        with psycopg.connect(config.database(), autocommit=True) as conn, Live(console=console) as live:
            while all(c.poll() is None for c in children):
                rows = conn.execute(_QUERY, (indicator,)).fetchall()
                live.update(_table(catalog, indicator, rows, dt.datetime.now(LOCAL_TZ).date()))
                time.sleep(1)
        raise fail(f"a demo process exited early; see the logs in {logs}")
    except KeyboardInterrupt:
        console.print("Stopping…")
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        if not keep_stack:
            stack.down()
