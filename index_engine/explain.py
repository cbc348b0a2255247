"""Explanations: every value, score, status and index with its inputs and the formula that produced it.

Built on demand from results (never on the hot path), for dashboards and alert messages, in Vietnamese and
English. Vietnamese texts write decimals with a comma.
"""

from __future__ import annotations

from dataclasses import dataclass

from index_engine.alerts import AlertDecision
from index_engine.catalog import Indicator
from index_engine.results import IndicatorResult, PillarScore, UnitIndex
from index_engine.status import AT_RISK_MIN, ON_TRACK_MIN, STALE_AFTER, Status

Input = tuple[str, float | str | None]


@dataclass(frozen=True, slots=True)
class Explanation:
    """A result with its inputs, its formula and a sentence saying how it came about."""

    subject: str
    formula: str
    inputs: tuple[Input, ...]
    result: float | str | None
    text_vi: str
    text_en: str


def _n(value: float | None) -> str:
    return "–" if value is None else f"{value:.6g}"


def _vi(value: float | None) -> str:
    return _n(value).replace(".", ",")


def explain_value(result: IndicatorResult, indicator: Indicator) -> Explanation:
    """How the indicator's value came from its metrics."""
    subject = f"value {result.indicator} {result.unit}"
    unit = indicator.value_unit
    inputs: tuple[Input, ...] = (("numerator", result.numerator), ("denominator", result.denominator))
    if indicator.denominator is None:
        formula = f"x = {indicator.numerator} × {_n(indicator.scale)}"
        parts = f"{_n(result.numerator)} × {_n(indicator.scale)}"
    else:
        formula = f"x = {indicator.numerator} / {indicator.denominator} × {_n(indicator.scale)}"
        parts = f"{_n(result.numerator)} / {_n(result.denominator)} × {_n(indicator.scale)}"
    return Explanation(
        subject=subject,
        formula=formula,
        inputs=inputs,
        result=result.value,
        text_vi=f"{indicator.name_vi}: {parts.replace('.', ',')} = {_vi(result.value)} {unit}",
        text_en=f"{indicator.name_en}: {parts} = {_n(result.value)} {unit}",
    )


def explain_score(result: IndicatorResult) -> Explanation:
    """How the score came from value, baseline and target."""
    inputs: tuple[Input, ...] = (("x", result.value), ("B", result.baseline), ("T", result.target))
    b, t = _n(result.baseline), _n(result.target)
    return Explanation(
        subject=f"score {result.indicator} {result.unit}",
        formula="s = clip(d(x−B)/d(T−B), 0, 1); if d(T−B) ≤ 0: s = 1 when d(x−T) ≥ 0 else clip(x/T, 0, 1)",
        inputs=inputs,
        result=result.score,
        text_vi=(
            f"Điểm {_vi(result.score)}: giá trị {_vi(result.value)} so với xuất phát {b.replace('.', ',')} "
            f"và chỉ tiêu {t.replace('.', ',')}; đạt {_vi(result.attainment)} lần kế hoạch"
        ),
        text_en=(
            f"Score {_n(result.score)}: value {_n(result.value)} against baseline {b} and target {t}; "
            f"plan attainment {_n(result.attainment)}"
        ),
    )


def explain_trajectory(result: IndicatorResult) -> Explanation:
    """How the expected value, projection and progress ratio were found."""
    fit = "least squares" if result.fit_points else "B + (x−B)/f"
    fit_vi = "bình phương tối thiểu" if result.fit_points else "B + (x−B)/f"
    return Explanation(
        subject=f"trajectory {result.indicator} {result.unit}",
        formula=f"E = B + f(T−B); x̂ by {fit}; R = d(x̂−B)/d(T−B)",
        inputs=(
            ("f", result.fraction),
            ("x", result.value),
            ("B", result.baseline),
            ("T", result.target),
            ("points", result.fit_points),
        ),
        result=result.progress,
        text_vi=(
            f"Đã qua {_vi(result.fraction)} kỳ kế hoạch: cần đạt {_vi(result.expected)}, "
            f"hiện {_vi(result.value)}; "
            f"dự báo cuối kỳ {_vi(result.projected)} ({fit_vi}), tỷ lệ tiến độ R = {_vi(result.progress)}"
        ),
        text_en=(
            f"{_n(result.fraction)} of the plan period elapsed: expected {_n(result.expected)}, now "
            f"{_n(result.value)}; projected {_n(result.projected)} at period end ({fit}), progress R = "
            f"{_n(result.progress)}"
        ),
    )


