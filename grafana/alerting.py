"""Grafana-managed alerting as code: rules, contact points, notification policies and Vietnamese templates.

Rules are multi-dimensional: each SQL query returns one row per indicator × unit, whose text columns become the
alert's labels (indicator, unit, pillar, lead_unit, names) and whose number is the series value. The status and
the severity are annotations, so a change of status updates the one alert of its indicator and unit.
Notifications are grouped per lead unit: one message lists every indicator of that unit that fires.
"""

from __future__ import annotations

from typing import Any, Final

from grafana_foundation_sdk.builders import alerting as al
from grafana_foundation_sdk.builders import expr
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import alerting as am

from grafana import queries as q
from grafana.builders import indicator as indicator_board
from grafana.builders.quality import UID as DATA_QUALITY_BOARD
from grafana.builders.tasks import UID as TASKS_BOARD
from grafana.panels import promql
from grafana.sql import POSTGRES_UID, PROMETHEUS_UID, Sql

FOLDER_UID: Final = "qndti"
FOLDER_TITLE: Final = "QN-DTI"
ORG_ID: Final = 1
DEFAULT_RECEIVER: Final = "qndti-ban-chi-dao"
EXPR_UID: Final = "__expr__"


def env(name: str) -> str:
    """A value Grafana reads from the environment variable ``name`` when it loads a provisioning file."""
    return "${" + name + "}"


def secret_file(path: str) -> str:
    """A value Grafana reads from the file at ``path`` (``$__file{…}``, trimmed) when it loads a provisioning file."""
    return "$__file{" + path + "}"


def _query(
    ref_id: str, datasource_uid: str, model: cogbuilder.Builder[cogvariants.Dataquery], seconds: int
) -> al.Query:
    return (
        al.Query(ref_id)
        .datasource_uid(datasource_uid)
        .model(model)
        .relative_time_range(am.RelativeTimeRange(from_val=seconds, to=0))
    )


def _threshold(ref_id: str, source: str, above: float) -> al.Query:
    condition = expr.ExprTypeThresholdConditions().evaluator(
        expr.ExprTypeThresholdConditionsEvaluator().type("gt").params([above])
    )
    model = expr.TypeThreshold().ref_id(ref_id).expression(source).conditions([condition])
    return _query(ref_id, EXPR_UID, model, 0)


def _sql(ref_id: str, query: q.Query) -> al.Query:
    return _query(ref_id, POSTGRES_UID, Sql(query.sql, ref_id, "table"), 600)


_DETAIL = "/d/" + indicator_board.UID + "?var-indicator={{ $labels.indicator }}&var-unit={{ $labels.unit }}"


def _rule(uid: str, title: str, group: str, pending: str) -> al.Rule:
    return (
        al.Rule(title)
        .uid(uid)
        .folder_uid(FOLDER_UID)
        .rule_group(group)
        .org_id(ORG_ID)
        .for_val(pending)
        .no_data_state("OK")
        .exec_err_state("Error")
    )


_STATUS_VI: Final = (
    "{{ if eq $values.S.Value 3.0 }}Suy giảm{{ else if eq $values.S.Value 2.0 }}Chậm tiến độ"
    "{{ else }}Có nguy cơ{{ end }}"
)
"""The worker's status of a firing behind-target alert in Vietnamese, from its number (``queries.SEVERITY``)."""
_STATUS_EN: Final = (
    "{{ if eq $values.S.Value 3.0 }}deteriorating{{ else if eq $values.S.Value 2.0 }}off track"
    "{{ else }}at risk{{ end }}"
)


