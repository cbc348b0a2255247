"""Pure formatting of ``qndti watch``: expected strings written by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from index_engine.status import Status
from qndti.watch import format as fmt
from qndti.watch.rows import AlertRow, IndicatorRow, ScoreRow

T0 = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)


def indicator_row(unit: str = "QN", code: str = "CQS-04", **changes: object) -> IndicatorRow:
    row = IndicatorRow(
        indicator_code=code,
        indicator_name_vi=None,
        indicator_name_en=None,
        unit_code=unit,
        unit_name_vi=None,
        unit_name_en=None,
        pillar="CQS",
        value=None,
        value_unit="%",
        target=None,
        expected=None,
        projected=None,
        status=None,
        status_vi=None,
        status_en=None,
        score=None,
        attainment=None,
        progress=None,
        ts=T0,
    )
    return replace(row, **changes)  # type: ignore[arg-type]


def score_row(unit: str, score: float | None, rank: int | None, group: str | None = "locality") -> ScoreRow:
    return ScoreRow(unit, unit, unit, "INDEX", None, None, score, None, None, rank, 3, group, T0)


def alert_row(code: str, unit: str, vi: str, en: str) -> AlertRow:
    return AlertRow(code, unit, unit, "worsened", T0, "at_risk", "Có nguy cơ", "At risk", vi, en)


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [(1234.5, 1, "1.234,5"), (0.8742, 3, "0,874"), (93.4, 2, "93,40"), (1_000_000.0, 0, "1.000.000"), (None, 2, "–")],
)
def test_numbers_are_written_the_vietnamese_way(value: float | None, digits: int, text: str) -> None:
    assert fmt.number(value, digits) == text


def test_index_in_both_scales() -> None:
    assert fmt.index_text(0.874, 874.2) == "0,874 · 874 điểm / points"
    assert fmt.index_text(0.5, None) == "0,500 · 500 điểm / points"
    assert fmt.index_text(None, None) == "– (chưa đủ dữ liệu / withheld)"


def test_trend_says_the_change_with_an_arrow() -> None:
    assert fmt.trend_text([800.0, 810.0, 827.0]) == "↑ +27,0 điểm / points (3 mốc / buckets)"
    assert fmt.trend_text([827.0, 800.0]) == "↓ -27,0 điểm / points (2 mốc / buckets)"
    assert fmt.trend_text([800.0, 800.0]) == "→ 0,0 điểm / points (2 mốc / buckets)"
    assert fmt.trend_text([800.0]) == "xu hướng: chưa đủ dữ liệu / trend: not enough data"


def test_status_counts_cover_every_status_and_fold_deteriorating_into_off_track() -> None:
    counts, unevaluated = fmt.status_counts(
        ["achieved", "achieved", "deteriorating", "off_track", "stale", None, "on_track"]
    )
    assert [(c.status.value, c.count) for c in counts] == [
        ("achieved", 2),
        ("completed", 0),
        ("on_track", 1),
        ("at_risk", 0),
        ("off_track", 2),
        ("stale", 1),
        ("no_target", 0),
    ]
    assert unevaluated == 1
    assert counts[0].label == "Đạt / Achieved"


def test_status_labels() -> None:
    assert fmt.status_label("at_risk") == "Có nguy cơ / At risk"
    assert fmt.status_label(None) == "chưa đánh giá / not evaluated"
    assert fmt.status_label("unknown-code") == "unknown-code"
    assert fmt.status_style(Status.OFF_TRACK.value) == "red"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 giây / s"), (59, "59 giây / s"), (300, "5 phút / min"), (3 * 3600, "3 giờ / h"), (3 * 86400, "3 ngày / d")],
)
def test_age_in_words(seconds: int, text: str) -> None:
    assert fmt.age(T0 - dt.timedelta(seconds=seconds), T0) == text


def test_age_of_nothing_and_of_the_future() -> None:
    assert fmt.age(None, T0) == "–"
    assert fmt.age(T0 + dt.timedelta(minutes=1), T0) == "0 giây / s"


def test_why_prefers_the_engines_alert_messages() -> None:
    row = indicator_row(status="at_risk", status_vi="Có nguy cơ", status_en="At risk", attainment=0.9, progress=0.8)
    alerts = [
        alert_row("CQS-04", "QN", "thấp hơn lộ trình", "below trajectory"),
        alert_row("CQS-04", "HALONG", "khác đơn vị", "other unit"),
    ]
    assert fmt.why(row, alerts) == ("thấp hơn lộ trình", "below trajectory")
    assert fmt.why(row, alerts[1:]) == (
        "Có nguy cơ; đạt 90,0% mục tiêu; tỷ số tiến độ R = 0,80",
        "At risk; 90,0% of target; progress ratio R = 0,80",
    )
    assert fmt.why(indicator_row(status="no_target"), []) == ("Chưa có chỉ tiêu", "No target")


def test_slowest_units_per_group_worst_first() -> None:
    rows = [
        score_row("A", 0.9, 1),
        score_row("B", 0.4, 3),
        score_row("C", 0.6, 2),
        score_row("D", 0.2, None),  # not ranked
        score_row("E", None, None),
        score_row("F", 0.5, 1, group="department_services"),
    ]
    slow = fmt.slowest(rows, per_group=2)
    assert {g: [r.unit_code for r in units] for g, units in slow.items()} == {
        "department_services": ["F"],
        "locality": ["B", "C"],
    }


def test_freshness_per_source_stalest_first() -> None:
    rows = [
        indicator_row("QN", "A1", ts=T0 - dt.timedelta(hours=1)),
        indicator_row("HALONG", "A1", ts=T0),
        indicator_row("QN", "B1", ts=T0 - dt.timedelta(days=3), status="stale"),
        indicator_row("QN", "B2", ts=T0 - dt.timedelta(days=1)),
        indicator_row("QN", "C1", ts=T0 - dt.timedelta(days=9)),
        indicator_row("QN", "Z9", ts=None),
    ]
    made = fmt.freshness(rows, {"A1": "tax", "B1": "health", "B2": "health", "C1": "schools"})
    assert [(f.source, f.newest, f.stale, f.pairs) for f in made] == [
        ("health", T0 - dt.timedelta(days=1), 1, 2),
        ("Z9", None, 0, 1),
        ("schools", T0 - dt.timedelta(days=9), 0, 1),
        ("tax", T0, 0, 2),
    ]


def test_sort_rows_keeps_missing_values_last_and_ties_by_unit() -> None:
    rows = [
        indicator_row("U3", value=50.0, score=0.5, status="on_track", unit_name_vi="Cẩm Phả"),
        indicator_row("U1", value=None, score=None, status=None, unit_name_vi="Ba Chẽ"),
        indicator_row("U2", value=90.0, score=1.0, status="achieved", unit_name_vi="Hạ Long"),
        indicator_row("U0", value=50.0, score=0.2, status="off_track", unit_name_vi="Uông Bí"),
    ]

    def units(key: str, descending: bool) -> list[str]:
        return [r.unit_code for r in fmt.sort_rows(rows, key, descending)]

    assert units("value", True) == ["U2", "U0", "U3", "U1"]
    assert units("value", False) == ["U0", "U3", "U2", "U1"]
    assert units("score", True) == ["U2", "U3", "U0", "U1"]
    # Status from the best (achieved) to the worst; unevaluated last.
    assert units("status", False) == ["U2", "U3", "U0", "U1"]
    assert units("unit", False) == ["U1", "U3", "U2", "U0"]
    with pytest.raises(ValueError, match="unknown sort key 'colour'"):
        fmt.sort_rows(rows, "colour", True)


def test_clip() -> None:
    assert fmt.clip("Thành phố Hạ Long", 17) == "Thành phố Hạ Long"
    assert fmt.clip("Thành phố Hạ Long", 10) == "Thành phố…"
