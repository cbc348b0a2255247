"""Rich renderables of the overview's panels, built from the rows of one refresh."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from index_engine.catalog import Catalog
from qndti.watch import format as fmt
from qndti.watch.data import Overview
from qndti.watch.rows import FeedRow, ScoreRow

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def _grid(title: str, *widths: int | None) -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.title = title
    table.title_justify = "left"
    table.title_style = "bold"
    for width in widths:
        table.add_column(no_wrap=True, overflow="ellipsis", ratio=None if width else 1, width=width)
    return table


def headline(overview: Overview, catalog: Catalog) -> RenderableType:
    """The province's index (0–1 and points) and the change over its trend."""
    unit = catalog.units.get(overview.root)
    name = unit.name_vi if unit else overview.root
    index = overview.index
    value = fmt.index_text(index.score if index else None, index.points if index else None)
    points = [row.points if row.points is not None else row.score * 1000 for row in overview.trend if row.score]
    return Group(
        Text.assemble(("Chỉ số / index QN-DTI · ", "bold"), (name, "bold cyan")),
        Text(value, style="bold"),
        Text(fmt.trend_text(points)),
    )


def pillars(rows: Sequence[ScoreRow]) -> RenderableType:
    """Pillar scores of the province."""
    table = _grid("Trụ cột / pillars", 4, None, 6, 10)
    for row in rows:
        coverage = f"phủ {fmt.number((row.coverage or 0) * 100, 0)}%" if row.coverage is not None else ""
        table.add_row(
            Text(row.pillar, style="bold"),
            f"{row.pillar_name_vi or ''} / {row.pillar_name_en or ''}",
            fmt.number(row.score, 3),
            coverage,
        )
    if not rows:
        table.add_row("", "chưa có điểm / no scores yet", "", "")
    return table


def statuses(overview: Overview) -> RenderableType:
    """The province's indicators counted by status."""
    counts, unevaluated = fmt.status_counts(r.status for r in overview.root_indicators)
    table = _grid(f"Trạng thái chỉ tiêu / status ({len(overview.root_indicators)})", 4, None)
    for item in counts:
        table.add_row(Text(str(item.count), style=fmt.status_style(item.status)), item.label)
    if unevaluated:
        table.add_row(str(unevaluated), "chưa đánh giá / not evaluated")
    tasks = overview.tasks
    if tasks is not None:
        table.add_row(Text(f"{tasks.done}/{tasks.total}", style="bold"), f"nhiệm vụ {tasks.period} xong / tasks done")
        table.add_row(Text(str(tasks.overdue), style="red" if tasks.overdue else ""), "nhiệm vụ quá hạn / overdue")
    return table


def slowest(rows: Sequence[ScoreRow], catalog: Catalog, per_group: int = 2) -> RenderableType:
    """The lowest-ranked units of each peer group."""
    table = _grid("Chậm nhất theo nhóm / slowest", 14, None, 4, 5)
    for group, units in fmt.slowest(rows, per_group).items():
        peer = catalog.peer_groups.get(group)
        label = peer.name_vi if peer else group
        for i, row in enumerate(units):
            table.add_row(
                Text(label if i == 0 else "", style="dim"),
                row.unit_name_vi or row.unit_code,
                fmt.number(row.points if row.points is not None else (row.score or 0) * 1000, 0),
                f"{row.rank}/{row.rank_of}",
            )
    if not table.row_count:
        table.add_row("", "chưa xếp hạng / not ranked yet", "", "")
    return table


def freshness(overview: Overview, source_of: Mapping[str, str], now: dt.datetime, limit: int) -> RenderableType:
    """Data freshness per source system, stalest first."""
    table = _grid("Độ mới dữ liệu / freshness", None, 13, 7)
    items = fmt.freshness(overview.indicators, source_of)
    for item in items[:limit]:
        table.add_row(
            item.source,
            fmt.age(item.newest, now),
            Text(f"{item.stale}/{item.pairs}", style="magenta" if item.stale else "green"),
        )
    if len(items) > limit:
        table.add_row(Text(f"… {len(items) - limit} nguồn khác / more", style="dim"), "", "")
    if not items:
        table.add_row("chưa có dữ liệu / no data yet", "", "")
    return table


def alerts(feed: Sequence[FeedRow], open_count: int) -> RenderableType:
    """The newest alert events, raised (▲) and resolved (▼), newest first."""
    table = _grid(f"Cảnh báo / alerts · đang mở / open ({open_count}) · mới nhất trước / newest first", 5, 9, 14, None)
    for row in feed:
        raised = row.action == "raised"
        table.add_row(
            row.ts.astimezone(LOCAL).strftime("%H:%M"),
            Text(("▲ " if raised else "▼ ") + row.code, style=fmt.status_style(row.status) if raised else "green"),
            "nhiệm vụ / task" if row.subject == "task" else (row.unit_code or ""),
            f"{row.message_vi or row.status_vi or row.kind} / {row.message_en or row.status_en or row.kind}"
            if raised
            else f"kết thúc / resolved: {row.message_vi or row.kind} / {row.message_en or row.kind}",
        )
    if not feed:
        table.add_row("", "", "", Text("không có cảnh báo / no alerts", style="green"))
    return table
