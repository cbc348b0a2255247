"""The task board: a plan year's key tasks by lead unit and deadline, each with its status and why."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from grafana import queries as q
from grafana.builders.common import navigation, query_variable
from grafana.panels import dashboard, grid, stat_panel, table_panel

UID = "qndti-tasks"
YEAR = "${year}"


def build(default_year: str) -> dash.Dashboard:
    """The task board dashboard; ``default_year`` is the newest plan year with tasks."""
    return (
        dashboard(
            UID,
            "Nhiệm vụ trọng tâm",
            "Các nhiệm vụ trọng tâm của kế hoạch năm: đơn vị chủ trì, hạn, tiến độ báo cáo, trạng thái và lý do.",
            ["tasks"],
        )
        .link(navigation())
        .with_variable(query_variable("year", "Năm kế hoạch", q.TASK_YEAR_VARIABLE, default_year))
        .with_panel(
            stat_panel(
                "Nhiệm vụ",
                "Số nhiệm vụ hoàn thành (có minh chứng) trên tổng số nhiệm vụ của kế hoạch, số nhiệm vụ quá hạn "
                "và số có nguy cơ chậm.",
                grid(0, 0, 8, 5),
                q.task_counts(YEAR),
            )
        )
        .with_panel(
            table_panel(
                "Theo tháng đến hạn",
                "Số nhiệm vụ đến hạn mỗi tháng, số đã hoàn thành và số quá hạn.",
                grid(8, 0, 16, 5),
                q.tasks_by_deadline(YEAR),
            )
        )
        .with_panel(
            table_panel(
                "Bảng nhiệm vụ",
                "Mọi nhiệm vụ của năm, khẩn cấp nhất trước (quá hạn, có nguy cơ, đúng tiến độ, hoàn thành); lọc "
                "theo trạng thái hoặc đơn vị bằng bộ lọc ở tiêu đề cột.",
                grid(0, 5, 24, 14),
                q.task_board(YEAR),
            ).filterable(True)
        )
        .with_panel(
            table_panel(
                "Theo đơn vị chủ trì",
                "Số nhiệm vụ của mỗi đơn vị chủ trì, số hoàn thành, có nguy cơ và quá hạn.",
                grid(0, 19, 12, 10),
                q.tasks_by_lead_unit(YEAR),
            )
        )
        .with_panel(
            table_panel(
                "Cảnh báo nhiệm vụ đang mở",
                "Cảnh báo quá hạn, có nguy cơ chậm và nhắc hạn chưa kết thúc; gửi tới đơn vị chủ trì và đơn vị "
                "phối hợp.",
                grid(12, 19, 12, 10),
                q.open_task_alerts(YEAR),
            )
        )
    )
