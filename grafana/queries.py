"""Every SQL query of the dashboards, with the columns its panel expects, against the public views of schema dti.

The views and columns used here are the public contract of the database (README, section "Public views"):

- ``dti.indicator_latest``: indicator_code, indicator_name_vi, pillar, lead_unit, unit_code, unit_name_vi, ts, value,
  target, expected, projected, status, status_vi, score, attainment, progress;
- ``dti.unit_score_latest``: unit_code, unit_name_vi, pillar (:data:`OVERALL` for the unit index), ts, score,
  coverage, rank, rank_of;
- ``dti.indicator_series``: indicator_code, unit_code, bucket, value, target, expected, projected;
- ``dti.unit_score_series``: unit_code, pillar, bucket, score;
- ``dti.alerts_open``: indicator_code, unit_code, ts, status, message_vi;
- ``dti.task_latest``: period, task_code, title_vi, lead_unit, lead_unit_name_vi, deadline, progress, expected,
  status, status_vi, severity, reason_vi, report_date, evidence, done, overdue;
- ``dti.task_alerts_open``: task_code, kind, ts, status_vi, message_vi, notify;
- ``dti.indicator_history_daily``: indicator_code, unit_code, bucket, value, derived;
- ``dti.unit_lineage``: unit_code, valid_from, predecessors, note_vi, note_en.

Queries use ``$__time``/``$__timeFilter`` only (never ``$__timeGroup``), so they run on PostgreSQL and TimescaleDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from grafana.sql import Format
from grafana.style import BEHIND

OVERALL: Final = "INDEX"
"""The ``pillar`` value of a unit's overall index in ``dti.unit_score_latest`` and ``dti.unit_score_series``."""

ACHIEVED: Final = "('achieved', 'completed')"
WHY: Final = (
    "concat_ws('; ', status_vi, 'đạt ' || round((attainment * 100)::numeric, 1) || '% mục tiêu', "
    "'dự báo cuối kỳ đạt ' || round((progress * 100)::numeric, 0) || '% mức tăng cần thiết')"
)
"""Why an indicator has its status: plan attainment x/T and the progress ratio R of the projection."""
BEHIND_SQL: Final = "(" + ", ".join(f"'{code}'" for code in BEHIND) + ")"
DASHBOARD_DAY: Final = "(($__timeTo())::timestamptz AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"
"""The local day at the end of the dashboard's time range: the map shown is the one in force that day."""


def valid_at_dashboard_time(valid_from: str, valid_to: str) -> str:
    """A condition: the unit whose validity columns are given exists on the dashboard's day."""
    return f"{valid_from} <= {DASHBOARD_DAY} AND ({valid_to} IS NULL OR {valid_to} >= {DASHBOARD_DAY})"


IN_FORCE: Final = valid_at_dashboard_time("unit_valid_from", "unit_valid_to")
REVISED: Final = """LEFT JOIN dti.indicator_revised AS r
    ON r.indicator_code = l.indicator_code AND r.unit_code = l.unit_code AND r.period = l.period"""
"""Joins a value of ``dti.indicator_latest AS l`` to its revision mark (``r.revised_at`` set when revised)."""


@dataclass(frozen=True)
class Query:
    """A panel query and the columns (in order) its panel expects."""

    sql: str
    columns: tuple[str, ...]
    fmt: Format = "table"


REGISTRY: dict[str, Query] = {}


def query(sql: str, *columns: str, fmt: Format = "table") -> Query:
    """Register a query so the tests can run it and check its columns."""
    made = Query(" ".join(sql.split()), columns, fmt)
    REGISTRY[made.sql] = made
    return made


# --- unit index and pillar scores -------------------------------------------------------------------------------


def unit_index(unit: str) -> Query:
    """A unit's index in points (0–1000) with its time."""
    return query(
        f"""SELECT $__time(ts), score * 1000 AS "Điểm" FROM dti.unit_score_latest
            WHERE unit_code = {unit} AND pillar = '{OVERALL}'""",
        "time",
        "Điểm",
    )


