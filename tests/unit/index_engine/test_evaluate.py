import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import pytest

from index_engine.catalog import CATALOG_ROOT, DEFAULT_VERSION, Catalog, load_catalog
from index_engine.evaluate import catalog_moment, evaluate_unit, evaluate_units
from index_engine.periods import LOCAL_TZ
from index_engine.status import Status

H1_END = dt.datetime(2023, 6, 30, 17, 0, tzinfo=LOCAL_TZ)

# H1 2023 province figures as numerator and denominator: (indicator, numerator, denominator).
H1_REFERENCE = [
    ("CQS-04", 934.0, 1000.0),
    ("KTS-02", 992.0, 1000.0),
    ("KTS-03", 345.0, 1000.0),
    ("XHS-02", 95.0, 100.0),
    ("XHS-03", 8913.0, 10000.0),
    ("XHS-04", 100.0, 100.0),
    ("XHS-05", 100.0, 100.0),
]


def province_data(catalog: Catalog, rows: list[tuple[str, float, float]], at: dt.datetime):
    values: dict[str, float] = {}
    for code, numerator, denominator in rows:
        indicator = catalog.indicators[code]
        values[indicator.numerator] = numerator
        assert indicator.denominator is not None
        values[indicator.denominator] = denominator
    return {"QN": values}, {"QN": {metric: at - dt.timedelta(hours=1) for metric in values}}


def test_h1_2023_reference_figures_are_all_achieved(catalog: Catalog) -> None:
    values, seen = province_data(catalog, H1_REFERENCE, H1_END)
    card = evaluate_unit(catalog, "QN", H1_END, values, seen)
    results = {r.indicator: r for r in card.results}
    expected = {"CQS-04": 93.4, "KTS-02": 99.2, "KTS-03": 34.5, "XHS-02": 95, "XHS-03": 89.13, "XHS-04": 100}
    for code, value in expected.items():
        assert results[code].value == pytest.approx(value)
    for code, _, _ in H1_REFERENCE:
        assert results[code].status is Status.ACHIEVED, code
        assert results[code].score == 1.0
        assert results[code].attainment is not None
        assert results[code].attainment >= 1
    # Indicators without data are stale, not zero.
    assert results["CQS-01"].status is Status.STALE
    assert results["CQS-01"].value is None


def test_province_rolls_up_localities_by_summing_counts(catalog: Catalog) -> None:
    values = {
        "HALONG": {"dossier.processed": 900.0, "dossier.processed_online": 890.0},
        "COTO": {"dossier.processed": 100.0, "dossier.processed_online": 10.0},
        # Cẩm Phả has no denominator: CQS-04 does not apply to it and its numerator is left out.
        "CAMPHA": {"dossier.processed_online": 500.0},
    }
    seen = {u: dict.fromkeys(v, H1_END) for u, v in values.items()}
    halong, coto, province = evaluate_units(catalog, ["HALONG", "COTO", "QN"], H1_END, values, seen)
    cqs04 = {card.unit: next(r for r in card.results if r.indicator == "CQS-04") for card in (halong, coto, province)}
    assert cqs04["QN"].value == pytest.approx(90.0)  # (890 + 10) / (900 + 100), not the mean of 98.9 and 10
    assert (cqs04["QN"].numerator, cqs04["QN"].denominator) == (900.0, 1000.0)
    assert cqs04["HALONG"].status is Status.ACHIEVED
    assert cqs04["COTO"].status is Status.DETERIORATING
    assert cqs04["QN"].last_seen == H1_END


def test_own_province_values_take_precedence(catalog: Catalog) -> None:
    values = {
        "QN": {"dossier.processed": 2000.0, "dossier.processed_online": 1700.0},
        "HALONG": {"dossier.processed": 900.0, "dossier.processed_online": 890.0},
    }
    seen = {u: dict.fromkeys(v, H1_END) for u, v in values.items()}
    card = evaluate_unit(catalog, "QN", H1_END, values, seen)
    cqs04 = next(r for r in card.results if r.indicator == "CQS-04")
    assert cqs04.value == pytest.approx(85.0)


def test_a_unit_without_data_for_any_indicator(catalog: Catalog) -> None:
    card = evaluate_unit(catalog, "HALONG", H1_END, {}, {})
    assert [r.indicator for r in card.results] == list(catalog.indicators)
    assert {r.status for r in card.results} == {Status.STALE, Status.NO_TARGET}
    assert card.index.value is None
    assert card.period == 2023
    assert card.at == H1_END


def test_history_feeds_the_projection(catalog: Catalog) -> None:
    values, seen = province_data(catalog, H1_REFERENCE[:1], H1_END)
    history = {("CQS-04", "QN"): [(H1_END - dt.timedelta(days=d), 90.0) for d in (90, 60, 30)]}
    card = evaluate_unit(catalog, "QN", H1_END, values, seen, history)
    cqs04 = next(r for r in card.results if r.indicator == "CQS-04")
    assert cqs04.fit_points == 4


