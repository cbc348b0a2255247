"""``qndti watch``: the wall screen in the terminal."""

from __future__ import annotations

import typer

from qndti.commands import fail, settings


def run(
    interval: float = typer.Option(5.0, min=0.5, help="Seconds between refreshes (and between retries)."),
    unit: str | None = typer.Option(None, help="Unit of the scorecard screen (default: the province)."),
    indicator: str | None = typer.Option(None, help="Indicator of the indicator screen (default: the first)."),
    screen: str = typer.Option("overview", help="First screen: overview, scorecard or indicator."),
) -> None:
    """Live dashboard of the database views: o overview, u unit scorecard, i indicator across units, q quit."""
    from qndti.watch.app import SCREENS_BY_KEY, WatchApp, root_unit
    from qndti.watch.data import WatchSource

    if screen not in SCREENS_BY_KEY:
        raise fail(f"unknown screen {screen!r}; one of {', '.join(SCREENS_BY_KEY)}")
    config = settings()
    catalog = config.catalog()
    if unit is not None and unit not in catalog.units:
        raise fail(f"unknown unit {unit!r}: not in catalog {catalog.version}")
    if indicator is not None and indicator not in catalog.indicators:
        raise fail(f"unknown indicator {indicator!r}: not in catalog {catalog.version}")
    source = WatchSource(config.database(), root_unit(catalog))
    app = WatchApp(source, catalog, interval=interval, unit=unit, indicator=indicator, start=screen)
    message = app.run()
    if message:
        raise fail(message)
