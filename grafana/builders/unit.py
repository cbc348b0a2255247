"""The unit scorecard: one unit's index, its rank among its peers, and every indicator with its status and reason."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from grafana import queries as q
from grafana.builders.common import Facts, navigation, query_variable
from grafana.panels import bars, dashboard, grid, score_stat, sql, stat_panel, table_panel, time_series

UID = "qndti-unit"
UNIT = "${unit:sqlstring}"


def build(facts: Facts) -> dash.Dashboard:
    """The unit scorecard dashboard."""
    return (
        dashboard(
            UID,
            "Thẻ điểm đơn vị",
            "Chỉ số của một đơn vị, thứ hạng trong nhóm cùng loại, từng chỉ tiêu với trạng thái và lý do, các nhiệm "
            "vụ đơn vị chủ trì.",
            ["unit", "scorecard"],
        )
        .link(navigation())
        .with_variable(query_variable("unit", "Đơn vị", q.UNIT_VARIABLE, facts.province))
        .with_panel(
            score_stat(
                "Chỉ số DTI của đơn vị",
                "Chỉ số chuyển đổi số của đơn vị, thang 1000 điểm.",
                grid(0, 0, 6, 6),
                q.unit_index(UNIT),
            )
        )
        .with_panel(
            stat_panel(
                "Thứ hạng trong nhóm",
                "Thứ hạng của đơn vị trong nhóm đơn vị cùng loại (sở, ngành có hoặc không cung cấp dịch vụ công; "
                "địa phương), số đơn vị của nhóm và tỷ lệ trọng số chỉ tiêu có dữ liệu.",
                grid(6, 0, 5, 6),
                q.unit_rank(UNIT),
            )
        )
        .with_panel(
            stat_panel(
                "Nhiệm vụ hoàn thành",
                "Tỷ lệ nhiệm vụ trọng tâm đơn vị chủ trì đã hoàn thành (có minh chứng) trong kế hoạch năm mới nhất có "
                "nhiệm vụ, và số nhiệm vụ; không tính vào chỉ số.",
                grid(11, 0, 3, 6),
                q.unit_task_rate(UNIT),
                unit="percent",
            )
        )
        .with_panel(
            bars(
                "Điểm các trụ cột",
                "Điểm từng trụ cột của đơn vị, thang 1000 điểm.",
                grid(14, 0, 10, 6),
                q.pillar_scores(UNIT),
            )
        )
        .with_panel(
            time_series(
                "Diễn biến chỉ số của đơn vị",
                "Chỉ số chuyển đổi số của đơn vị theo thời gian, thang 1000 điểm.",
                grid(0, 6, 24, 7),
                [sql(q.unit_index_trend(UNIT))],
            )
        )
        .with_panel(
            table_panel(
                "Chỉ tiêu của đơn vị",
                "Mọi chỉ tiêu áp dụng cho đơn vị: giá trị, mục tiêu, kỳ vọng theo lộ trình, dự báo cuối kỳ, điểm, "
                "trạng thái và lý do (vì sao).",
                grid(0, 13, 24, 14),
                q.unit_indicators(UNIT),
            )
        )
        .with_panel(
            table_panel(
                "Nhiệm vụ đơn vị chủ trì",
                "Các nhiệm vụ trọng tâm đơn vị chủ trì: hạn, tiến độ, trạng thái và lý do.",
                grid(0, 34, 24, 8),
                q.unit_tasks(UNIT),
            )
        )
        .with_panel(
            table_panel(
                "Lịch sử đơn vị qua sắp xếp đơn vị hành chính",
                "Đơn vị được hình thành từ đơn vị nào và lịch sử trước ngày thành lập: suy ra (cộng tử số và mẫu số "
                "của các đơn vị cũ) khi hình thành từ toàn bộ đơn vị cũ, không so sánh được khi hình thành từ một "
                "phần. Xem theo từng chỉ tiêu ở bảng Chi tiết chỉ tiêu.",
                grid(0, 42, 24, 4),
                q.unit_history_note(UNIT),
            )
        )
        .with_panel(
            table_panel(
                "Cảnh báo đang mở",
                "Các cảnh báo chưa được giải quyết của đơn vị: chỉ tiêu, trạng thái, thời điểm mở và nội dung.",
                grid(0, 27, 24, 7),
                q.open_alerts(UNIT),
            )
        )
    )
