import datetime as dt
from collections import Counter

import pytest

from index_engine.catalog import Catalog, load_catalog

LOCALITIES = (
    *("HALONG", "CAMPHA", "UONGBI", "MONGCAI", "DONGTRIEU", "QUANGYEN", "VANDON"),
    *("TIENYEN", "HAIHA", "DAMHA", "BINHLIEU", "BACHE", "COTO"),
)


def test_bundled_catalog_has_the_35_indicators_of_plan_37(catalog: Catalog) -> None:
    assert len(catalog.indicators) == 35
    assert Counter(i.pillar for i in catalog.indicators.values()) == {"CQS": 9, "KTS": 7, "XHS": 13, "NT": 6}
    assert [i.code for i in catalog.indicators_of("NT")] == [f"NT-0{n}" for n in range(1, 7)]


def test_every_indicator_has_a_province_target_for_2023(catalog: Catalog) -> None:
    for code in catalog.indicators:
        target = catalog.target(code, "QN", 2023)
        assert target is not None, code
        assert target.tolerance >= 0


def test_reference_targets_follow_the_plan(catalog: Catalog) -> None:
    expected = {
        "CQS-04": 80,
        "KTS-02": 99,
        "KTS-03": 30,
        "XHS-02": 92,
        "XHS-03": 88,
        "XHS-04": 95,
        "XHS-05": 95,
    }
    for code, value in expected.items():
        target = catalog.target(code, "QN", 2023)
        assert target is not None
        assert target.target == value
        assert not target.target_assumed


def test_rows_marked_assumed_in_the_domain_are_assumed(catalog: Catalog) -> None:
    assumed = {code for code, i in catalog.indicators.items() if i.assumed}
    assert {"CQS-05", "CQS-09", "KTS-04", "NT-06", "KTS-01"} <= assumed
    assert "CQS-04" not in assumed


def test_existing_codes_are_kept(catalog: Catalog) -> None:
    assert {"QN", "TTPVHCC", *LOCALITIES} <= set(catalog.units)
    assert catalog.metrics["dossier.processed"].kind == "cumulative"
    assert catalog.metrics["dossier.processed_online"].kind == "cumulative"
    cqs04 = catalog.indicators["CQS-04"]
    assert (cqs04.numerator, cqs04.denominator, cqs04.scale, cqs04.aggregation) == (
        "dossier.processed_online",
        "dossier.processed",
        100,
        "ytd",
    )
    assert cqs04.metrics == ("dossier.processed_online", "dossier.processed")
    assert catalog.indicators["CQS-09"].metrics == ("service_index.score",)


def test_flow_indicators_are_year_to_date_and_stock_ones_latest(catalog: Catalog) -> None:
    ytd = {code for code, i in catalog.indicators.items() if i.aggregation == "ytd"}
    assert ytd == {"CQS-02", "CQS-04", "CQS-05", "CQS-06", "CQS-07", "CQS-08"}


def test_lead_units_exist(catalog: Catalog) -> None:
    for indicator in catalog.indicators.values():
        assert indicator.lead_unit in catalog.units
        assert all(u in catalog.units for u in indicator.co_lead_units)
    assert catalog.indicators["KTS-05"].co_lead_units == ("THONGKE",)


def test_weights(catalog: Catalog) -> None:
    assert {p: catalog.pillars[p].weight for p in catalog.pillars} == {
        "CQS": 0.35,
        "KTS": 0.25,
        "XHS": 0.25,
        "NT": 0.15,
    }
    assert catalog.indicator_weight("CQS-04") == 1.0
    assert catalog.indicator_weight("not-listed") == 1.0


def test_units_tree_and_peer_groups(catalog: Catalog) -> None:
    assert set(LOCALITIES) <= set(catalog.children("QN"))
    assert catalog.children("HALONG") == ()
    assert catalog.peers("locality") == tuple(LOCALITIES)
    assert catalog.peers("locality", dt.date(2022, 12, 31)) == ()
    assert "TTPVHCC" in catalog.peers("department_services")
    assert "CUCTHUE" in catalog.peers("department_other")
    assert not catalog.peer_groups["province"].ranked
    # The 2023 map: the 13 localities and the 13 departments and agencies of the 2023 catalog.
    on_2023 = catalog.children_on("QN", dt.date(2023, 6, 1))
    assert set(LOCALITIES) <= set(on_2023)
    assert {"TTPVHCC", "STTTT", "SKHDT", "CUCTHUE"} <= set(on_2023)
    assert len(on_2023) == 13 + 13


def test_unit_validity() -> None:
    unit = load_catalog().units["HALONG"]
    assert unit.valid_on(dt.date(2023, 1, 1))
    assert not unit.valid_on(dt.date(2022, 12, 31))
    ended = type(unit)(**{**{f: getattr(unit, f) for f in unit.__slots__}, "valid_to": dt.date(2024, 12, 31)})
    assert ended.valid_on(dt.date(2024, 12, 31))
    assert not ended.valid_on(dt.date(2025, 1, 1))


def test_lookups(catalog: Catalog) -> None:
    assert catalog.target("CQS-04", "HALONG", 2023) is not None
    assert catalog.target("CQS-04", "HALONG", 2026) is None  # Hạ Long city ended on 2025-06-30
    assert catalog.unit_targets("HALONG", 2023).keys() == {"CQS-04"}
    assert catalog.unit_targets("HALONG", 2030) == {}
    assert catalog.completion("CQS-04", "QN", 2023) is None
    assert [i.code for i in catalog.indicators_reading("enterprise.active")] == ["KTS-02", "KTS-04"]


def test_missing_version_folder(tmp_path) -> None:
    from index_engine.errors import CatalogError

    with pytest.raises(CatalogError, match="catalog version folder is missing"):
        load_catalog("qndti-9.9", root=tmp_path)
