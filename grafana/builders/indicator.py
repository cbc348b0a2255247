"""The indicator detail: value, target, expected trajectory and projection over time, and the breakdown by unit."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from grafana import queries as q
from grafana.builders.common import Facts, navigation, query_variable
from grafana.panels import dashboard, grid, sql, stat_panel, table_panel, time_series

UID = "qndti-indicator"
INDICATOR = "${indicator:sqlstring}"
UNIT = "${unit:sqlstring}"


def build(facts: Facts, first_indicator: str) -> dash.Dashboard:
    """The indicator detail dashboard."""
    return (
        dashboard(
            UID,
            "Chi tiết chỉ tiêu",
            "Một chỉ tiêu: giá trị, mục tiêu, lộ trình kỳ vọng và dự báo cuối kỳ theo thời gian; so sánh các đơn vị.",
            ["indicator"],
        )
        .link(navigation())
        .with_variable(query_variable("indicator", "Chỉ tiêu", q.INDICATOR_VARIABLE, first_indicator))
        .with_variable(query_variable("unit", "Đơn vị", q.UNIT_VARIABLE, facts.province))
        .with_panel(
            stat_panel(
                "Giá trị hiện tại",
                "Giá trị mới nhất của chỉ tiêu tại đơn vị, mục tiêu của kỳ, giá trị kỳ vọng theo lộ trình, "
                "dự báo cuối kỳ và trạng thái.",
                grid(0, 0, 14, 5),
                q.indicator_now(INDICATOR, UNIT),
                decimals=1,
            )
        )
        .with_panel(
            table_panel(
                "Vì sao",
                "Lý do của trạng thái: giá trị so với lộ trình và mục tiêu, đơn vị chủ trì.",
                grid(14, 0, 10, 5),
                q.indicator_why(INDICATOR, UNIT),
            )
        )
        .with_panel(
            time_series(
                "Giá trị, mục tiêu, lộ trình và dự báo",
                "Giá trị chỉ tiêu theo thời gian cùng đường mục tiêu, lộ trình kỳ vọng (từ giá trị đầu kỳ đến mục "
                "tiêu) và dự báo giá trị cuối kỳ.",
                grid(0, 5, 24, 11),
                [sql(q.indicator_trajectory(INDICATOR, UNIT))],
            )
        )
        .with_panel(
            table_panel(
                "Lịch sử đơn vị qua sắp xếp đơn vị hành chính",
                "Đơn vị được hình thành từ đơn vị nào. Hình thành từ toàn bộ đơn vị cũ: trước ngày thành lập, giá trị "
                "được suy ra bằng cách cộng tử số và mẫu số của các đơn vị cũ. Hình thành từ một phần: lịch sử trước "
                "ngày thành lập không so sánh được và không được hiển thị.",
                grid(0, 28, 24, 3),
                q.unit_history_note(UNIT),
            )
        )
        .with_panel(
            time_series(
                "Lịch sử chỉ tiêu qua sắp xếp đơn vị",
                "Giá trị cuối ngày của chỉ tiêu tại đơn vị; trước ngày thành lập của đơn vị hình thành từ toàn bộ "
                'đơn vị cũ, đường riêng "Suy ra từ đơn vị tiền thân" là tổng tử số / tổng mẫu số của các đơn vị '
                "cũ (không phải số liệu của chính đơn vị).",
                grid(0, 31, 24, 10),
                [sql(q.indicator_history(INDICATOR, UNIT))],
            )
        )
        .with_panel(
            table_panel(
                "So sánh các đơn vị",
                "Giá trị mới nhất của chỉ tiêu tại từng đơn vị với mục tiêu, kỳ vọng và trạng thái.",
                grid(0, 16, 24, 12),
                q.indicator_by_unit(INDICATOR),
            )
        )
    )
