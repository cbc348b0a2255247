import datetime as dt

from index_engine.alerts import AlertKind, AlertState, decide
from index_engine.explain import (
    explain_alert,
    explain_index,
    explain_pillar,
    explain_score,
    explain_status,
    explain_trajectory,
    explain_value,
)
from index_engine.results import PillarScore, UnitIndex
from index_engine.status import Status
from tests.unit.index_engine.conftest import CATALOG, make_result


def test_value() -> None:
    result = make_result(numerator=934.0, denominator=1000.0, value=93.4)
    text = explain_value(result, CATALOG.indicators["CQS-04"])
    assert text.formula == "x = dossier.processed_online / dossier.processed × 100"
    assert "934 / 1000 × 100 = 93.4 %" in text.text_en
    assert "93,4 %" in text.text_vi
    assert text.result == 93.4
    single = explain_value(make_result(numerator=81.5, denominator=None, value=81.5), CATALOG.indicators["CQS-09"])
    assert single.formula == "x = service_index.score × 1"
    assert "81,5 × 1 = 81,5 điểm/100" in single.text_vi


def test_score_and_trajectory() -> None:
    result = make_result()
    score = explain_score(result)
    assert score.inputs == (("x", 76.0), ("B", 70.0), ("T", 80.0))
    assert "Score 0.6" in score.text_en
    assert "Điểm 0,6" in score.text_vi
    straight = explain_trajectory(result)
    assert "B + (x−B)/f" in straight.formula
    assert "R = 1,2" in straight.text_vi
    fitted = explain_trajectory(make_result(fit_points=4))
    assert "least squares" in fitted.text_en
    assert "bình phương tối thiểu" in fitted.text_vi


def test_status_for_every_code() -> None:
    for status in Status:
        text = explain_status(make_result(status=status))
        assert text.result == status.value
        assert status.label_vi in text.text_vi
        assert status.label_en in text.text_en
    at_risk = explain_status(make_result(status=Status.AT_RISK))
    assert at_risk.formula == "0.6 ≤ R < 0.95"
    assert "0,6 ≤ R < 0,95" in at_risk.text_vi
    assert explain_status(make_result(last_seen=None)).inputs[-1] == ("last_seen", None)


def test_pillar_and_index() -> None:
    scored = PillarScore(pillar="CQS", weight=0.35, score=0.5, coverage=1.0, applicable=True, indicators=("CQS-04",))
    withheld = PillarScore(pillar="KTS", weight=0.25, score=None, coverage=0.5, applicable=True, indicators=())
    absent = PillarScore(pillar="NT", weight=0.15, score=None, coverage=0.0, applicable=False, indicators=())
    assert "mean of 1 indicators" in explain_pillar("QN", scored).text_en
    assert "độ phủ dưới 2/3" in explain_pillar("QN", withheld).text_vi
    assert "no indicator applies" in explain_pillar("QN", absent).text_en
    index = UnitIndex(unit="QN", value=0.5, points=500.0, pillars=(scored, withheld, absent), weight_used=0.35)
    text = explain_index(index)
    assert text.inputs == (("CQS", 0.5), ("KTS", None), ("NT", None))
    assert "500 points" in text.text_en
    assert "0,5 (500 điểm)" in text.text_vi


def test_alert_message_for_the_lead_unit() -> None:
    indicator = CATALOG.indicators["KTS-05"]
    stale = make_result(indicator="KTS-05", status=Status.STALE, shortfall=8.0, expected=12.0, value=4.0)
    state, decision = decide(AlertState(), stale, indicator)
    assert decision.raised == (AlertKind.STALE,)
    text = explain_alert(decision, stale)
    assert "raised: data stale" in text.text_en
    assert "Gửi: SKHDT, THONGKE" in text.text_vi
    back = make_result(indicator="KTS-05", last_seen=dt.datetime(2023, 7, 1, tzinfo=dt.UTC))
    _, recovered = decide(state, back, indicator)
    assert "resolved: data stale" in explain_alert(recovered, back).text_en
    assert "đã khắc phục: thiếu dữ liệu" in explain_alert(recovered, back).text_vi
