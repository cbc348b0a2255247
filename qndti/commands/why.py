"""``qndti why``: the observations behind an indicator's value at a unit, from the observation store."""

from __future__ import annotations

import datetime as dt

import typer
from rich.console import Console
from rich.table import Table

from qndti.commands import fail, settings

out = Console()


def _at(text: str | None) -> dt.datetime:
    from index_engine.periods import LOCAL_TZ

    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"--at {text!r} is not a time (YYYY-MM-DD or YYYY-MM-DDTHH:MM, local time by default)") from None
    if len(text) == 10:
        moment = moment.replace(hour=23, minute=59, second=59)  # a day: as of its end
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


def _number(value: float | None) -> str:
    """Vietnamese style (``.`` between thousands, ``,`` before decimals); whole counts without decimals."""
    from qndti.watch.format import number

    return number(value, 0 if value is not None and float(value).is_integer() else 3)


def run(
    indicator: str = typer.Argument(..., help="Indicator code, e.g. CQS-04."),
    unit: str = typer.Argument(..., help="Unit code, e.g. QN (the province) or HALONG."),
    at: str | None = typer.Option(None, "--at", help="As of this local time or day (default: now)."),
    limit: int = typer.Option(20, min=0, help="How many of the newest observations to list."),
) -> None:
    """Why a value is what it is: the units under it, their own figures and the observations they come from."""
    import psycopg

    from index_engine.periods import LOCAL_TZ
    from streams.lineage import gather

    config = settings()
    catalog = config.catalog()
    if indicator not in catalog.indicators:
        raise fail(f"unknown indicator {indicator!r}: not in catalog {catalog.version}")
    if unit not in catalog.units:
        raise fail(f"unknown unit {unit!r}: not in catalog {catalog.version}")
    moment = _at(at)
    try:
        with psycopg.connect(config.database(), connect_timeout=10) as conn:
            found = gather(conn, catalog, indicator, unit, moment)
    except psycopg.OperationalError as exc:
        raise fail(f"cannot reach the database: {exc}") from None
    numerator, denominator, _ = found.inputs
    ind = found.indicator
    out.print(
        f"[bold]{ind.code}[/bold] {ind.name_vi} / {ind.name_en} · {catalog.units[unit].name_vi} ({unit}) · "
        f"kỳ / period {found.period} · đến / as of {moment.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M} (+07)"
    )
    shares = "" if ind.denominator is None else f" = {ind.numerator} / {ind.denominator} × {ind.scale:g}"
    out.print(
        f"Giá trị dựng lại từ quan sát / rebuilt from observations: [bold]{_number(found.value)}[/bold]{shares} "
        f"(tử số / numerator {_number(numerator)}, mẫu số / denominator {_number(denominator)})"
    )
    if found.stored is None:
        out.print("Worker chưa lưu giá trị cho kỳ này / the worker stored no value for this period")
    else:
        n, d, v, ts = found.stored
        same = n == numerator and d == denominator
        verdict = "khớp / matches" if same else "khác: worker có thể chưa xử lý hết / differs: the worker may lag"
        out.print(
            f"Worker lưu / stored: {_number(v)} ({_number(n)} / {_number(d)}) lúc / at {ts:%Y-%m-%d %H:%M} — {verdict}"
        )
    tree = Table("đơn vị / unit", "số liệu / metric", "giá trị / value", "số quan sát / observations", box=None)
    for node in found.units:
        if not node.own and node.depth > 0:
            continue
        name = "  " * node.depth + node.unit
        if not node.own:
            tree.add_row(name, "(tổng các đơn vị con / sum of its units)", "", "")
        for metric, value in sorted(node.own.items()):
            tree.add_row(name, metric, _number(value), str(node.counted[metric]))
            name = ""
    out.print(tree)
    evidence = sorted((e for node in found.units for e in node.evidence), key=lambda e: e.ts, reverse=True)
    listed = Table("thời điểm / ts", "nhận / received", "đơn vị / unit", "số liệu / metric", "giá trị / value",
                   "lần sửa / revision", "nguồn / source", "mã (tệp:dòng) / id (file:row)", box=None)  # fmt: skip
    for e in evidence[:limit]:
        listed.add_row(
            f"{e.ts.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}",
            f"{e.received_at.astimezone(LOCAL_TZ):%m-%d %H:%M}",
            e.unit_code,
            e.metric_code,
            _number(e.value),
            str(e.revision),
            e.source,
            e.id,
        )
    out.print(f"Quan sát được tính, mới nhất trước / observations counted, newest first ({min(limit, len(evidence))}"
              f" / {len(evidence)}):")  # fmt: skip
    out.print(listed)