def unit_index_trend(unit: str, pillar: str = OVERALL) -> Query:
    """A unit's index (or one pillar score) over the dashboard's time range, in points."""
    return query(
        f"""SELECT $__time(bucket), score * 1000 AS "Điểm" FROM dti.unit_score_series
            WHERE unit_code = {unit} AND pillar = '{pillar}' AND $__timeFilter(bucket) ORDER BY 1""",
        "time",
        "Điểm",
        fmt="time_series",
    )


def pillar_score(unit: str, pillar: str) -> Query:
    """One pillar score of a unit, in points, with its time."""
    return query(
        f"""SELECT $__time(ts), score * 1000 AS "Điểm" FROM dti.unit_score_latest
            WHERE unit_code = {unit} AND pillar = '{pillar}'""",
        "time",
        "Điểm",
    )


def pillar_scores(unit: str) -> Query:
    """A unit's pillar scores in points, one row per pillar."""
    return query(
        f"""SELECT pillar AS "Trụ cột", score * 1000 AS "Điểm" FROM dti.unit_score_latest
            WHERE unit_code = {unit} AND pillar <> '{OVERALL}' ORDER BY pillar""",
        "Trụ cột",
        "Điểm",
    )


def unit_rank(unit: str) -> Query:
    """A unit's rank within its peer group, the group's size and its data coverage."""
    return query(
        f"""SELECT rank AS "Hạng", rank_of AS "Số đơn vị cùng nhóm", round((coverage * 100)::numeric, 0)
                   AS "Độ phủ dữ liệu (%)"
            FROM dti.unit_score_latest WHERE unit_code = {unit} AND pillar = '{OVERALL}'""",
        "Hạng",
        "Số đơn vị cùng nhóm",
        "Độ phủ dữ liệu (%)",
    )


def pillar_ranking(pillar: str) -> Query:
    """Every unit's score on one pillar, best first."""
    return query(
        f"""SELECT unit_name_vi AS "Đơn vị", score * 1000 AS "Điểm", rank AS "Hạng", coverage AS "Độ phủ dữ liệu"
            FROM dti.unit_score_latest WHERE pillar = '{pillar}' AND score IS NOT NULL
            ORDER BY score DESC, unit_code""",
        "Đơn vị",
        "Điểm",
        "Hạng",
        "Độ phủ dữ liệu",
    )


# --- indicators --------------------------------------------------------------------------------------------------


def indicator_counts(unit: str, total: str) -> Query:
    """Indicators achieved and officially completed, out of the catalog's total."""
    return query(
        f"""SELECT count(*) FILTER (WHERE status IN {ACHIEVED}) AS "Đạt",
                   count(*) FILTER (WHERE status = 'completed') AS "Hoàn thành",
                   {total}::integer AS "Tổng số chỉ tiêu"
            FROM dti.indicator_latest WHERE unit_code = {unit}""",
        "Đạt",
        "Hoàn thành",
        "Tổng số chỉ tiêu",
    )


def status_grid(pillar: str | None = None, units: tuple[str, ...] = ()) -> Query:
    """Status of every indicator at every unit in force (or of ``units``), long form (a matrix makes the grid)."""
    where = f"AND pillar = '{pillar}'" if pillar else ""
    name = "unit_name_vi"
    if units:
        where += " AND unit_code IN (" + ", ".join(f"'{code}'" for code in units) + ")"
        # The screen's title names the kind of unit: rows keep the short name, which a narrow column can show.
        name = "regexp_replace(unit_name_vi, '^(Phường|Xã|Đặc khu) ', '')"
    return query(
        f"""SELECT {name} AS "Đơn vị", indicator_code AS "Chỉ tiêu", status AS "Trạng thái"
            FROM dti.indicator_latest WHERE {IN_FORCE} {where} ORDER BY unit_code, indicator_code""",
        "Đơn vị",
        "Chỉ tiêu",
        "Trạng thái",
    )