def behind_target_rule() -> al.Rule:
    """The worker holds an open alert (after its hysteresis) that an indicator × unit is behind its trajectory."""
    return (
        _rule("qndti-behind-target", "Chỉ tiêu chậm tiến độ", "qndti-indicators", "0s")
        .with_query(_sql("A", q.BEHIND_FLAG))
        .with_query(_sql("S", q.BEHIND_SEVERITY))
        .with_query(_sql("B", q.BEHIND_SHORTFALL))
        .with_query(_sql("V", q.BEHIND_VALUE))
        .with_query(_sql("T", q.BEHIND_TARGET))
        .with_query(_threshold("C", "A", 0.5))
        .condition("C")
        .labels({"kind": "behind_target"})
        .annotations(
            {
                "severity": "{{ if ge $values.S.Value 2.0 }}critical{{ else }}warning{{ end }}",
                "status": _STATUS_VI + " / " + _STATUS_EN,
                "summary": "{{ $labels.indicator }} tại {{ $labels.unit_name }}: " + _STATUS_VI,
                "description": (
                    "Chỉ tiêu {{ $labels.indicator }} ({{ $labels.indicator_name }}) tại {{ $labels.unit_name }} "
                    "đang ở trạng thái " + _STATUS_VI + ": giá trị {{ humanize $values.V.Value }}, "
                    "thấp hơn lộ trình kỳ vọng {{ humanize $values.B.Value }} điểm, mục tiêu "
                    "{{ humanize $values.T.Value }}. Đơn vị chủ trì: {{ $labels.lead_unit }}."
                ),
                "runbook_url": _DETAIL,
            }
        )
    )


def stale_rule() -> al.Rule:
    """The worker holds an open stale alert: data of an indicator × unit that had reported stopped coming."""
    return (
        _rule("qndti-stale-data", "Chỉ tiêu thiếu dữ liệu", "qndti-indicators", "0s")
        .with_query(_sql("A", q.STALE_FLAG))
        .with_query(_sql("H", q.STALE_HOURS))
        .with_query(_threshold("C", "A", 0.5))
        .condition("C")
        .labels({"kind": "stale"})
        .annotations(
            {
                "severity": "warning",
                "status": "Thiếu dữ liệu / stale",
                "summary": "{{ $labels.indicator }} tại {{ $labels.unit_name }}: thiếu dữ liệu",
                "description": (
                    "Chỉ tiêu {{ $labels.indicator }} ({{ $labels.indicator_name }}) tại {{ $labels.unit_name }} "
                    "không có dữ liệu mới từ {{ humanize $values.H.Value }} giờ, quá 1,5 lần chu kỳ cập nhật. "
                    "Đơn vị chủ trì: {{ $labels.lead_unit }}."
                ),
                "runbook_url": _DETAIL,
            }
        )
    )


_TASK_VI: Final = (
    "{{ if eq $values.S.Value 3.0 }}quá hạn{{ else if eq $values.S.Value 2.0 }}có nguy cơ chậm"
    "{{ else }}sắp đến hạn{{ end }}"
)
_TASK_EN: Final = (
    "{{ if eq $values.S.Value 3.0 }}overdue{{ else if eq $values.S.Value 2.0 }}at risk{{ else }}due soon{{ end }}"
)


def task_rule() -> al.Rule:
    """The worker holds an open task alert (overdue, at risk after its hysteresis, or the deadline reminder)."""
    return (
        _rule("qndti-task-behind", "Nhiệm vụ quá hạn hoặc có nguy cơ chậm", "qndti-tasks", "0s")
        .with_query(_sql("A", q.TASK_FLAG))
        .with_query(_sql("S", q.TASK_LEVEL))
        .with_query(_sql("P", q.TASK_PROGRESS))
        .with_query(_sql("D", q.TASK_DAYS_LEFT))
        .with_query(_threshold("C", "A", 0.5))
        .condition("C")
        .labels({"kind": "task"})
        .annotations(
            {
                "severity": (
                    "{{ if ge $values.S.Value 3.0 }}critical{{ else if ge $values.S.Value 2.0 }}warning"
                    "{{ else }}info{{ end }}"
                ),
                "status": _TASK_VI + " / " + _TASK_EN,
                "summary": "Nhiệm vụ {{ $labels.task }} ({{ $labels.lead_unit_name }}): " + _TASK_VI,
                "description": (
                    "Nhiệm vụ {{ $labels.task }} ({{ $labels.task_title }}) do {{ $labels.lead_unit_name }} chủ trì "
                    "đang " + _TASK_VI + ": tiến độ {{ humanize $values.P.Value }}%, còn "
                    "{{ humanize $values.D.Value }} ngày đến hạn (âm: đã quá hạn). Đơn vị phối hợp: "
                    "{{ $labels.co_leads }}."
                ),
                "runbook_url": "/d/" + TASKS_BOARD + '?var-year={{ now | date "2006" }}',
            }
        )
    )


