"""The ``qndti watch`` application: screens switched by keys, refreshed on an interval, through outages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from index_engine.catalog import Catalog
from qndti.watch.data import Units, WatchError, WatchSource, now_utc
from qndti.watch.screens import IndicatorScreen, OverviewScreen, ScorecardScreen, WatchScreen

SCREENS_BY_KEY: dict[str, type[WatchScreen]] = {
    "overview": OverviewScreen,
    "scorecard": ScorecardScreen,
    "indicator": IndicatorScreen,
}


def root_unit(catalog: Catalog) -> str:
    """The unit at the top of the catalog's tree (the province)."""
    roots = [code for code, unit in catalog.units.items() if unit.parent is None]
    if not roots:
        raise ValueError(f"catalog {catalog.version} has no top-level unit")
    return roots[0]


class WatchApp(App[str | None]):
    """Live terminal dashboard of the ``dti`` views.

    ``guard`` is called on every refresh; when it returns a message the app exits with it (the demo uses it to
    stop when one of its processes died).
    """

    TITLE = "QN-DTI · Giám sát chuyển đổi số Quảng Ninh"
    SUB_TITLE = "Quảng Ninh digital transformation monitor"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "show('overview')", "Toàn cảnh / overview"),
        Binding("u", "show('scorecard')", "Đơn vị / unit"),
        Binding("i", "show('indicator')", "Chỉ tiêu / indicator"),
        Binding("r", "refresh_now", "Làm mới / refresh"),
        Binding("q", "quit", "Thoát / quit"),
        Binding("ctrl+c", "quit", "Thoát / quit", show=False, priority=True),
    ]

    def __init__(
        self,
        source: WatchSource,
        catalog: Catalog,
        *,
        interval: float = 5.0,
        unit: str | None = None,
        indicator: str | None = None,
        start: str = "overview",
        guard: Callable[[], str | None] | None = None,
        clock: Callable[[], dt.datetime] = now_utc,
    ) -> None:
        super().__init__()
        if start not in SCREENS_BY_KEY:
            raise ValueError(f"unknown screen {start!r}; one of {', '.join(SCREENS_BY_KEY)}")
        self.source = source
        self.catalog = catalog
        self.interval = interval
        self.unit = unit or source.root
        self.indicator = indicator or next(iter(catalog.indicators), "")
        self.start = start
        self.guard = guard
        self.clock = clock
        """The time ages on screen are measured against (the screenshots fix it)."""
        self.source_of = {code: ind.source_system for code, ind in catalog.indicators.items()}
        self.known = Units((), ())
        self.refreshes = 0
        """Refreshes that showed data (tests and the demo's timing read it)."""
        self.failures = 0
        """Refreshes in a row that could not read the database."""
        self.shown_at: dt.datetime | None = None
        """When data was last shown."""

    def on_mount(self) -> None:
        """Install the screens, show the first one, and refresh on the interval."""
        for name, screen in SCREENS_BY_KEY.items():
            self.install_screen(screen(), name)
        self.push_screen(self.start)
        self.set_interval(self.interval, self.refresh_screen)
        self.refresh_screen()

    def refresh_screen(self) -> None:
        """Read and show the current screen's data (at most one refresh at a time)."""
        if self.guard is not None and (message := self.guard()) is not None:
            self.exit(message)
            return
        self.run_worker(self._refresh(), group="refresh", exclusive=True)

    async def _refresh(self) -> None:
        screen = self.screen
        if not isinstance(screen, WatchScreen):
            return
        try:
            if isinstance(screen, ScorecardScreen | IndicatorScreen):
                self.known = await self.source.units()
            data = await screen.fetch(self.source)
        except WatchError as exc:
            if not screen.is_attached:
                return  # The app is closing: nothing to show.
            self.failures += 1
            shown = f"{self.shown_at:%H:%M:%S} UTC" if self.shown_at else "–"
            screen.banner(
                f"⚠ Không đọc được cơ sở dữ liệu; thử lại mỗi {self.interval:g} giây (lần {self.failures}); "
                f"số liệu lúc {shown}.\n"
                f"Cannot read the database; retrying every {self.interval:g} s (attempt {self.failures}); "
                f"data as of {shown}. {exc}"
            )
            return
        if not screen.is_attached:
            return
        self.failures = 0
        screen.banner(None)
        screen.show(data)
        self.refreshes += 1
        self.shown_at = self.clock()
        self.sub_title = f"cập nhật / updated {self.shown_at:%H:%M:%S} UTC"

    def action_show(self, name: str) -> None:
        """Switch to a screen and refresh it at once."""
        self.switch_screen(name)
        self.call_after_refresh(self.refresh_screen)

    def action_refresh_now(self) -> None:
        """Refresh now."""
        self.refresh_screen()

    def open_unit(self, unit: str) -> None:
        """Show a unit's scorecard."""
        self.unit = unit
        self.action_show("scorecard")

    def open_indicator(self, code: str) -> None:
        """Show an indicator across units."""
        self.indicator = code
        self.action_show("indicator")

    def step_unit(self, by: int) -> None:
        """Show the next (or previous) unit that has values."""
        self.unit = _step([code for code, _ in self.known.units], self.unit, by)
        self.refresh_screen()

    def step_indicator(self, by: int) -> None:
        """Show the next (or previous) indicator that has values."""
        self.indicator = _step([code for code, _ in self.known.indicators], self.indicator, by)
        self.refresh_screen()

    async def on_unmount(self) -> None:
        """Stop any refresh under way, then close the database connection."""
        self.workers.cancel_group(self, "refresh")
        await self.source.close()


def _step(codes: list[str], current: str, by: int) -> str:
    if not codes:
        return current
    if current not in codes:
        return codes[0]
    return codes[(codes.index(current) + by) % len(codes)]