def most_behind(limit: int, pillar: str | None = None, compact: bool = False) -> Query:
    """Indicator × unit pairs behind their trajectory, largest shortfall against the expected value first.

    The compact form (for the wall screen) keeps the code, unit, shortfall and status.
    """
    extra = f"AND pillar = '{pillar}'" if pillar else ""
    columns = (
        ("Mã", "Đơn vị", "Thiếu hụt", "Trạng thái")
        if compact
        else ("Mã", "Chỉ tiêu", "Đơn vị", "Giá trị", "Kỳ vọng", "Mục tiêu", "Thiếu hụt", "Trạng thái")
    )
    expressions = {
        "Mã": "indicator_code",
        "Chỉ tiêu": "indicator_name_vi",
        "Đơn vị": "unit_name_vi",
        "Giá trị": "value",
        "Kỳ vọng": "expected",
        "Mục tiêu": "target",
        "Thiếu hụt": "expected - value",
        "Trạng thái": "status",
    }
    select = ", ".join(f'{expressions[c]} AS "{c}"' for c in columns)
    return query(
        f"""SELECT {select} FROM dti.indicator_latest WHERE status IN {BEHIND_SQL} {extra}
            ORDER BY expected - value DESC NULLS LAST, indicator_code, unit_code LIMIT {limit}""",
        *columns,
    )


def data_age() -> Query:
    """Seconds since the newest observation behind any indicator value."""
    return query(
        """SELECT extract(epoch FROM now() - max(ts)) AS "Dữ liệu mới nhất" FROM dti.indicator_latest""",
        "Dữ liệu mới nhất",
    )


def stale_count() -> Query:
    """Indicator × unit pairs without fresh data."""
    return query(
        """SELECT count(*) FILTER (WHERE status = 'stale') AS "Thiếu dữ liệu" FROM dti.indicator_latest""",
        "Thiếu dữ liệu",
    )


def unit_indicators(unit: str, pillar: str | None = None) -> Query:
    """Every indicator of a unit (or of the province for one pillar) with status and the reason for it."""
    extra = f"AND pillar = '{pillar}'" if pillar else ""
    return query(
        f"""SELECT l.indicator_code AS "Mã", indicator_name_vi AS "Chỉ tiêu", value AS "Giá trị",
                   target AS "Mục tiêu", expected AS "Kỳ vọng", projected AS "Dự báo cuối kỳ",
                   score AS "Điểm", status AS "Trạng thái", {WHY} AS "Vì sao",
                   CASE WHEN r.revised_at IS NULL THEN '' ELSE 'đã sửa ' || r.metrics END AS "Đã sửa"
            FROM dti.indicator_latest AS l {REVISED}
            WHERE l.unit_code = {unit} {extra} ORDER BY l.indicator_code""",
        "Mã",
        "Chỉ tiêu",
        "Giá trị",
        "Mục tiêu",
        "Kỳ vọng",
        "Dự báo cuối kỳ",
        "Điểm",
        "Trạng thái",
        "Vì sao",
        "Đã sửa",
    )


def indicator_now(indicator: str, unit: str) -> Query:
    """The latest value of one indicator at one unit with its target, expected value and projection."""
    return query(
        f"""SELECT value AS "Giá trị", target AS "Mục tiêu", expected AS "Kỳ vọng",
                   projected AS "Dự báo cuối kỳ", status AS "Trạng thái"
            FROM dti.indicator_latest WHERE indicator_code = {indicator} AND unit_code = {unit}""",
        "Giá trị",
        "Mục tiêu",
        "Kỳ vọng",
        "Dự báo cuối kỳ",
        "Trạng thái",
    )


