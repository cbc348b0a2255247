"""Plan years 2023–2026 and the map across the 2025 reforms, as the catalog files give them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index_engine.catalog import Catalog
from tests.unit.index_engine.conftest import CATALOG

# Sourced counts (shared data README): Resolution 1679/NQ-UBTVQH15 and the 1 March 2025 department mergers.
WARDS, COMMUNES, SPECIAL_ZONES, AGENCIES = 30, 22, 2, 14
AGENCY_CODES = {
    *("VPUBND", "SNV", "STC", "SKHCN", "SXD", "SVHTTDL", "SNNMT"),
    *("SDTTG", "SNGV", "SYT", "SGDDT", "STP", "SCT", "TTRA"),
}
CODES = sorted(CATALOG.indicators)
LOCALITIES = {
    *("HALONG", "CAMPHA", "UONGBI", "MONGCAI", "DONGTRIEU", "QUANGYEN", "VANDON"),
    *("TIENYEN", "HAIHA", "DAMHA", "BINHLIEU", "BACHE", "COTO"),
}


def test_plan_years_2023_to_2026(catalog: Catalog) -> None:
    assert sorted(catalog.plans) == [2023, 2024, 2025, 2026]
    plan37 = catalog.plans[2023]
    assert (plan37.reference, plan37.issued_on, plan37.assumed) == ("Kế hoạch 37/KH-UBND", dt.date(2023, 2, 20), False)
    assert catalog.plans[2025].reference == "Kế hoạch 34/KH-UBND"
    assert catalog.plans[2026].assumed
    assert catalog.plans[2026].reference == ""
    for plan in catalog.plans.values():
        # Indicator codes keep their meaning: every year carries the 35 indicators of Plan 37.
        assert list(plan.indicators) == list(catalog.indicators)
        assert plan.pillar_weights == {"CQS": 0.35, "KTS": 0.25, "XHS": 0.25, "NT": 0.15}
    assert catalog.plan(2030) is None


def test_plan_37_is_unchanged(catalog: Catalog) -> None:
    targets = [t for t in catalog.targets.values() if t.period == 2023]
    assert len(targets) == 35 + 14  # one province target per indicator, CQS-04 for 13 localities and the centre
    assert catalog.target("CQS-04", "QN", 2023).target == 80  # type: ignore[union-attr]
    assert not catalog.target("KTS-03", "QN", 2023).target_assumed  # type: ignore[union-attr]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_later_plans_carry_every_province_target_marked_assumed(catalog: Catalog, year: int) -> None:
    for code in catalog.indicators:
        carried = catalog.target(code, "QN", year)
        assert carried is not None, (code, year)
        assert carried.target_assumed, (code, year)
        assert carried.target == catalog.target(code, "QN", 2023).target  # type: ignore[union-attr]
        assert carried.note


def test_sourced_baselines_are_marked_sourced(catalog: Catalog) -> None:
    fibre = catalog.target("XHS-03", "QN", 2024)
    assert fibre is not None
    assert (fibre.baseline, fibre.baseline_assumed) == (89.13, False)
    cashless = catalog.target("CQS-07", "QN", 2025)
    assert cashless is not None
    assert (cashless.baseline, cashless.baseline_assumed) == (100, False)
    ocop = catalog.target("KTS-07", "QN", 2024)
    assert ocop is not None
    assert ocop.baseline == pytest.approx(198 / 336 * 100, abs=0.01)
    assert ocop.baseline_assumed


def test_unit_targets_follow_the_map(catalog: Catalog) -> None:
    units_2026 = {t.unit for t in catalog.targets.values() if t.period == 2026 and t.indicator == "CQS-04"}
    assert units_2026 & LOCALITIES == set()
    assert len(units_2026) == 1 + 54 + 1  # the province, the 54 units, the service centre
    assert catalog.target("CQS-04", "P_TUANCHAU", 2026) is not None
    # 2025 covers both maps: each unit for the part of the year it exists.
    assert catalog.target("CQS-04", "HALONG", 2025) is not None
    assert catalog.target("CQS-04", "P_TUANCHAU", 2025) is not None
    assert catalog.target("CQS-04", "P_TUANCHAU", 2024) is None


def test_the_map_on_either_side_of_the_reforms(catalog: Catalog) -> None:
    before = set(catalog.units_on(dt.date(2025, 2, 28)))
    assert before >= LOCALITIES
    assert {"STTTT", "SKHDT"} <= before
    assert "SKHCN" not in before
    march = set(catalog.units_on(dt.date(2025, 3, 1)))
    assert {"STTTT", "SKHDT"} & march == set()
    assert march >= AGENCY_CODES
    assert march >= LOCALITIES
    july = catalog.units_on(dt.date(2025, 7, 1))
    assert set(july) & LOCALITIES == set()
    kinds = Counter(catalog.units[c].peer_group for c in july)
    assert (kinds["ward"], kinds["commune"], kinds["special_zone"]) == (WARDS, COMMUNES, SPECIAL_ZONES)
    assert kinds["locality"] == 0
    assert set(july) >= AGENCY_CODES
    assert all(catalog.units[c].parent == "QN" for c in july if c != "QN")
    assert catalog.units_on(dt.date(2026, 12, 2)) == july


def test_new_peer_groups_are_ranked(catalog: Catalog) -> None:
    for group in ("ward", "commune", "special_zone", "department_services", "department_other"):
        assert catalog.peer_groups[group].ranked
    assert len(catalog.peers("ward", dt.date(2026, 1, 1))) == WARDS
    assert catalog.peers("locality", dt.date(2026, 1, 1)) == ()


def test_every_dissolved_locality_names_its_successors(catalog: Catalog) -> None:
    for code in LOCALITIES:
        successors = catalog.successors(code)
        assert successors, code
        assert all(catalog.units[s.unit].valid_from == dt.date(2025, 7, 1) for s in successors)
    assert [(s.unit, s.share) for s in catalog.successors("VANDON")] == [("DK_VANDON", "whole")]
    assert [(s.unit, s.share) for s in catalog.successors("COTO")] == [("DK_COTO", "whole")]
    halong = {s.unit for s in catalog.successors("HALONG")}
    assert len(halong) == 11
    assert all(s.share == "part" for s in catalog.successors("HALONG"))
    assert [s.predecessor for s in catalog.predecessors("P_TUANCHAU")] == ["HALONG"]
    assert catalog.predecessors("QN") == ()


def test_lead_units_follow_their_successor_from_1_march_2025(catalog: Catalog) -> None:
    assert catalog.indicators["XHS-01"].lead_unit == "STTTT"
    assert catalog.lead_unit("XHS-01", dt.date(2023, 6, 1)) == "STTTT"
    assert catalog.lead_unit("XHS-01", dt.date(2025, 2, 28)) == "STTTT"
    assert catalog.lead_unit("XHS-01", dt.date(2025, 3, 1)) == "SKHCN"
    assert catalog.lead_unit("KTS-05", dt.date(2025, 3, 1)) == "STC"
    assert catalog.plans[2026].indicators["XHS-01"].lead_unit == "SKHCN"
    assert catalog.lead_unit("CQS-04", dt.date(2026, 6, 1)) == "TTPVHCC"
    # A year without a plan falls back to the indicator's own lead unit, followed to its heir.
    assert catalog.lead_unit("XHS-01", dt.date(2030, 1, 1)) == "SKHCN"
    # A unit without a successor that takes over stays itself.
    assert catalog.heir_on("HALONG", dt.date(2026, 1, 1)) == "HALONG"


def test_weights_by_period(catalog: Catalog) -> None:
    pillars, indicators = catalog.weights_of(2024)
    assert pillars["CQS"] == 0.35
    assert indicators["CQS-04"] == 1.0
    assert (
        catalog.weights_of(None)[0] == catalog.weights_of(2030)[0] == {p: w.weight for p, w in catalog.pillars.items()}
    )


def test_lead_spans_split_where_a_successor_takes_over(catalog: Catalog) -> None:
    spans = catalog.lead_spans("XHS-01")
    year = dt.timedelta(days=1)
    assert spans == (
        (dt.date(2023, 1, 1), dt.date(2023, 12, 31), "STTTT"),
        (dt.date(2024, 1, 1), dt.date(2024, 12, 31), "STTTT"),
        (dt.date(2025, 1, 1), dt.date(2025, 2, 28), "STTTT"),
        (dt.date(2025, 3, 1), dt.date(2025, 12, 31), "SKHCN"),
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31), "SKHCN"),
    )
    # Every day of every plan year is covered exactly once.
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        assert start - end == year
    assert catalog.lead_spans("CQS-04")[-1] == (dt.date(2026, 1, 1), dt.date(2026, 12, 31), "TTPVHCC")
    without = dataclasses.replace(catalog, plans={2023: dataclasses.replace(catalog.plans[2023], indicators={})})
    assert without.lead_spans("CQS-04") == ()


@given(day=st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2026, 12, 31)), code=st.sampled_from(CODES))
def test_every_day_of_the_plans_has_a_lead_unit_that_exists(day: dt.date, code: str) -> None:
    lead = CATALOG.lead_unit(code, day)
    assert CATALOG.units[lead].valid_on(day)
    assert any(start <= day <= end and unit == lead for start, end, unit in CATALOG.lead_spans(code))


@given(day=st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2027, 12, 31)))
def test_every_day_the_map_covers_the_province_once(day: dt.date) -> None:
    # Each day, the territorial units are either the 13 localities or the 54 commune-level units, never both.
    children = CATALOG.children_on("QN", day)
    groups = Counter(CATALOG.units[c].peer_group for c in children)
    territorial = groups["locality"] + groups["ward"] + groups["commune"] + groups["special_zone"]
    assert territorial == (13 if day < dt.date(2025, 7, 1) else 54)
