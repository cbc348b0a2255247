"""The wall screens after the overview: the status of every indicator at every unit of the map in force.

One screen cannot hold 35 indicators for every unit readably, so the units are split over screens that each fit
a 1920×1080 kiosk without scrolling (see :mod:`grafana.kiosk`); a playlist rotates the overview and these screens.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from grafana import queries as q
from grafana.builders.common import navigation
from grafana.kiosk import KIOSK_COLUMNS, KIOSK_ROWS, Screen
from grafana.panels import dashboard, grid, status_grid_panel

PREFIX = "qndti-wall-"
PLAYLIST_UID = "qndti-wall"
PLAYLIST_INTERVAL = "30s"


def uid(number: int) -> str:
    """The uid of the ``number``-th wall screen (from 1)."""
    return f"{PREFIX}{number}"


def build(screen: Screen, number: int, total: int) -> dash.Dashboard:
    """One wall screen: a full-screen status matrix of its units."""
    return (
        dashboard(
            uid(number),
            f"Trạng thái chỉ tiêu {number}/{total}: {screen.title}",
            f"Màn hình tường {number}/{total}: trạng thái từng chỉ tiêu (cột) tại từng đơn vị (hàng) của nhóm "
            f"{screen.title}, theo bản đồ hành chính có hiệu lực.",
            ["wall", "status"],
            refresh="10s",
        )
        .time("now-30d", "now")
        .link(navigation())
        .with_panel(
            status_grid_panel(
                f"Trạng thái chỉ tiêu: {screen.title}",
                "Mỗi ô là trạng thái của một chỉ tiêu (cột) tại một đơn vị (hàng): Đạt, Hoàn thành, Đúng tiến độ, "
                "Có nguy cơ, Chậm tiến độ, Suy giảm, Thiếu dữ liệu, Chưa có chỉ tiêu.",
                grid(0, 0, KIOSK_COLUMNS, KIOSK_ROWS),
                q.status_grid(units=screen.units),
            )
        )
    )


def playlist(screens: int) -> dict[str, object]:
    """The playlist that rotates the overview and the wall screens (Grafana's playlist API body)."""
    items = [{"type": "dashboard_by_uid", "value": "qndti-overview"}]
    items += [{"type": "dashboard_by_uid", "value": uid(n)} for n in range(1, screens + 1)]
    return {"uid": PLAYLIST_UID, "name": "Màn hình tường QN-DTI", "interval": PLAYLIST_INTERVAL, "items": items}