def indicator_why(indicator: str, unit: str) -> Query:
    """The explanation of one indicator's status at one unit."""
    return query(
        f"""SELECT indicator_name_vi AS "Chỉ tiêu", unit_name_vi AS "Đơn vị", lead_unit AS "Đơn vị chủ trì",
                   {WHY} AS "Vì sao"
            FROM dti.indicator_latest WHERE indicator_code = {indicator} AND unit_code = {unit}""",
        "Chỉ tiêu",
        "Đơn vị",
        "Đơn vị chủ trì",
        "Vì sao",
    )


def indicator_trajectory(indicator: str, unit: str) -> Query:
    """Value, target, expected trajectory and projection of one indicator at one unit over time."""
    return query(
        f"""SELECT $__time(bucket), value AS "Giá trị", target AS "Mục tiêu", expected AS "Lộ trình kỳ vọng",
                   projected AS "Dự báo cuối kỳ"
            FROM dti.indicator_series
            WHERE indicator_code = {indicator} AND unit_code = {unit} AND $__timeFilter(bucket) ORDER BY 1""",
        "time",
        "Giá trị",
        "Mục tiêu",
        "Lộ trình kỳ vọng",
        "Dự báo cuối kỳ",
        fmt="time_series",
    )


def indicator_history(indicator: str, unit: str) -> Query:
    """One indicator at one unit per local day across a change of the map, derived days in a column of their own.

    Derived days come before the unit started, summed from its whole predecessors (``dti.indicator_history_daily``).
    """
    return query(
        f"""SELECT $__time(bucket), CASE WHEN derived THEN NULL ELSE value END AS "Giá trị của đơn vị",
                   CASE WHEN derived THEN value END AS "Suy ra từ đơn vị tiền thân"
            FROM dti.indicator_history_daily
            WHERE indicator_code = {indicator} AND unit_code = {unit} AND $__timeFilter(bucket) ORDER BY 1""",
        "time",
        "Giá trị của đơn vị",
        "Suy ra từ đơn vị tiền thân",
        fmt="time_series",
    )


def unit_history_note(unit: str) -> Query:
    """What a unit was formed from and whether its history before its first day is derived or not comparable."""
    return query(
        f"""SELECT CASE WHEN note_vi = '' THEN 'Không có đơn vị tiền thân' ELSE note_vi END AS "Lịch sử đơn vị",
                   CASE WHEN note_en = '' THEN 'No predecessor' ELSE note_en END AS "History",
                   valid_from AS "Ngày thành lập", array_to_string(predecessors, ', ') AS "Đơn vị tiền thân"
            FROM dti.unit_lineage WHERE unit_code = {unit}""",
        "Lịch sử đơn vị",
        "History",
        "Ngày thành lập",
        "Đơn vị tiền thân",
    )


def indicator_by_unit(indicator: str) -> Query:
    """One indicator at every unit: value, target, status."""
    return query(
        f"""SELECT unit_name_vi AS "Đơn vị", value AS "Giá trị", target AS "Mục tiêu", expected AS "Kỳ vọng",
                   status AS "Trạng thái", CASE WHEN r.revised_at IS NULL THEN '' ELSE 'đã sửa' END AS "Đã sửa"
            FROM dti.indicator_latest AS l {REVISED}
            WHERE l.indicator_code = {indicator} AND {IN_FORCE}
            ORDER BY value DESC NULLS LAST, l.unit_code""",
        "Đơn vị",
        "Giá trị",
        "Mục tiêu",
        "Kỳ vọng",
        "Trạng thái",
        "Đã sửa",
    )


def open_alerts(unit: str) -> Query:
    """Alerts still open for a unit."""
    return query(
        f"""SELECT ts AS "Mở lúc", indicator_code AS "Chỉ tiêu", status AS "Trạng thái", message_vi AS "Nội dung"
            FROM dti.alerts_open WHERE unit_code = {unit} ORDER BY ts DESC, indicator_code""",
        "Mở lúc",
        "Chỉ tiêu",
        "Trạng thái",
        "Nội dung",
    )


