"""How much a 1920×1080 kiosk screen holds: Grafana's grid in pixels and the wall screens of the map in force.

Grafana lays panels on a grid of 24 columns and 30 px rows with 8 px gaps; a panel spends 32 px on its header and
8 px of padding on each side; a table with small cells (``TableCellHeight.SM``) draws 36 px rows under a 36 px
header (Grafana's table panel source). A table fits when its header and rows fit its panel: nothing scrolls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from index_engine.catalog import Catalog

KIOSK_COLUMNS: Final = 24
KIOSK_ROWS: Final = 28
"""Grid rows that fit a 1920×1080 kiosk screen (30 px rows with 8 px gaps) without scrolling."""
GRID_ROW_PX: Final = 30
GRID_GAP_PX: Final = 8
KIOSK_WIDTH_PX: Final = 1920
DASHBOARD_PADDING_PX: Final = 16
PANEL_CHROME_PX: Final = 32 + 2 * 8
TABLE_ROW_PX: Final = 36
TABLE_HEADER_PX: Final = 36


def panel_height_px(rows: int) -> int:
    """The height in pixels of a panel ``rows`` grid rows high."""
    return rows * GRID_ROW_PX + (rows - 1) * GRID_GAP_PX


def panel_width_px(columns: int) -> float:
    """The width in pixels of a panel ``columns`` grid columns wide on the kiosk."""
    usable = KIOSK_WIDTH_PX - 2 * DASHBOARD_PADDING_PX + GRID_GAP_PX
    return usable * columns / KIOSK_COLUMNS - GRID_GAP_PX


def table_rows_that_fit(rows: int) -> int:
    """How many table rows a panel ``rows`` grid rows high shows under its header without scrolling."""
    return (panel_height_px(rows) - PANEL_CHROME_PX - TABLE_HEADER_PX) // TABLE_ROW_PX


@dataclass(frozen=True)
class Screen:
    """One wall screen of the status matrix: a title and the units it shows, one per row."""

    title: str
    units: tuple[str, ...]


def current_map(catalog: Catalog) -> tuple[str, ...]:
    """The units of the newest map (the day of the catalog's last change), the province aside, in catalog order."""
    changes = [u.valid_from for u in catalog.units.values()]
    changes += [u.valid_to for u in catalog.units.values() if u.valid_to is not None]
    day = max(changes)
    return tuple(code for code in catalog.units_on(day) if catalog.units[code].parent is not None)


def wall_screens(catalog: Catalog, capacity: int) -> tuple[Screen, ...]:
    """The units of the newest map packed into screens of at most ``capacity`` rows.

    Peer groups go in catalog order and are packed together while they fit; a group larger than a screen is split
    evenly over as few screens as it needs.
    """
    groups: dict[str, list[str]] = {}
    for code in current_map(catalog):
        groups.setdefault(catalog.units[code].peer_group, []).append(code)
    ordered = [(g, groups[g]) for g in catalog.peer_groups if g in groups]
    screens: list[tuple[list[str], list[str]]] = []  # (title parts, units)
    for group, units in ordered:
        label = catalog.peer_groups[group].name_vi
        if screens and len(screens[-1][1]) + len(units) <= capacity:
            screens[-1][0].append(label)
            screens[-1][1].extend(units)
            continue
        parts = math.ceil(len(units) / capacity)
        size = math.ceil(len(units) / parts)
        for n in range(parts):
            title = label if parts == 1 else f"{label} (phần {n + 1}/{parts})"
            screens.append(([title], units[n * size : (n + 1) * size]))
    return tuple(Screen(" · ".join(titles), tuple(units)) for titles, units in screens)
