"""The three screens of ``qndti watch``: overview, a unit's scorecard, one indicator across units.

Each screen reads what it shows with :meth:`WatchScreen.fetch` (the app calls it on every refresh) and shows it
with :meth:`WatchScreen.show`; the app says whether the database answered with :meth:`WatchScreen.banner`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Sparkline, Static

from index_engine.periods import LOCAL_TZ
from qndti.watch import format as fmt
from qndti.watch import panels
from qndti.watch.data import Overview, Scorecard, WatchSource
from qndti.watch.rows import IndicatorRow

if TYPE_CHECKING:
    from qndti.watch.app import WatchApp


class WatchScreen(Screen[None]):
    """A screen that shows what one refresh read, under a banner that says when the database does not answer."""

    DEFAULT_CSS = """
    WatchScreen #banner { background: $error; color: $text; height: auto; max-height: 3; display: none; padding: 0 1; }
    WatchScreen #banner.down { display: block; }
    WatchScreen .head { height: auto; padding: 0 1; }
    """

    @property
    def dash(self) -> WatchApp:
        """The app, typed."""
        from qndti.watch.app import WatchApp

        assert isinstance(self.app, WatchApp)  # noqa: S101 - screens are only ever installed by WatchApp
        return self.app

    def compose(self) -> ComposeResult:
        """Header, banner, the screen's own widgets, footer."""
        yield Header()
        yield Static(id="banner")
        yield from self.body()
        yield Footer()

    def body(self) -> ComposeResult:
        """The screen's own widgets."""
        yield from ()

    async def fetch(self, source: WatchSource) -> Any:
        """Read what the screen shows."""
        raise NotImplementedError

    def show(self, data: Any) -> None:
        """Show what :meth:`fetch` read."""
        raise NotImplementedError

    def banner(self, message: str | None) -> None:
        """Show ``message`` above the screen, or hide the banner when ``None``."""
        banner = self.query_one("#banner", Static)
        banner.set_class(message is not None, "down")
        banner.update(message or "")


class OverviewScreen(WatchScreen):
    """Province index and trend, pillars, indicators by status, slowest units, data freshness, open alerts."""

    DEFAULT_CSS = """
    OverviewScreen #top { height: 3; }
    OverviewScreen #headline { width: 2fr; padding: 0 1; }
    OverviewScreen #trend { width: 1fr; height: 2; margin: 1 1 0 0; }
    OverviewScreen .row { height: auto; }
    OverviewScreen .row > Static { width: 1fr; padding: 0 1; }
    OverviewScreen #pillars, OverviewScreen #statuses, OverviewScreen #slowest, OverviewScreen #freshness,
    OverviewScreen #alerts { height: auto; }
    OverviewScreen.tall #pillars, OverviewScreen.tall #statuses, OverviewScreen.tall #slowest,
    OverviewScreen.tall #freshness { margin-bottom: 1; }
    """

    def body(self) -> ComposeResult:
        """The overview's panels, stacked; each row holds two panels side by side."""
        with VerticalScroll(id="body"):
            with Horizontal(id="top"):
                yield Static(id="headline")
                yield Sparkline([], id="trend")
            with Horizontal(classes="row"):
                yield Static(id="pillars")
                yield Static(id="statuses")
            with Horizontal(classes="row"):
                yield Static(id="slowest")
                yield Static(id="freshness")
            yield Static(id="alerts", classes="head")

    def on_resize(self) -> None:
        """Space the panels out where the terminal is tall enough."""
        self.set_class(self.size.height >= 34, "tall")

    async def fetch(self, source: WatchSource) -> Overview:
        """The overview's rows."""
        return await source.overview(self.dash.clock().astimezone(LOCAL_TZ).date())

    def show(self, data: Overview) -> None:
        """Fill every panel."""
        catalog = self.dash.catalog
        self.query_one("#headline", Static).update(panels.headline(data, catalog))
        self.query_one("#trend", Sparkline).data = [row.score for row in data.trend if row.score is not None]
        self.query_one("#pillars", Static).update(panels.pillars(data.pillars))
        self.query_one("#statuses", Static).update(panels.statuses(data))
        self.query_one("#slowest", Static).update(panels.slowest(data.ranked, catalog))
        self.query_one("#freshness", Static).update(
            panels.freshness(data, self.dash.source_of, self.dash.clock(), limit=5 if self.size.height < 40 else 12)
        )
        self.query_one("#alerts", Static).update(panels.alerts(data.feed, len(data.alerts)))