# --- tasks -----------------------------------------------------------------------------------------------------

PLAN_YEAR: Final = "(SELECT max(period) FROM dti.task_latest WHERE period <= EXTRACT(YEAR FROM " + DASHBOARD_DAY + "))"
"""The newest plan year with tasks up to the dashboard's day."""

TASK_YEAR_VARIABLE: Final = query(
    "SELECT DISTINCT period AS __value, period::text AS __text FROM dti.task_latest ORDER BY 1 DESC",
    "__value",
    "__text",
)


def task_counts(year: str = PLAN_YEAR) -> Query:
    """Tasks done of the plan's total (as ``done/total``), and how many are overdue or at risk."""
    return query(
        f"""SELECT count(*) FILTER (WHERE done) || '/' || count(*) AS "Hoàn thành",
                   count(*) FILTER (WHERE overdue) AS "Quá hạn",
                   count(*) FILTER (WHERE status = 'at_risk') AS "Có nguy cơ"
            FROM dti.task_latest WHERE period = {year}""",
        "Hoàn thành",
        "Quá hạn",
        "Có nguy cơ",
    )


def task_board(year: str) -> Query:
    """Every task of a plan year, the most urgent first: lead unit, deadline, progress, status and why."""
    return query(
        f"""SELECT task_code AS "Mã", title_vi AS "Nhiệm vụ", lead_unit_name_vi AS "Chủ trì", deadline AS "Hạn",
                   progress AS "Tiến độ (%)", round(expected::numeric, 0) AS "Kỳ vọng (%)", status_vi AS "Trạng thái",
                   reason_vi AS "Lý do", evidence AS "Minh chứng"
            FROM dti.task_latest WHERE period = {year}
            ORDER BY severity DESC NULLS LAST, deadline, task_code""",
        "Mã",
        "Nhiệm vụ",
        "Chủ trì",
        "Hạn",
        "Tiến độ (%)",
        "Kỳ vọng (%)",
        "Trạng thái",
        "Lý do",
        "Minh chứng",
    )


def tasks_by_lead_unit(year: str) -> Query:
    """Per lead unit: its tasks, how many are done, at risk and overdue."""
    return query(
        f"""SELECT lead_unit_name_vi AS "Đơn vị chủ trì", count(*) AS "Số nhiệm vụ",
                   count(*) FILTER (WHERE done) AS "Hoàn thành", count(*) FILTER (WHERE status = 'at_risk')
                   AS "Có nguy cơ", count(*) FILTER (WHERE overdue) AS "Quá hạn"
            FROM dti.task_latest WHERE period = {year}
            GROUP BY lead_unit_name_vi ORDER BY 5 DESC, 4 DESC, 1""",
        "Đơn vị chủ trì",
        "Số nhiệm vụ",
        "Hoàn thành",
        "Có nguy cơ",
        "Quá hạn",
    )


def tasks_by_deadline(year: str) -> Query:
    """Per month of deadline: tasks due, done and overdue."""
    return query(
        f"""SELECT to_char(deadline, 'YYYY-MM') AS "Tháng đến hạn", count(*) AS "Số nhiệm vụ",
                   count(*) FILTER (WHERE done) AS "Hoàn thành", count(*) FILTER (WHERE overdue) AS "Quá hạn"
            FROM dti.task_latest WHERE period = {year} GROUP BY 1 ORDER BY 1""",
        "Tháng đến hạn",
        "Số nhiệm vụ",
        "Hoàn thành",
        "Quá hạn",
    )


