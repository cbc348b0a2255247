"""The naive oracle of the integration tests against values worked out by hand from index_engine/README.md."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

import pytest

from tests.integration import naive_index as naive

CATALOG = naive.read_catalog()
MIDYEAR = dt.datetime(2023, 7, 2, 12, 0, tzinfo=naive.LOCAL)
"""182.5 of 365 days into 2023, local time: f = 0.5 exactly."""


@dataclass(frozen=True)
class Obs:
    id: str
    metric: str
    unit: str
    ts: dt.datetime
    kind: str
    value: float


def data(**by_unit: dict[str, float]) -> naive.Data:
    """Metric values all seen at ``MIDYEAR``."""
    return naive.Data(
        values={u: dict(v) for u, v in by_unit.items()}, seen={u: dict.fromkeys(v, MIDYEAR) for u, v in by_unit.items()}
    )


def test_the_catalog_is_read_from_its_csv_files() -> None:
    assert len(CATALOG.indicators) == 35
    assert CATALOG.indicators["CQS-09"].denominator is None
    assert CATALOG.targets[("CQS-04", "HALONG", 2023)] == naive.Target(70.0, 80.0)
    assert sum(CATALOG.pillar_weights.values()) == 1
    assert len(CATALOG.children("QN", MIDYEAR.date())) == 26


def test_a_unit_on_its_own_at_mid_year() -> None:
    # x = 750/1000×100 = 75; s = (75−70)/(80−70) = 0.5; E = 70 + 0.5×10 = 75; x̂ = 70 + 5/0.5 = 80; R = 1.
    card = naive.scorecard(
        CATALOG, data(HALONG={"dossier.processed_online": 750, "dossier.processed": 1000}), "HALONG", MIDYEAR
    )
    r = card.results["CQS-04"]
    assert (r.value, r.score, r.attainment, r.expected, r.projected, r.progress, r.shortfall) == pytest.approx(
        (75.0, 0.5, 0.9375, 75.0, 80.0, 1.0, 0.0)
    )
    assert (r.status, r.fresh) == ("on_track", True)
    assert card.results["CQS-01"].status == "no_target"
    assert card.pillars == {"CQS": naive.PillarScore(pytest.approx(0.5), Fraction(1))}
    assert card.index == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("online", "status"),
    [(800, "achieved"), (737, "at_risk"), (720, "off_track"), (690, "deteriorating"), (748, "on_track")],
)
def test_statuses_by_progress(online: float, status: str) -> None:
    # R = (x̂−70)/10 with x̂ = 70 + (x−70)/0.5: 73.7 → 0.74, 72 → 0.4, 69 → −0.2, 74.8 → 0.96.
    values = data(HALONG={"dossier.processed_online": online, "dossier.processed": 1000})
    assert naive.scorecard(CATALOG, values, "HALONG", MIDYEAR).results["CQS-04"].status == status


def test_the_province_sums_children_where_the_indicator_applies_and_its_own_values_win() -> None:
    values = data(
        HALONG={"dossier.processed_online": 10, "dossier.processed": 20},
        CAMPHA={"dossier.processed_online": 5, "dossier.processed": 0},
        UONGBI={"dossier.processed_online": 3},
        MONGCAI={"dossier.processed": 7},
    )
    assert naive.inputs(CATALOG, values, "QN", CATALOG.indicators["CQS-04"], MIDYEAR.date()) == (10, 20, MIDYEAR)
    assert "CQS-04" not in naive.scorecard(CATALOG, values, "CAMPHA", MIDYEAR).results
    values.values["QN"], values.seen["QN"] = {"dossier.processed": 40.0}, {"dossier.processed": MIDYEAR}
    assert naive.inputs(CATALOG, values, "QN", CATALOG.indicators["CQS-04"], MIDYEAR.date())[:2] == (10, 40)


def test_a_metric_from_children_dates_from_the_latest_child() -> None:
    earlier = MIDYEAR - dt.timedelta(hours=30)
    values = data(
        HALONG={"dossier.processed_online": 1, "dossier.processed": 2}, CAMPHA={"dossier.processed_online": 1}
    )
    values.values["CAMPHA"]["dossier.processed"] = 2
    values.seen["CAMPHA"]["dossier.processed"] = earlier
    values.seen["HALONG"]["dossier.processed"] = earlier - dt.timedelta(hours=1)
    values.values["QN"], values.seen["QN"] = {"dossier.processed_online": 5.0}, {"dossier.processed_online": MIDYEAR}
    assert naive.inputs(CATALOG, values, "QN", CATALOG.indicators["CQS-04"], MIDYEAR.date()) == (5, 4, earlier)


@pytest.mark.parametrize(
    ("age", "fresh"), [(dt.timedelta(hours=36), False), (dt.timedelta(hours=36) - dt.timedelta(seconds=1), True)]
)
def test_stale_at_exactly_one_and_a_half_cadences(age: dt.timedelta, fresh: bool) -> None:
    values = data(HALONG={"dossier.processed_online": 750, "dossier.processed": 1000})
    values.seen["HALONG"]["dossier.processed"] = MIDYEAR - age
    r = naive.scorecard(CATALOG, values, "HALONG", MIDYEAR).results["CQS-04"]
    assert (r.fresh, r.status) == (fresh, "on_track" if fresh else "stale")


def test_a_baseline_that_meets_the_target() -> None:
    # XHS-13: B = T = 100. x = 95: s = x/T = 0.95; x̂ = 100 − 5/0.5 = 90, R = x̂/T = 0.9: at risk.
    values = data(QN={"village.digital_team_active": 95, "village.total": 100})
    r = naive.scorecard(CATALOG, values, "QN", MIDYEAR).results["XHS-13"]
    assert (r.score, r.progress, r.status) == (pytest.approx(0.95), pytest.approx(0.9), "at_risk")
    values.values["QN"]["village.digital_team_active"] = 100
    r = naive.scorecard(CATALOG, values, "QN", MIDYEAR).results["XHS-13"]
    assert (r.score, r.progress, r.status) == (1.0, 1.0, "achieved")


def test_pillar_coverage_of_two_thirds_keeps_the_score_and_less_withholds_it() -> None:
    # NT: six indicators of weight 1; NT-01 (x = 95: s = 0.5) and NT-02 … NT-04 fresh; NT-05, NT-06 never complete.
    values = data(
        QN={
            "agency.dx_plan": 95,
            "agency.total": 100,
            "infosys.security_approved": 75,
            "infosys.soc_monitored": 80,
            "infosys.total": 100,
            "civil_servant.digital_trained": 65,
            "civil_servant.total": 100,
        }
    )
    card = naive.scorecard(CATALOG, values, "QN", MIDYEAR)
    assert card.pillars["NT"] == naive.PillarScore(pytest.approx((0.5 + 0.5 + 0.5 + 0.5) / 4), Fraction(2, 3))
    del values.values["QN"]["civil_servant.total"]
    card = naive.scorecard(CATALOG, values, "QN", MIDYEAR)
    assert card.pillars["NT"] == naive.PillarScore(None, Fraction(1, 2))
    assert card.index is None


def test_deltas_count_once_per_id_into_the_local_year() -> None:
    new_year = dt.datetime(2023, 1, 1, 0, 30, tzinfo=naive.LOCAL)
    readings = [
        Obs("a", "fee.paid", "HALONG", MIDYEAR, "delta", 5),
        Obs("a", "fee.paid", "HALONG", MIDYEAR, "delta", 500),
        Obs("b", "fee.paid", "HALONG", new_year, "delta", 2),
        Obs("c", "fee.paid", "HALONG", new_year - dt.timedelta(hours=1), "delta", 1000),
        Obs("d", "dossier.processed", "HALONG", MIDYEAR, "cumulative", 9),
        Obs("e", "dossier.processed", "HALONG", MIDYEAR - dt.timedelta(hours=1), "cumulative", 99),
    ]
    got = naive.metric_values(readings, 2023)
    assert got.values == {"HALONG": {"fee.paid": 7.0, "dossier.processed": 9.0}}
    assert got.seen["HALONG"]["fee.paid"] == MIDYEAR