class TableScreen(WatchScreen):
    """A screen around one data table that keeps its cursor across refreshes."""

    DEFAULT_CSS = """
    TableScreen DataTable { height: 1fr; }
    TableScreen #detail { height: auto; max-height: 6; padding: 0 1; border-top: solid $primary; }
    """

    def table(self) -> DataTable[Any]:
        """The screen's table."""
        return self.query_one(DataTable)

    def fill(self, columns: tuple[tuple[str, int], ...], rows: list[tuple[str, list[Any]]]) -> None:
        """Replace the table's rows (key, cells), keeping the cursor on the same row when it still exists.

        ``columns`` are (label, width); labels have the Vietnamese line first, the English one under it.
        """
        table = self.table()
        keep = table.cursor_row
        if not table.columns:
            for label, width in columns:
                table.add_column(label, width=width or None)
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))


def _status_cell(row: IndicatorRow, english: bool = True) -> Text:
    label = fmt.status_label(row.status)
    return Text(label if english else label.split(" / ")[0], style=fmt.status_style(row.status))


class ScorecardScreen(TableScreen):
    """One unit: its index and rank, pillar scores, every indicator with its status and why."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "step(1)", "Đơn vị sau / next unit"),
        Binding("p", "step(-1)", "Đơn vị trước / previous"),
    ]
    COLUMNS = (
        ("Mã\ncode", 6),
        ("Giá trị\nvalue", 8),
        ("Mục tiêu\ntarget", 8),
        ("Kỳ vọng\nexpected", 8),
        ("Dự báo\nprojection", 10),
        ("Trạng thái\nstatus", 28),
    )

    def __init__(self) -> None:
        super().__init__()
        self.data: Scorecard | None = None

    def body(self) -> ComposeResult:
        """Unit header, indicator table, explanation of the selected indicator."""
        yield Static(id="unit-head", classes="head")
        yield DataTable(id="card", cursor_type="row", zebra_stripes=True, header_height=2)
        yield Static(id="detail")

    async def fetch(self, source: WatchSource) -> Scorecard:
        """The current unit's scorecard."""
        return await source.scorecard(self.dash.unit)

    def show(self, data: Scorecard) -> None:
        """Header, rows and the detail of the row under the cursor."""
        self.data = data
        self.query_one("#unit-head", Static).update(self._head(data))
        rows = [
            (
                row.indicator_code,
                [
                    row.indicator_code,
                    fmt.number(row.value, 2),
                    fmt.number(row.target, 2),
                    fmt.number(row.expected, 2),
                    fmt.number(row.projected, 2),
                    _status_cell(row),
                ],
            )
            for row in data.indicators
        ]
        self.fill(self.COLUMNS, rows)
        self._detail()

    def _head(self, data: Scorecard) -> Text:
        unit = self.dash.catalog.units.get(data.unit)
        names = f"{unit.name_vi} / {unit.name_en}" if unit else data.unit
        index = data.index
        text = Text.assemble(("Thẻ điểm / scorecard: ", "bold"), (f"{data.unit} · {names}", "bold cyan"), "\n")
        text.append(
            "Chỉ số / index: " + fmt.index_text(index.score if index else None, index.points if index else None)
        )
        if index and index.rank is not None:
            group = self.dash.catalog.peer_groups.get(index.peer_group or "")
            text.append(f" · hạng / rank {index.rank}/{index.rank_of} ({group.name_vi if group else index.peer_group})")
        elif index:
            text.append(" · không xếp hạng / not ranked")
        pillars = "  ".join(f"{p.pillar} {fmt.number(p.score, 3)}" for p in data.pillars)
        if pillars:
            text.append("\nTrụ cột / pillars: " + pillars)
        return text

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Explain the indicator under the cursor."""
        self._detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter opens the indicator across units."""
        if event.row_key.value is not None:
            self.dash.open_indicator(event.row_key.value)

    def _detail(self) -> None:
        detail = self.query_one("#detail", Static)
        table = self.table()
        if self.data is None or not self.data.indicators:
            detail.update("chưa có chỉ tiêu / no indicators yet")
            return
        row = self.data.indicators[min(table.cursor_row, len(self.data.indicators) - 1)]
        vi, en = fmt.why(row, self.data.alerts)
        detail.update(
            Text.assemble(
                (f"{row.indicator_code} ", "bold"),
                f"{row.indicator_name_vi or ''} / {row.indicator_name_en or ''}\n",
                ("Vì sao: ", "bold"),
                f"{vi}\n",
                ("Why: ", "bold"),
                en,
            )
        )

    def action_step(self, by: int) -> None:
        """Go to the next or previous unit."""
        self.dash.step_unit(by)