def unit_tasks(unit: str) -> Query:
    """The tasks a unit leads in the newest plan year with tasks, the most urgent first."""
    return query(
        f"""SELECT task_code AS "Mã", title_vi AS "Nhiệm vụ", deadline AS "Hạn", progress AS "Tiến độ (%)",
                   status_vi AS "Trạng thái", reason_vi AS "Lý do"
            FROM dti.task_latest WHERE lead_unit = {unit} AND period = {PLAN_YEAR}
            ORDER BY severity DESC NULLS LAST, deadline, task_code""",
        "Mã",
        "Nhiệm vụ",
        "Hạn",
        "Tiến độ (%)",
        "Trạng thái",
        "Lý do",
    )


def unit_task_rate(unit: str) -> Query:
    """The share of a unit's tasks done (newest plan year with tasks), shown beside its index."""
    return query(
        f"""SELECT 100.0 * count(*) FILTER (WHERE done) / nullif(count(*), 0) AS "Nhiệm vụ hoàn thành (%)",
                   count(*) AS "Số nhiệm vụ"
            FROM dti.task_latest WHERE lead_unit = {unit} AND period = {PLAN_YEAR}""",
        "Nhiệm vụ hoàn thành (%)",
        "Số nhiệm vụ",
    )


def open_task_alerts(year: str) -> Query:
    """Task alerts still open, newest first."""
    return query(
        f"""SELECT ts AS "Mở lúc", task_code AS "Nhiệm vụ", kind AS "Loại", status_vi AS "Trạng thái",
                   array_to_string(notify, ', ') AS "Gửi tới", message_vi AS "Nội dung"
            FROM dti.task_alerts_open WHERE period = {year} ORDER BY ts DESC, task_code""",
        "Mở lúc",
        "Nhiệm vụ",
        "Loại",
        "Trạng thái",
        "Gửi tới",
        "Nội dung",
    )


# --- template variables -----------------------------------------------------------------------------------------

UNIT_VARIABLE: Final = query(
    f"""SELECT unit_code AS __value, unit_name_vi AS __text FROM dti.unit_map
        WHERE {valid_at_dashboard_time("valid_from", "valid_to")} ORDER BY 1""",
    "__value",
    "__text",
)


def unit_tiles() -> Query:
    """Every unit of the map in force (the province aside) with its index in points, grouped by peer group."""
    return query(
        f"""SELECT m.unit_name_vi AS "Đơn vị", s.score * 1000 AS "Điểm"
            FROM dti.unit_map AS m
            LEFT JOIN dti.unit_score_latest AS s ON s.unit_code = m.unit_code AND s.pillar = '{OVERALL}'
            WHERE m.parent_code IS NOT NULL AND {valid_at_dashboard_time("m.valid_from", "m.valid_to")}
            ORDER BY m.peer_group, m.unit_code""",
        "Đơn vị",
        "Điểm",
    )


INDICATOR_VARIABLE: Final = query(
    """SELECT DISTINCT indicator_code AS __value, indicator_code || ' · ' || indicator_name_vi AS __text
       FROM dti.indicator_latest ORDER BY 1""",
    "__value",
    "__text",
)


# --- alert rules ------------------------------------------------------------------------------------------------
# The rules read the worker's open alerts (dti.alerts_open): the worker's hysteresis decides when an alert is
# raised and resolved, and Grafana only reports it. Labels identify the indicator and unit and nothing that
# changes with its status, so at risk → off track updates one alert instead of resolving it and firing another.
# Rows come from dti.indicator_latest, so only indicator × unit pairs that have reported at least once can page:
# an indicator that never reported is a setup gap (no data), not stale data.

_ALERT_LABELS: Final = """l.indicator_code AS indicator, l.unit_code AS unit, l.pillar, l.lead_unit,
    l.indicator_name_vi AS indicator_name, l.unit_name_vi AS unit_name"""
ALERT_LABELS: Final = ("indicator", "unit", "pillar", "lead_unit", "indicator_name", "unit_name")