def quarantine_rule() -> al.Rule:
    """Observations of a source and unit are held in quarantine: the sending unit has figures to fix."""
    return (
        _rule("qndti-quarantine-held", "Số liệu bị cách ly", "qndti-data-quality", "0s")
        .with_query(_sql("A", q.QUARANTINE_HELD))
        .with_query(_threshold("C", "A", 0.5))
        .condition("C")
        .labels({"kind": "quarantine"})
        .annotations(
            {
                "severity": "warning",
                "summary": "{{ $labels.unit_name }}: {{ humanize $values.A.Value }} số liệu từ {{ $labels.source }} "
                "bị cách ly",
                "description": (
                    "{{ humanize $values.A.Value }} quan sát từ nguồn {{ $labels.source }} của {{ $labels.unit_name }} "
                    "không hợp lý (số lẻ ở số đếm, vượt giới hạn, thay đổi đột biến, phần lớn hơn tổng) và chưa được "
                    "tính. Gửi bản sửa (revision) hoặc nhờ quản trị chấp nhận / loại: qndti quarantine list."
                ),
                "runbook_url": "/d/" + DATA_QUALITY_BOARD,
            }
        )
    )


def pipeline_stopped_rules() -> list[al.Rule]:
    """The worker wrote no batch, or a connector polled no source successfully, for 15 minutes."""
    worker = (
        _rule("qndti-worker-stopped", "Bộ xử lý ngừng ghi dữ liệu", "qndti-pipeline", "5m")
        .with_query(
            _query(
                "A",
                PROMETHEUS_UID,
                promql("time() - max(qndti_worker_last_batch_timestamp_seconds)", "worker").instant(),
                600,
            )
        )
        .with_query(_threshold("C", "A", 900))
        .condition("C")
        .no_data_state("Alerting")
        .labels({"kind": "pipeline_stopped"})
        .annotations(
            {
                "severity": "critical",
                "summary": "Bộ xử lý không ghi lô dữ liệu nào trong 15 phút",
                "description": "Lô cuối cùng cách đây {{ humanizeDuration $values.A.Value }}.",
            }
        )
    )
    connectors = (
        _rule("qndti-connector-stopped", "Bộ kết nối ngừng thu thập", "qndti-pipeline", "5m")
        .with_query(
            _query(
                "A",
                PROMETHEUS_UID,
                promql(
                    "time() - max by (source) (qndti_connector_last_success_timestamp_seconds)", "{{source}}"
                ).instant(),
                600,
            )
        )
        .with_query(_threshold("C", "A", 900))
        .condition("C")
        .labels({"kind": "pipeline_stopped"})
        .annotations(
            {
                "severity": "critical",
                "summary": "Nguồn {{ $labels.source }} không được thu thập thành công trong 15 phút",
                "description": "Lần thu thập thành công cuối cách đây {{ humanizeDuration $values.A.Value }}.",
            }
        )
    )
    return [worker, connectors]


def rule_groups() -> list[al.RuleGroup]:
    """Every rule group (the API form: what the provisioning HTTP API accepts)."""
    indicators = al.RuleGroup("qndti-indicators").folder_uid(FOLDER_UID).interval(300)
    indicators = indicators.with_rule(behind_target_rule()).with_rule(stale_rule())
    tasks = al.RuleGroup("qndti-tasks").folder_uid(FOLDER_UID).interval(300).with_rule(task_rule())
    quality = al.RuleGroup("qndti-data-quality").folder_uid(FOLDER_UID).interval(300).with_rule(quarantine_rule())
    pipeline = al.RuleGroup("qndti-pipeline").folder_uid(FOLDER_UID).interval(60)
    for rule in pipeline_stopped_rules():
        pipeline = pipeline.with_rule(rule)
    return [indicators, tasks, quality, pipeline]