class IndicatorScreen(TableScreen):
    """One indicator at every unit, sortable by value, score, status or unit."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "step(1)", "Chỉ tiêu sau / next"),
        Binding("p", "step(-1)", "Chỉ tiêu trước / previous"),
        Binding("s", "sort", "Sắp xếp / sort"),
        Binding("d", "direction", "Đảo chiều / reverse"),
    ]
    COLUMNS = (
        ("Đơn vị\nunit", 0),
        ("Giá trị\nvalue", 7),
        ("Mục tiêu\ntarget", 8),
        ("Kỳ vọng\nexpected", 8),
        ("Dự báo\nprojection", 10),
        ("Điểm\nscore", 5),
        ("Trạng thái\nstatus", 0),
    )

    def __init__(self) -> None:
        super().__init__()
        self.sort_key = fmt.SORT_KEYS[0]
        self.descending = True
        self.rows: tuple[IndicatorRow, ...] = ()

    def body(self) -> ComposeResult:
        """Indicator header and the table of units."""
        yield Static(id="indicator-head", classes="head")
        yield DataTable(id="across", cursor_type="row", zebra_stripes=True, header_height=2)

    async def fetch(self, source: WatchSource) -> tuple[IndicatorRow, ...]:
        """The current indicator at every unit."""
        return await source.indicator(self.dash.indicator)

    def show(self, data: tuple[IndicatorRow, ...]) -> None:
        """Header and the sorted rows."""
        self.rows = data
        self._redraw()

    def _redraw(self) -> None:
        code = self.dash.indicator
        known = self.dash.catalog.indicators.get(code)
        names = f"{known.name_vi} / {known.name_en}" if known else code
        arrow = "↓" if self.descending else "↑"
        self.query_one("#indicator-head", Static).update(
            Text.assemble(
                (f"{code} · ", "bold"),
                (names, "bold cyan"),
                f"\nSắp xếp theo / sorted by: {fmt.SORT_LABELS[self.sort_key]} {arrow}",
                f"   ({len(self.rows)} đơn vị / units)",
            )
        )
        width = self.size.width
        rows = [
            (
                row.unit_code,
                [
                    fmt.clip(row.unit_name_vi or row.unit_code, 16 if width < 100 else 24),
                    fmt.number(row.value, 2),
                    fmt.number(row.target, 2),
                    fmt.number(row.expected, 2),
                    fmt.number(row.projected, 2),
                    fmt.number(row.score, 2),
                    _status_cell(row, english=width >= 120),
                ],
            )
            for row in fmt.sort_rows(self.rows, self.sort_key, self.descending)
        ]
        self.fill(self.COLUMNS, rows)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter opens the unit's scorecard."""
        if event.row_key.value is not None:
            self.dash.open_unit(event.row_key.value)

    def action_sort(self) -> None:
        """Sort by the next key."""
        keys = fmt.SORT_KEYS
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self.descending = self.sort_key != "unit"
        self._redraw()

    def action_direction(self) -> None:
        """Reverse the order."""
        self.descending = not self.descending
        self._redraw()

    def action_step(self, by: int) -> None:
        """Go to the next or previous indicator."""
        self.dash.step_indicator(by)