_RULES = {
    Status.COMPLETED: ("confirmed by the lead unit", "đơn vị chủ trì đã xác nhận hoàn thành"),
    Status.NO_TARGET: ("no target set for this unit and period", "chưa giao chỉ tiêu cho đơn vị trong kỳ"),
    Status.STALE: (
        f"no data for {STALE_AFTER:g}× the expected cadence",
        f"không có dữ liệu quá {STALE_AFTER:g} lần chu kỳ",
    ),
    Status.ACHIEVED: (
        "d(x−T) ≥ 0, provisional until confirmed",
        "d(x−T) ≥ 0, tạm thời cho đến khi được xác nhận",
    ),
    Status.ON_TRACK: (f"R ≥ {ON_TRACK_MIN:g}", f"R ≥ {ON_TRACK_MIN:g}"),
    Status.AT_RISK: (f"{AT_RISK_MIN:g} ≤ R < {ON_TRACK_MIN:g}", f"{AT_RISK_MIN:g} ≤ R < {ON_TRACK_MIN:g}"),
    Status.OFF_TRACK: (f"0 ≤ R < {AT_RISK_MIN:g}", f"0 ≤ R < {AT_RISK_MIN:g}"),
    Status.DETERIORATING: ("R < 0", "R < 0"),
}


def explain_status(result: IndicatorResult) -> Explanation:
    """Which rule gave the status."""
    rule_en, rule_vi = _RULES[result.status]
    status = result.status
    return Explanation(
        subject=f"status {result.indicator} {result.unit}",
        formula=rule_en,
        inputs=(
            ("x", result.value),
            ("T", result.target),
            ("R", result.progress),
            ("last_seen", None if result.last_seen is None else result.last_seen.isoformat()),
        ),
        result=status.value,
        text_vi=f"{result.indicator} – {result.unit}: {status.label_vi} ({rule_vi.replace('0.', '0,')})",
        text_en=f"{result.indicator} – {result.unit}: {status.label_en} ({rule_en})",
    )


def explain_pillar(unit: str, pillar: PillarScore) -> Explanation:
    """How a pillar score was averaged, or why it was withheld."""
    if not pillar.applicable:
        why_en, why_vi = "no indicator applies", "không có chỉ tiêu áp dụng"
    elif pillar.score is None:
        why_en, why_vi = "withheld: coverage below 2/3", "chưa tính: độ phủ dưới 2/3"
    else:
        why_en, why_vi = (
            f"mean of {len(pillar.indicators)} indicators",
            f"trung bình {len(pillar.indicators)} chỉ tiêu",
        )
    return Explanation(
        subject=f"pillar {pillar.pillar} {unit}",
        formula="P = Σ w_i s_i / Σ w_i over applicable, fresh indicators; withheld if coverage < 2/3",
        inputs=(("coverage", pillar.coverage), ("indicators", ", ".join(pillar.indicators))),
        result=pillar.score,
        text_vi=f"Trụ cột {pillar.pillar}: {_vi(pillar.score)}, độ phủ {_vi(pillar.coverage)} ({why_vi})",
        text_en=f"Pillar {pillar.pillar}: {_n(pillar.score)}, coverage {_n(pillar.coverage)} ({why_en})",
    )


def explain_index(index: UnitIndex) -> Explanation:
    """How the unit index combined its pillars."""
    inputs = tuple((p.pillar, p.score) for p in index.pillars)
    return Explanation(
        subject=f"index {index.unit}",
        formula="I = Σ W_k P_k / Σ W_k over pillars with a score; points = 1000 I",
        inputs=inputs,
        result=index.value,
        text_vi=(
            f"Chỉ số {index.unit}: {_vi(index.value)} ({_vi(index.points)} điểm), "
            f"tổng trọng số dùng {_vi(index.weight_used)}"
        ),
        text_en=(
            f"Index of {index.unit}: {_n(index.value)} ({_n(index.points)} points), weight used {_n(index.weight_used)}"
        ),
    )


_KINDS = {
    "worsened": ("status worsened", "trạng thái xấu đi"),
    "stale": ("data stale", "thiếu dữ liệu"),
    "shortfall": ("behind the expected value beyond tolerance", "thấp hơn mức cần đạt quá ngưỡng cho phép"),
}


def explain_alert(decision: AlertDecision, result: IndicatorResult) -> Explanation:
    """An alert message for the lead unit: what was raised or resolved, and the figures behind it."""
    raised = [_KINDS[k] for k in decision.raised]
    resolved = [_KINDS[k] for k in decision.resolved]
    en = "; ".join([*(f"raised: {e}" for e, _ in raised), *(f"resolved: {e}" for e, _ in resolved)])
    vi = "; ".join([*(f"cảnh báo: {v}" for _, v in raised), *(f"đã khắc phục: {v}" for _, v in resolved)])
    figures = (
        ("x", result.value),
        ("E", result.expected),
        ("shortfall", result.shortfall),
        ("tolerance", result.tolerance),
        ("R", result.progress),
    )
    return Explanation(
        subject=f"alert {decision.indicator} {decision.unit}",
        formula="worse status held 2 evaluations · stale · d(E−x) > tolerance",
        inputs=figures,
        result=decision.status.value,
        text_vi=(
            f"{decision.indicator} – {decision.unit} ({decision.status.label_vi}): {vi}. "
            f"Giá trị {_vi(result.value)}, cần đạt {_vi(result.expected)}. Gửi: {', '.join(decision.notify)}"
        ),
        text_en=(
            f"{decision.indicator} – {decision.unit} ({decision.status.label_en}): {en}. "
            f"Value {_n(result.value)}, expected {_n(result.expected)}. To: {', '.join(decision.notify)}"
        ),
    )