TEMPLATES: Final = {
    "qndti.subject": (
        '{{ define "qndti.subject" }}[QN-DTI] {{ if eq .Status "firing" }}{{ len .Alerts.Firing }} cảnh báo'
        "{{ else }}Đã khắc phục{{ end }}: {{ .CommonLabels.alertname }}"
        "{{ with .CommonLabels.lead_unit }} · {{ . }}{{ end }}{{ end }}"
    ),
    "qndti.message": (
        '{{ define "qndti.message" }}'
        "{{ range .Alerts.Firing }}• {{ .Annotations.summary }}\n  {{ .Annotations.description }}\n"
        "  Chi tiết: {{ .Annotations.runbook_url }}\n{{ end }}"
        "{{ if .Alerts.Resolved }}Đã trở lại bình thường:\n{{ range .Alerts.Resolved }}"
        "• {{ .Annotations.summary }}\n{{ end }}{{ end }}{{ end }}"
    ),
}
"""Notification templates in Vietnamese: what fell behind, by how much, and why."""


def templates() -> list[al.NotificationTemplate]:
    """The notification templates."""
    return [al.NotificationTemplate().name(name).template(text) for name, text in TEMPLATES.items()]


def _email(uid: str, name: str, variable: str) -> al.ContactPoint:
    return (
        al.ContactPoint()
        .uid(uid)
        .name(name)
        .type("email")
        .settings(
            {
                "addresses": env(variable),
                "singleEmail": True,
                "subject": '{{ template "qndti.subject" . }}',
                "message": '{{ template "qndti.message" . }}',
            }
        )
    )


def lead_unit_receiver(unit: str) -> str:
    """The contact point that notifies one lead unit."""
    return f"qndti-don-vi-{unit.lower()}"


def contact_points(lead_units: list[str]) -> list[al.ContactPoint]:
    """The steering committee (email and webhook) and one email contact point per lead unit."""
    points = [
        _email("qndti-email-ban-chi-dao", DEFAULT_RECEIVER, "DTI_ALERT_EMAIL"),
        al.ContactPoint()
        .uid("qndti-webhook-ban-chi-dao")
        .name(DEFAULT_RECEIVER)
        .type("webhook")
        .settings(
            {
                "url": env("DTI_ALERT_WEBHOOK_URL"),
                "httpMethod": "POST",
                "title": '{{ template "qndti.subject" . }}',
                "message": '{{ template "qndti.message" . }}',
            }
        ),
    ]
    for unit in lead_units:
        points.append(
            _email(f"qndti-email-{unit.lower()}", lead_unit_receiver(unit), f"DTI_ALERT_EMAIL_{unit.upper()}")
        )
    return points


def qndti_route(lead_units: list[str]) -> al.NotificationPolicy:
    """The one route that holds every QN-DTI alert (folder QN-DTI): per lead unit, then the steering committee.

    ``qndti grafana publish`` puts it into a server's existing policy tree (replacing only an earlier copy of
    itself); the provisioning file makes it the only route of a Grafana that serves QN-DTI alone.
    """
    routes: list[cogbuilder.Builder[am.NotificationPolicy]] = [
        al.NotificationPolicy()
        .receiver(lead_unit_receiver(unit))
        .object_matchers([["lead_unit", "=", unit]])
        .group_by(["lead_unit"])
        .continue_val(True)
        for unit in lead_units
    ]
    routes.append(al.NotificationPolicy().receiver(DEFAULT_RECEIVER).group_by(["alertname", "lead_unit"]))
    return (
        al.NotificationPolicy()
        .receiver(DEFAULT_RECEIVER)
        .object_matchers([list(ROUTE_MATCHER)])
        .group_by(["alertname", "lead_unit"])
        .group_wait("1m")
        .group_interval("10m")
        .repeat_interval("12h")
        .routes(routes)
    )


ROUTE_MATCHER: Final = ("grafana_folder", "=", FOLDER_TITLE)
"""What marks the QN-DTI route in a policy tree: Grafana labels every alert with its rule's folder title."""


def notification_policy(lead_units: list[str]) -> al.NotificationPolicy:
    """The policy tree of a Grafana provisioned from files: the steering committee at the root, the QN-DTI route."""
    return (
        al.NotificationPolicy()
        .receiver(DEFAULT_RECEIVER)
        .group_by(["grafana_folder", "alertname"])
        .routes([qndti_route(lead_units)])
    )


def to_json(item: cogbuilder.Builder[Any]) -> Any:
    """The JSON form of a built alerting object."""
    import json

    from grafana_foundation_sdk.cog.encoder import JSONEncoder

    return json.loads(json.dumps(item.build(), cls=JSONEncoder))
