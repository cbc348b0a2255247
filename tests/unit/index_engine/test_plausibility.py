"""Plausibility rules: the catalog's file, checked row by row, and each rule on observations, worked by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from index_engine.catalog import DEFAULT_VERSION, Catalog, load_catalog
from index_engine.errors import CatalogError
from index_engine.observation import Observation
from index_engine.plausibility import check_share, check_value
from tests.unit.index_engine.test_catalog_validation import Copy, append

TS = dt.datetime(2023, 6, 30, 8, 0, tzinfo=dt.UTC)


def obs(metric: str, value: float, kind: str = "gauge", ts: dt.datetime = TS) -> Observation:
    return Observation(id="o", source="s", metric=metric, unit="HALONG", ts=ts, kind=kind, value=value)  # type: ignore[arg-type]


def test_the_bundled_rules(catalog: Catalog) -> None:
    rules = catalog.plausibility
    assert "enterprise.active" in rules.whole
    assert "grdp.total" not in rules.whole
    assert (rules.minimum["service_index.score"], rules.maximum["service_index.score"]) == (0, 100)
    assert rules.jump["population.total"] == 10
    assert "KTS-02" in rules.shares
    assert "XHS-02" not in rules.shares  # subscriptions per 100 people can exceed 100
    assert "CQS-07" not in rules.shares  # sums of deltas are not compared


@pytest.mark.parametrize(
    ("observation", "previous", "reason", "en"),
    [
        (obs("enterprise.active", 1.5), None, "not_whole", "enterprise.active = 1.5: a count must be a whole number"),
        (obs("service_index.score", -1), None, "below_minimum", "service_index.score = -1 is below 0"),
        (obs("service_index.score", 101), None, "above_maximum", "service_index.score = 101 is above 100"),
        (
            obs("enterprise.active", 21733),
            2000,
            "jump",
            "enterprise.active = 21733 is more than 10 times away from the previous value 2000",
        ),
        (
            obs("enterprise.active", 150),
            2000,
            "jump",
            "enterprise.active = 150 is more than 10 times away from the previous value 2000",
        ),
    ],
)
def test_a_broken_rule_is_a_problem(
    catalog: Catalog, observation: Observation, previous: float | None, reason: str, en: str
) -> None:
    problem = check_value(catalog.plausibility, observation, previous)
    assert problem is not None
    assert (problem.reason, problem.detail_en) == (reason, en)
    assert problem.detail_vi


@pytest.mark.parametrize(
    ("observation", "previous"),
    [
        (obs("enterprise.active", 2000), None),
        (obs("enterprise.active", 20000), 2000),  # exactly ten times
        (obs("enterprise.active", 200), 2000),
        (obs("enterprise.active", 5), 0),  # from nothing: no factor to compare with
        (obs("grdp.total", 1.5), None),
        (obs("service_index.score", 100), None),
        (obs("dossier.processed", 5000, "cumulative"), 10),  # cumulative counts are not checked for jumps
    ],
)
def test_plausible_values_pass(catalog: Catalog, observation: Observation, previous: float | None) -> None:
    assert check_value(catalog.plausibility, observation, previous) is None


def test_a_share_part_above_its_whole_of_the_same_time(catalog: Catalog) -> None:
    kts02 = catalog.indicators["KTS-02"]  # enterprise.tax_epaying / enterprise.active
    part = obs("enterprise.tax_epaying", 21733)
    problem = check_share(kts02, part, (TS, 100.0))
    assert problem is not None
    assert problem.reason == "share_exceeds"
    assert (
        problem.detail_en == "KTS-02: enterprise.tax_epaying = 21733 exceeds enterprise.active = 100 of the same time"
    )
    whole = check_share(kts02, obs("enterprise.active", 10), (TS, 40.0))
    assert whole is not None
    assert whole.detail_vi == "KTS-02: enterprise.tax_epaying = 40 lớn hơn enterprise.active = 10 cùng thời điểm"
    assert check_share(kts02, part, (TS - dt.timedelta(hours=1), 100.0)) is None  # of another time
    assert check_share(kts02, part, None) is None
    assert check_share(kts02, obs("enterprise.tax_epaying", 100), (TS, 100.0)) is None
    assert check_share(catalog.indicators["CQS-09"], obs("service_index.score", 1), (TS, 0.0)) is None


HEADER = "plausibility.csv"
CASES = [
    (append("often,enterprise.active,,"), "row 145, field 'rule': 'often' is not one of"),
    (append("whole,mars.count,,"), "row 145, field 'code': unknown metric 'mars.count'"),
    (append("share,CQS-09,,"), "row 145, field 'code': indicator 'CQS-09' has no denominator: it is not a share"),
    (append("share,CQS-07,,"), "row 145, field 'code': indicator 'CQS-07' sums deltas"),
    (append("jump,dossier.processed,3,"), "row 145, field 'code': metric 'dossier.processed' is cumulative"),
    (append("jump,school.total,1,"), "row 145, field 'value': a jump factor must be above 1, not 1"),
    (append("jump,school.total,x,"), "row 145, field 'value': 'x' is not a number"),
    (append("whole,enterprise.active,,"), "row 145, field 'code': duplicate ('whole', 'enterprise.active')"),
    (
        append("minimum,school.total,10,\nmaximum,school.total,5,"),
        "metric 'school.total': maximum 5 is below minimum 10",
    ),
]


@pytest.mark.parametrize(("edit", "message"), CASES)
def test_invalid_rule_rows_name_file_row_and_field(
    catalog_copy: Copy, edit: Callable[[str], str], message: str
) -> None:
    root = catalog_copy(HEADER, edit)
    with pytest.raises(CatalogError) as caught:
        load_catalog(DEFAULT_VERSION, root=root)
    assert message in str(caught.value)
