"""The README's pictures: the fixed scenario in a fresh PostgreSQL, shown by ``qndti watch``, exported as SVG.

Run with ``python -m qndti.watch.screenshots [FOLDER]`` (``make screenshots``): it starts an embedded PostgreSQL
server of its own on a free port (as the local stack does), migrates it, writes :mod:`qndti.watch.scenario` into
the tables, drives the app headless with Textual's pilot and saves what Textual itself exports.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import sys
import tempfile
from pathlib import Path

import psycopg

from index_engine.catalog import Catalog, load_catalog
from qndti.stack.postgres import EmbeddedPostgres
from qndti.watch import scenario
from qndti.watch.app import WatchApp, root_unit
from qndti.watch.data import WatchSource
from streams.db import migrate
from streams.reference import load_reference

SHOTS = {
    # name: (size, first screen, unit of the scorecard, keys pressed after the first refresh)
    "watch-overview": ((100, 34), "overview", None, ()),
    "watch-overview-80x24": ((80, 24), "overview", None, ()),
    "watch-scorecard": ((100, 30), "scorecard", None, ("down",) * 10),
    "watch-scorecard-locality": ((100, 24), "scorecard", "QUANGYEN", ("down",) * 3),
    "watch-indicator": ((100, 24), "indicator", None, ()),
}
"""Each picture: terminal size, first screen, unit (default: the province), keys pressed before the export."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _shoot(url: str, catalog: Catalog, name: str, out: Path) -> Path:
    size, start, unit, keys = SHOTS[name]
    root = root_unit(catalog)
    app = WatchApp(
        WatchSource(url, root),
        catalog,
        interval=60,
        unit=unit,
        indicator="CQS-04" if "CQS-04" in catalog.indicators else None,
        start=start,
        clock=lambda: scenario.END + dt.timedelta(minutes=5),
    )
    async with app.run_test(size=size) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if app.refreshes:
                break
        else:
            raise RuntimeError(f"{name}: the app showed no data")
        for key in keys:
            await pilot.press(key)
        # Panels change height when data arrives: export once two frames in a row are the same.
        title = f"qndti watch · {start}"
        shot, previous = app.export_screenshot(title=title), ""
        while shot != previous:
            await pilot.pause(0.3)
            shot, previous = app.export_screenshot(title=title), shot
        path = out / f"{name}.svg"
        path.write_text(shot, encoding="utf-8")
    return path


def make(out: Path) -> list[Path]:
    """Make every picture of :data:`SHOTS` in ``out``."""
    catalog = load_catalog()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qndti-shots-") as home:
        server = EmbeddedPostgres(home=Path(home) / "postgres", port=_free_port())
        server.start()
        try:
            migrate(server.url)
            with psycopg.connect(server.url) as conn:
                load_reference(conn, catalog)
            scenario.fill(server.url, catalog, root_unit(catalog))
            return [asyncio.run(_shoot(server.url, catalog, name, out)) for name in SHOTS]
        finally:
            server.stop()


if __name__ == "__main__":
    for made in make(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")):
        print(made)