SEVERITY: Final = {"at_risk": 1, "off_track": 2, "deteriorating": 3}
"""The number a behind-target alert carries for the worker's status (annotations turn it into words)."""
_SEVERITY_SQL: Final = "CASE o.status " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in SEVERITY.items()) + " ELSE 1 END"
_OPEN_BEHIND: Final = f"""LEFT JOIN (SELECT o.indicator_code, o.unit_code, max({_SEVERITY_SQL}) AS severity
        FROM dti.alerts_open AS o WHERE o.kind IN ('worsened', 'shortfall') GROUP BY 1, 2) AS a
    ON a.indicator_code = l.indicator_code AND a.unit_code = l.unit_code"""
_OPEN_STALE: Final = """LEFT JOIN (SELECT DISTINCT o.indicator_code, o.unit_code FROM dti.alerts_open AS o
        WHERE o.kind = 'stale') AS a ON a.indicator_code = l.indicator_code AND a.unit_code = l.unit_code"""


def _behind(expression: str, column: str) -> Query:
    return query(
        f"""SELECT {_ALERT_LABELS}, {expression} AS {column} FROM dti.indicator_latest AS l {_OPEN_BEHIND}""",
        *ALERT_LABELS,
        column,
    )


BEHIND_FLAG: Final = _behind("CASE WHEN a.severity IS NULL THEN 0 ELSE 1 END", "behind")
BEHIND_SEVERITY: Final = _behind("coalesce(a.severity, 0)", "severity")
BEHIND_SHORTFALL: Final = _behind("coalesce(l.expected - l.value, 0)", "shortfall")
BEHIND_VALUE: Final = _behind("coalesce(l.value, 0)", "value")
BEHIND_TARGET: Final = _behind("coalesce(l.target, 0)", "target")
STALE_FLAG: Final = query(
    f"""SELECT {_ALERT_LABELS}, CASE WHEN a.indicator_code IS NULL THEN 0 ELSE 1 END AS stale
        FROM dti.indicator_latest AS l {_OPEN_STALE}""",
    *ALERT_LABELS,
    "stale",
)
STALE_HOURS: Final = query(
    f"""SELECT {_ALERT_LABELS}, coalesce(extract(epoch FROM now() - l.ts) / 3600, 0) AS hours
        FROM dti.indicator_latest AS l""",
    *ALERT_LABELS,
    "hours",
)


# The task rule reads the worker's open task alerts (dti.task_alerts_open) for the tasks of this year's plan: one
# alert per task (its kinds are annotations), routed by the lead unit of the day; co-leads are named in the text.

_TASK_LABELS: Final = """t.task_code AS task, t.lead_unit, t.lead_unit_name_vi AS lead_unit_name,
    t.title_vi AS task_title, array_to_string(t.co_lead_units, ', ') AS co_leads"""
TASK_LABELS: Final = ("task", "lead_unit", "lead_unit_name", "task_title", "co_leads")
TASK_SEVERITY: Final = {"reminder": 1, "at_risk": 2, "overdue": 3}
"""The number a task alert carries for its most serious open kind (annotations turn it into words)."""
_TASK_SEVERITY_SQL: Final = (
    "CASE o.kind " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in TASK_SEVERITY.items()) + " ELSE 1 END"
)
_OPEN_TASK: Final = f"""LEFT JOIN (SELECT o.task_code, max({_TASK_SEVERITY_SQL}) AS severity
        FROM dti.task_alerts_open AS o GROUP BY 1) AS a ON a.task_code = t.task_code
    WHERE t.period = EXTRACT(YEAR FROM now() AT TIME ZONE 'Asia/Ho_Chi_Minh')"""


def _task(expression: str, column: str) -> Query:
    return query(
        f"""SELECT {_TASK_LABELS}, {expression} AS {column} FROM dti.task_latest AS t {_OPEN_TASK}""",
        *TASK_LABELS,
        column,
    )


