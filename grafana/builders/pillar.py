"""One dashboard per pillar (CQS, KTS, XHS, NT): the province's score, its indicators, and every unit."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from grafana import queries as q
from grafana.builders.common import PILLAR_NAMES, Facts, constant, navigation
from grafana.panels import bars, dashboard, grid, score_stat, sql, status_grid_panel, table_panel, time_series

PROVINCE = "${province:sqlstring}"


def uid(pillar: str) -> str:
    """The uid of a pillar's dashboard."""
    return f"qndti-pillar-{pillar.lower()}"


def build(pillar: str, facts: Facts) -> dash.Dashboard:
    """The dashboard of one pillar."""
    name = PILLAR_NAMES[pillar]
    return (
        dashboard(
            uid(pillar),
            f"Trụ cột {pillar} · {name}",
            f"Trụ cột {name}: điểm của tỉnh và từng đơn vị, trạng thái từng chỉ tiêu, chỉ tiêu chậm tiến độ.",
            ["pillar", pillar.lower()],
        )
        .link(navigation())
        .with_variable(constant("province", facts.province, "Tỉnh"))
        .with_panel(
            score_stat(
                f"Điểm {name} của tỉnh",
                f"Điểm trụ cột {name} của tỉnh, thang 1000 điểm (trung bình có trọng số của các chỉ tiêu).",
                grid(0, 0, 5, 6),
                q.pillar_score(PROVINCE, pillar),
            )
        )
        .with_panel(
            time_series(
                f"Diễn biến điểm {name}",
                f"Điểm trụ cột {name} của tỉnh theo thời gian, thang 1000 điểm.",
                grid(5, 0, 19, 6),
                [sql(q.unit_index_trend(PROVINCE, pillar))],
            )
        )
        .with_panel(
            status_grid_panel(
                f"Trạng thái chỉ tiêu {pillar} theo đơn vị",
                f"Trạng thái từng chỉ tiêu của trụ cột {name} (cột) tại từng đơn vị (hàng).",
                grid(0, 6, 24, 12),
                q.status_grid(pillar),
            )
        )
        .with_panel(
            table_panel(
                f"Chỉ tiêu {pillar} của tỉnh",
                "Giá trị, mục tiêu, giá trị kỳ vọng theo lộ trình, dự báo cuối kỳ, trạng thái và lý do của từng "
                "chỉ tiêu cấp tỉnh.",
                grid(0, 18, 14, 12),
                q.unit_indicators(PROVINCE, pillar),
            )
        )
        .with_panel(
            bars(
                f"Xếp hạng đơn vị theo {name}",
                f"Điểm trụ cột {name} của từng đơn vị, cao nhất trước, thang 1000 điểm.",
                grid(14, 18, 10, 12),
                q.pillar_ranking(pillar),
            )
        )
        .with_panel(
            table_panel(
                f"Chỉ tiêu {pillar} chậm nhất",
                "Các cặp chỉ tiêu × đơn vị của trụ cột thiếu hụt nhiều nhất so với lộ trình kỳ vọng.",
                grid(0, 30, 24, 8),
                q.most_behind(20, pillar),
            )
        )
    )
