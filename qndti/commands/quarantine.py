"""``qndti quarantine``: implausible observations held out of the values, and the operator's decisions."""

from __future__ import annotations

import asyncio
import getpass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from qndti.commands import check_kafka_login, fail, settings

app = typer.Typer(
    help="Cách ly / quarantine: implausible observations held out of values until accepted, rejected or revised.",
    no_args_is_help=True,
)
out = Console()


@app.command("list")
def list_held(
    unit: str | None = typer.Option(None, help="Only this unit."),
    source: str | None = typer.Option(None, help="Only this source."),
    limit: int = typer.Option(100, min=1, help="Show at most this many, newest first."),
) -> None:
    """The observations held, with why (Vietnamese and English)."""
    import psycopg

    from index_engine.periods import LOCAL_TZ
    from streams.quarantine import held

    config = settings()
    try:
        with psycopg.connect(config.database(), connect_timeout=10) as conn:
            rows = held(conn, unit=unit, source=source, limit=limit)
    except psycopg.OperationalError as exc:
        raise fail(f"cannot reach the database: {exc}") from None
    table = Table(title=f"{len(rows)} quan sát đang cách ly / observations held")
    columns = ("mã / id", "thời điểm / ts", "nguồn / source", "đơn vị / unit", "số liệu / metric", "giá trị / value")
    for column in (*columns, "lý do / reason", "giải thích / why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.id,
            f"{row.ts.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}",
            row.source,
            row.unit_code,
            row.metric_code,
            f"{row.value:g}",
            row.reason,
            f"{row.detail_vi} / {row.detail_en}",
        )
    out.print(table)


@app.command()
def accept(
    ids: Annotated[list[str], typer.Argument(help="Ids of held observations (from `qndti quarantine list`).")],
) -> None:
    """Accept held observations: sent again to the worker, which applies them without the plausibility check."""
    import psycopg

    from streams.quarantine import NotHeld
    from streams.quarantine import accept as accept_held

    config = settings()
    asyncio.run(check_kafka_login(config))
    try:
        with psycopg.connect(config.database(), connect_timeout=10) as conn:
            count = asyncio.run(
                accept_held(conn, config.kafka_client_options(), config.topics().observations, ids, getpass.getuser())
            )
    except NotHeld as exc:
        raise fail(f"không có trong cách ly / not held (unknown or decided already): {exc}") from None
    except psycopg.OperationalError as exc:
        raise fail(f"cannot reach the database: {exc}") from None
    out.print(f"Đã chấp nhận / accepted {count}: gửi lại để tính / sent again to be applied.")


@app.command()
def reject(
    ids: Annotated[list[str], typer.Argument(help="Ids of held observations (from `qndti quarantine list`).")],
) -> None:
    """Reject held observations: they stay out of every value."""
    import psycopg

    from streams.quarantine import NotHeld
    from streams.quarantine import reject as reject_held

    config = settings()
    try:
        with psycopg.connect(config.database(), connect_timeout=10) as conn:
            count = reject_held(conn, ids, getpass.getuser())
    except NotHeld as exc:
        raise fail(f"không có trong cách ly / not held (unknown or decided already): {exc}") from None
    except psycopg.OperationalError as exc:
        raise fail(f"cannot reach the database: {exc}") from None
    out.print(f"Đã loại / rejected {count}.")