def with_completion(tmp_path: Path, confirmed_on: str) -> Catalog:
    folder = tmp_path / DEFAULT_VERSION
    shutil.copytree(CATALOG_ROOT / DEFAULT_VERSION, folder)
    with (folder / "plans" / "2023" / "completions.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"CQS-04,QN,2023,{confirmed_on},CV 1/TTPVHCC,\n")
    return load_catalog(DEFAULT_VERSION, root=tmp_path)


@pytest.mark.parametrize(
    ("confirmed_on", "status"), [("2023-06-15", Status.COMPLETED), ("2023-07-15", Status.ACHIEVED)]
)
def test_completion_counts_from_its_confirmation_day(tmp_path: Path, confirmed_on: str, status: Status) -> None:
    catalog = with_completion(tmp_path, confirmed_on)
    values, seen = province_data(catalog, H1_REFERENCE[:1], H1_END)
    card = evaluate_unit(catalog, "QN", H1_END, values, seen)
    assert next(r for r in card.results if r.indicator == "CQS-04").status is status


def test_indicators_that_do_not_apply_are_left_out(catalog: Catalog) -> None:
    # Cô Tô has no hospital: a fresh zero denominator means XHS-06 does not apply there.
    values = {"COTO": {"hospital.total": 0.0, "hospital.emr": 0.0}}
    seen = {"COTO": {"hospital.total": H1_END, "hospital.emr": H1_END}}
    (card,) = evaluate_units(catalog, ["COTO"], catalog_moment(catalog, H1_END), values, seen)
    assert "XHS-06" not in {r.indicator for r in card.results}
    assert len(card.results) == len(catalog.indicators) - 1


# Every H1 2023 figure of the domain description's table, as numerator and denominator (percentages of 100).
H1_TABLE = {
    **dict.fromkeys(("CQS-01", "CQS-02", "CQS-03", "KTS-01", "XHS-01", "XHS-04", "XHS-05", "XHS-07", "XHS-08"), 100.0),
    "CQS-04": 93.4,
    "KTS-02": 99.2,
    "KTS-03": 34.5,
    "XHS-02": 95.0,
    "XHS-03": 89.13,
    "XHS-06": 10.0,
}


def test_plan_37_still_reads_the_h1_2023_table_as_before(catalog: Catalog) -> None:
    rows = [(code, value * 100, 10000.0) for code, value in H1_TABLE.items()]
    values, seen = province_data(catalog, rows, H1_END)
    card = evaluate_unit(catalog, "QN", H1_END, values, seen)
    achieved = [r for r in card.results if r.status is Status.ACHIEVED]
    # By hand from the table: CQS-01..04 meet 100/100/100/80, KTS-01..03 meet 100/99/30, and eight XHS values meet
    # their 2023 targets (the province's published count is 7 of 13; its list of which is not in our sources).
    assert sorted(r.indicator for r in achieved) == sorted(H1_TABLE)
    assert Counter(r.pillar for r in achieved) == {"CQS": 4, "KTS": 3, "XHS": 8}
    assert card.period == 2023


def test_2026_observations_of_the_new_map_get_the_2026_plan(catalog: Catalog) -> None:
    from index_engine.composite import rank_units

    mid_2026 = dt.datetime(2026, 7, 2, 12, 0, tzinfo=LOCAL_TZ)
    values = {
        "P_TUANCHAU": {"dossier.processed": 1000.0, "dossier.processed_online": 950.0},
        "P_HONGGAI": {"dossier.processed": 1000.0, "dossier.processed_online": 500.0},
        "DK_COTO": {"dossier.processed": 100.0, "dossier.processed_online": 90.0},
    }
    seen = {u: dict.fromkeys(v, mid_2026) for u, v in values.items()}
    cards = evaluate_units(catalog, ["P_TUANCHAU", "P_HONGGAI", "DK_COTO", "QN"], mid_2026, values, seen)
    cqs04 = {c.unit: next(r for r in c.results if r.indicator == "CQS-04") for c in cards}
    assert {(r.period, r.target) for r in cqs04.values()} == {(2026, 80.0)}
    assert cqs04["P_TUANCHAU"].status is Status.ACHIEVED  # 95% ≥ 80%
    # Hồng Gai: 50% half-way through the year, from B = 70: R = (50 - 70) / (80 - 70) < 0.
    assert cqs04["P_HONGGAI"].status is Status.DETERIORATING
    # The province sums the new units (the dissolved localities are not its children any more): 1540 / 2100.
    assert cqs04["QN"].value == pytest.approx(1540 / 2100 * 100)
    ranks = rank_units(catalog, [c.index for c in cards])
    assert (ranks["P_TUANCHAU"].peer_group, ranks["P_TUANCHAU"].rank, ranks["P_TUANCHAU"].of) == ("ward", 1, 2)
    assert (ranks["P_HONGGAI"].rank, ranks["DK_COTO"].peer_group, ranks["DK_COTO"].of) == (2, "special_zone", 1)
    assert "QN" not in ranks