TASK_FLAG: Final = _task("CASE WHEN a.severity IS NULL THEN 0 ELSE 1 END", "open")
TASK_LEVEL: Final = _task("coalesce(a.severity, 0)", "severity")
TASK_PROGRESS: Final = _task("coalesce(t.progress, 0)", "progress")
TASK_DAYS_LEFT: Final = _task(
    "coalesce(t.days_left, t.deadline - (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)", "days_left"
)


# --- data quality: quarantined observations ---------------------------------------------------------------------


def quarantine_by_source() -> Query:
    """Per source and sending unit: observations held, their reasons, the newest."""
    return query(
        """SELECT source AS "Nguồn", unit_name_vi AS "Đơn vị gửi", count(*) AS "Đang cách ly",
                  string_agg(DISTINCT reason, ', ') AS "Lý do", max(ts) AS "Mới nhất"
             FROM dti.quarantine_open GROUP BY source, unit_name_vi ORDER BY 3 DESC, 1, 2""",
        "Nguồn",
        "Đơn vị gửi",
        "Đang cách ly",
        "Lý do",
        "Mới nhất",
    )


def quarantine_list(limit: int = 200) -> Query:
    """The observations held, newest first, with what to fix."""
    return query(
        f"""SELECT ts AS "Thời điểm", unit_name_vi AS "Đơn vị gửi", source AS "Nguồn", metric_code AS "Số liệu",
                   value AS "Giá trị", reason AS "Lý do", detail_vi AS "Cần sửa", id AS "Mã quan sát"
              FROM dti.quarantine_open ORDER BY ts DESC, id LIMIT {limit}""",
        "Thời điểm",
        "Đơn vị gửi",
        "Nguồn",
        "Số liệu",
        "Giá trị",
        "Lý do",
        "Cần sửa",
        "Mã quan sát",
    )


def never_reported() -> Query:
    """Indicators the plan of this year sets for a unit that has never had a value there: a setup gap, not a page."""
    return query(
        """SELECT t.indicator_code AS "Chỉ tiêu", i.name_vi AS "Tên chỉ tiêu",
                  coalesce(u.name_vi, t.unit_code) AS "Đơn vị",
                  coalesce(lu.name_vi, la.lead_unit, i.lead_unit) AS "Đơn vị chủ trì",
                  i.source_system AS "Hệ thống nguồn"
             FROM dti.target AS t
             JOIN dti.indicator AS i ON i.code = t.indicator_code
             LEFT JOIN dti.unit AS u ON u.code = t.unit_code
             LEFT JOIN dti.lead_assignment AS la
                    ON la.indicator_code = t.indicator_code
                   AND (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date BETWEEN la.valid_from AND la.valid_to
             LEFT JOIN dti.unit AS lu ON lu.code = coalesce(la.lead_unit, i.lead_unit)
            WHERE t.period = EXTRACT(YEAR FROM now() AT TIME ZONE 'Asia/Ho_Chi_Minh')
              AND (u.valid_to IS NULL OR u.valid_to >= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)
              AND NOT EXISTS (SELECT 1 FROM dti.indicator_value_current AS v
                               WHERE v.indicator_code = t.indicator_code AND v.unit_code = t.unit_code
                                 AND (v.value IS NOT NULL OR v.numerator IS NOT NULL))
            ORDER BY 4, 1, 3""",
        "Chỉ tiêu",
        "Tên chỉ tiêu",
        "Đơn vị",
        "Đơn vị chủ trì",
        "Hệ thống nguồn",
    )


# One alert per source and sending unit with observations held (routed to that unit by its ``lead_unit`` label).
_HELD_LABELS: Final = (
    "source, unit_code AS unit, unit_code AS lead_unit, coalesce(unit_name_vi, unit_code) AS unit_name"
)
HELD_LABELS: Final = ("source", "unit", "lead_unit", "unit_name")
QUARANTINE_HELD: Final = query(
    f"SELECT {_HELD_LABELS}, count(*) AS held FROM dti.quarantine_open GROUP BY 1, 2, 3, 4",
    *HELD_LABELS,
    "held",
)
