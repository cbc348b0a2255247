"""Data quality: observations held in quarantine, each with what to fix, and indicators that never had data."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from grafana import queries as q
from grafana.builders.common import navigation
from grafana.panels import dashboard, grid, table_panel

UID = "qndti-data-quality"


def build() -> dash.Dashboard:
    """The data-quality dashboard."""
    return (
        dashboard(
            UID,
            "Chất lượng dữ liệu",
            "Số liệu không hợp lý bị cách ly (không tính vào giá trị, điểm, xếp hạng, cảnh báo) cho đến khi đơn vị "
            "gửi bản sửa hoặc quản trị chấp nhận hay loại.",
            ["data-quality"],
        )
        .link(navigation())
        .with_panel(
            table_panel(
                "Theo nguồn và đơn vị gửi",
                "Số quan sát đang cách ly của mỗi nguồn và đơn vị gửi, các lý do và thời điểm mới nhất.",
                grid(0, 0, 24, 8),
                q.quarantine_by_source(),
            )
        )
        .with_panel(
            table_panel(
                "Quan sát đang cách ly",
                "Từng quan sát bị giữ lại: đơn vị, nguồn, số liệu, giá trị, lý do và điều cần sửa; mã quan sát để "
                "chấp nhận hoặc loại (qndti quarantine accept|reject).",
                grid(0, 8, 24, 16),
                q.quarantine_list(),
            ).filterable(True)
        )
        .with_panel(
            table_panel(
                "Chỉ tiêu chưa từng có số liệu",
                "Chỉ tiêu mà kế hoạch năm nay giao cho đơn vị nhưng chưa từng nhận được số liệu: cần thiết lập nguồn "
                "(bộ kết nối, tệp báo cáo). Đây là thiếu sót thiết lập, không phát cảnh báo; cảnh báo thiếu dữ "
                "liệu chỉ dành cho số liệu đã có rồi ngừng gửi.",
                grid(0, 24, 24, 10),
                q.never_reported(),
            ).filterable(True)
        )
    )
