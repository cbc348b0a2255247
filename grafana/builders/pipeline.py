"""Pipeline health from Prometheus: observations per source, failures, dead letters, lag, latency, freshness."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.builders import dashboard as dash

from grafana.builders.common import navigation
from grafana.panels import Target, dashboard, grid, promql, time_series

UID = "qndti-pipeline"

METRICS: Final = (
    "qndti_connector_polls_total",
    "qndti_connector_failures_total",
    "qndti_connector_observations_total",
    "qndti_connector_last_success_timestamp_seconds",
    "qndti_connector_source_lag_seconds",
    "qndti_worker_consumer_lag",
    "qndti_worker_observations_total",
    "qndti_worker_dead_letters_total",
    "qndti_sink_batch_duration_seconds_bucket",
    "qndti_sink_retries_total",
    "qndti_processing_latency_seconds_bucket",
    "qndti_worker_last_batch_timestamp_seconds",
)
"""Every metric the dashboard and the pipeline alerts read (names documented in README, section "Metrics")."""

RATE = "[$__rate_interval]"


def build() -> dash.Dashboard:
    """The pipeline health dashboard."""
    panels: list[tuple[str, str, list[Target], str]] = [
        (
            "Quan sát theo nguồn",
            "Số quan sát mỗi giây mà từng bộ kết nối gửi vào Kafka.",
            [promql(f"sum by (source) (rate(qndti_connector_observations_total{RATE}))", "{{source}}")],
            "ops",
        ),
        (
            "Lượt thu thập theo kết quả",
            "Số lượt hỏi nguồn dữ liệu mỗi giây theo nguồn và kết quả (thành công, lỗi).",
            [promql(f"sum by (source, outcome) (rate(qndti_connector_polls_total{RATE}))", "{{source}} · {{outcome}}")],
            "ops",
        ),
        (
            "Lỗi bộ kết nối",
            "Số lỗi mỗi giây theo nguồn và loại lỗi (nguồn không phản hồi, dữ liệu không hợp lệ).",
            [
                promql(
                    f"sum by (source, error_class) (rate(qndti_connector_failures_total{RATE}))",
                    "{{source}} · {{error_class}}",
                )
            ],
            "ops",
        ),
        (
            "Thư chết (DLQ)",
            "Số bản tin bị chuyển sang hàng đợi thư chết mỗi giây, theo lý do, và quan sát theo kết quả xử lý.",
            [
                promql(f"sum by (reason) (rate(qndti_worker_dead_letters_total{RATE}))", "DLQ · {{reason}}"),
                promql(f"sum by (outcome) (rate(qndti_worker_observations_total{RATE}))", "{{outcome}}", "B"),
            ],
            "ops",
        ),
        (
            "Độ trễ tiêu thụ Kafka",
            "Số bản tin chưa được bộ xử lý đọc, theo topic.",
            [promql("sum by (topic) (qndti_worker_consumer_lag)", "{{topic}}")],
            "short",
        ),
        (
            "Độ trễ ghi cơ sở dữ liệu",
            "Thời gian ghi một lô vào cơ sở dữ liệu (phân vị 50 và 95) và số lần ghi lại sau lỗi.",
            [
                promql(
                    f"histogram_quantile(0.95, sum by (le) (rate(qndti_sink_batch_duration_seconds_bucket{RATE})))",
                    "p95",
                ),
                promql(
                    f"histogram_quantile(0.5, sum by (le) (rate(qndti_sink_batch_duration_seconds_bucket{RATE})))",
                    "p50",
                    "B",
                ),
                promql(f"sum(rate(qndti_sink_retries_total{RATE}))", "ghi lại", "C"),
            ],
            "s",
        ),
        (
            "Độ trễ xử lý đầu cuối",
            "Thời gian từ thời điểm quan sát đến khi giá trị chỉ tiêu được ghi (phân vị 95).",
            [
                promql(
                    f"histogram_quantile(0.95, sum by (le) (rate(qndti_processing_latency_seconds_bucket{RATE})))",
                    "p95",
                )
            ],
            "s",
        ),
        (
            "Độ mới của nguồn",
            "Thời gian từ lần thu thập thành công gần nhất và độ trễ dữ liệu của từng nguồn.",
            [
                promql("time() - max by (source) (qndti_connector_last_success_timestamp_seconds)", "{{source}}"),
                promql("max by (source) (qndti_connector_source_lag_seconds)", "trễ · {{source}}", "B"),
            ],
            "s",
        ),
    ]
    board = (
        dashboard(
            UID,
            "Sức khỏe đường ống dữ liệu",
            "Bộ kết nối, Kafka, bộ xử lý và cơ sở dữ liệu: lưu lượng, lỗi, thư chết, độ trễ và độ mới dữ liệu.",
            ["pipeline", "operations"],
        )
        .time("now-6h", "now")
        .link(navigation())
    )
    for i, (title, description, targets, unit) in enumerate(panels):
        board = board.with_panel(
            time_series(title, description, grid(12 * (i % 2), 8 * (i // 2), 12, 8), targets, unit)
        )
    return board
