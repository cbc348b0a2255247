"""The wall screen: the province and every unit of the map in force at a glance on a 1920×1080 kiosk, no scrolling."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from grafana import queries as q
from grafana.builders.common import Facts, constant, navigation
from grafana.panels import (
    bars,
    dashboard,
    grid,
    score_stat,
    sql,
    stat_panel,
    table_panel,
    time_series,
    unit_tiles_panel,
)
from grafana.style import thresholds

UID = "qndti-overview"
PROVINCE = "${province:sqlstring}"


def build(facts: Facts) -> dash.Dashboard:
    """The overview dashboard."""
    return (
        dashboard(
            UID,
            "Toàn cảnh chuyển đổi số Quảng Ninh",
            "Màn hình giám sát trung tâm: chỉ số chuyển đổi số của tỉnh, các trụ cột, chỉ tiêu đạt và chậm tiến độ.",
            ["wall", "overview"],
            refresh="10s",
        )
        .time("now-30d", "now")
        .link(navigation())
        .with_variable(constant("province", facts.province, "Tỉnh"))
        .with_variable(constant("indicator_total", str(facts.indicator_total), "Tổng số chỉ tiêu"))
        .with_panel(
            score_stat(
                "Chỉ số DTI tỉnh",
                "Chỉ số chuyển đổi số của tỉnh, thang 1000 điểm (tổng có trọng số của các trụ cột).",
                grid(0, 0, 4, 4),
                q.unit_index(PROVINCE),
            )
        )
        .with_panel(
            stat_panel(
                "Chỉ tiêu đạt và hoàn thành",
                "Số chỉ tiêu cấp tỉnh có giá trị đạt mục tiêu (Đạt) và số được đơn vị chủ trì xác nhận hoàn thành, "
                "trên tổng số chỉ tiêu của kế hoạch.",
                grid(4, 0, 4, 4),
                q.indicator_counts(PROVINCE, "${indicator_total}"),
            )
        )
        .with_panel(
            stat_panel(
                "Nhiệm vụ",
                "Nhiệm vụ trọng tâm của kế hoạch năm: số hoàn thành (có minh chứng) trên tổng số, số quá hạn và số có "
                "nguy cơ chậm; chi tiết ở bảng nhiệm vụ.",
                grid(8, 0, 3, 4),
                q.task_counts(),
            )
        )
        .with_panel(
            stat_panel(
                "Độ mới dữ liệu",
                "Thời gian từ quan sát mới nhất (của bất kỳ chỉ tiêu, đơn vị nào) đến nay.",
                grid(11, 0, 3, 4),
                q.data_age(),
                unit="s",
            )
        )
        .with_panel(
            stat_panel(
                "Thiếu dữ liệu",
                "Số cặp chỉ tiêu × đơn vị không có dữ liệu mới quá 1,5 lần chu kỳ cập nhật.",
                grid(14, 0, 2, 4),
                q.stale_count(),
            ).thresholds(thresholds((0, "green"), (1, "purple")))
        )
        .with_panel(
            bars(
                "Điểm các trụ cột",
                "Điểm từng trụ cột của tỉnh (CQS chính quyền số, KTS kinh tế số, XHS xã hội số, NT nền tảng), "
                "thang 1000 điểm.",
                grid(16, 0, 8, 8),
                q.pillar_scores(PROVINCE),
            )
        )
        .with_panel(
            time_series(
                "Diễn biến chỉ số DTI tỉnh",
                "Chỉ số chuyển đổi số của tỉnh theo thời gian, thang 1000 điểm.",
                grid(0, 4, 16, 4),
                [sql(q.unit_index_trend(PROVINCE))],
            )
        )
        .with_panel(
            unit_tiles_panel(
                "Chỉ số DTI các đơn vị",
                "Mỗi ô là một đơn vị của bản đồ hành chính có hiệu lực (sở, ngành; phường, xã, đặc khu) với chỉ số "
                "chuyển đổi số, thang 1000 điểm; trạng thái từng chỉ tiêu ở các màn hình tiếp theo.",
                grid(0, 8, 16, 20),
                q.unit_tiles(),
            )
        )
        .with_panel(
            table_panel(
                "Chỉ tiêu chậm nhất",
                "Các cặp chỉ tiêu × đơn vị thiếu hụt nhiều nhất so với lộ trình kỳ vọng tại thời điểm này.",
                grid(16, 8, 8, 20),
                q.most_behind(15, compact=True),
            )
        )
    )
