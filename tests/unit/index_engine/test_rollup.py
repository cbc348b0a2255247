import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index_engine.catalog import Catalog, Unit
from index_engine.rollup import Inputs, combine, rollup_inputs, rollup_metric, unit_inputs
from tests.unit.index_engine.conftest import CATALOG

DAY = dt.date(2023, 6, 30)
T0 = dt.datetime(2023, 6, 30, tzinfo=dt.UTC)
CQS04 = CATALOG.indicators["CQS-04"]
CQS09 = CATALOG.indicators["CQS-09"]  # one metric, no denominator


def tree(children: list[str], parent: str = "P") -> Catalog:
    """A catalog whose units are ``parent`` and its ``children``, all valid in 2023."""

    def unit(code: str, up: str | None) -> Unit:
        return Unit(code, code, code, "district", up, "locality", dt.date(2023, 1, 1), None)

    units = {parent: unit(parent, None), **{c: unit(c, parent) for c in children}}
    return replace(CATALOG, units=units, _children={parent: tuple(children)} if children else {})


counts = st.floats(min_value=0, max_value=1e9, allow_nan=False)
child_data = st.tuples(counts, counts, st.integers(0, 10_000))


def data_for(children: list[str], rows: list[tuple[float, float, int]]):
    pairs = list(zip(children, rows, strict=True))
    values = {c: {"dossier.processed_online": n, "dossier.processed": d} for c, (n, d, _) in pairs}
    seen = {c: {m: T0 - dt.timedelta(minutes=age) for m in values[c]} for c, (_, _, age) in pairs}
    return values, seen


@given(child_data)
def test_rollup_of_one_child_is_the_child(row: tuple[float, float, int]) -> None:
    catalog = tree(["C"])
    values, seen = data_for(["C"], [row])
    child = rollup_inputs(catalog, values, seen, "C", CQS04, DAY)
    parent = rollup_inputs(catalog, values, seen, "P", CQS04, DAY)
    if row[1]:
        assert parent == child
    else:
        # A child with a zero denominator doesn't apply: the parent has nothing to sum but is as fresh.
        assert parent == (None, None, child[2])


@settings(max_examples=50)
@given(st.lists(child_data, min_size=1, max_size=8), st.randoms())
def test_permuting_units_changes_nothing(rows: list[tuple[float, float, int]], rng) -> None:
    names = [f"C{i}" for i in range(len(rows))]
    values, seen = data_for(names, rows)
    shuffled = names[:]
    rng.shuffle(shuffled)
    first = unit_inputs(tree(names), values, seen, "P", DAY)
    second = unit_inputs(tree(shuffled), values, seen, "P", DAY)
    assert first == second


@settings(max_examples=50)
@given(st.lists(child_data, min_size=0, max_size=6))
def test_bulk_and_single_rollups_agree(rows: list[tuple[float, float, int]]) -> None:
    names = [f"C{i}" for i in range(len(rows))]
    catalog = tree(names)
    values, seen = data_for(names, rows)
    bulk = unit_inputs(catalog, values, seen, "P", DAY)
    single = [rollup_inputs(catalog, values, seen, "P", i, DAY) for i in catalog.indicators.values()]
    assert bulk == single


def test_sums_counts_never_ratios() -> None:
    catalog = tree(["A", "B"])
    values, seen = data_for(["A", "B"], [(90.0, 100.0, 0), (1.0, 10.0, 5)])
    assert rollup_inputs(catalog, values, seen, "P", CQS04, DAY) == (91.0, 110.0, T0)


def test_own_values_win_metric_by_metric() -> None:
    catalog = tree(["A", "B"])
    values, seen = data_for(["A", "B"], [(90.0, 100.0, 10), (1.0, 10.0, 5)])
    values["P"] = {"dossier.processed": 1000.0}
    seen["P"] = {"dossier.processed": T0 - dt.timedelta(hours=2)}
    numerator, denominator, last = rollup_inputs(catalog, values, seen, "P", CQS04, DAY)
    assert (numerator, denominator) == (91.0, 1000.0)
    assert last == T0 - dt.timedelta(hours=2)  # the oldest of its own denominator and its children's latest


def test_single_metric_indicators_sum_what_children_have() -> None:
    catalog = tree(["A", "B", "C"])
    values = {"A": {"service_index.score": 2.0}, "B": {"service_index.score": 3.0}}
    seen = {"A": {"service_index.score": T0}}
    assert rollup_inputs(catalog, values, seen, "P", CQS09, DAY) == (5.0, None, T0)
    assert rollup_metric(catalog, values, "P", "service_index.score", DAY) == 5.0
    assert rollup_metric(catalog, values, "C", "service_index.score", DAY) is None
    assert rollup_metric(catalog, {"P": {"service_index.score": 9.0}}, "P", "service_index.score", DAY) == 9.0


def ended(catalog: Catalog, code: str, last: dt.date) -> Catalog:
    """``catalog`` with unit ``code`` ending on ``last``."""
    return replace(catalog, units={**catalog.units, code: replace(catalog.units[code], valid_to=last)})


def started(catalog: Catalog, code: str, first: dt.date) -> Catalog:
    """``catalog`` with unit ``code`` starting on ``first``."""
    return replace(catalog, units={**catalog.units, code: replace(catalog.units[code], valid_from=first)})


LEVELS = {"procedure.online_full": 30.0, "procedure.eligible": 40.0}  # CQS-01, a level (gauges)


def test_a_level_sums_only_the_units_valid_on_the_day() -> None:
    catalog = ended(tree(["A", "B"]), "B", dt.date(2023, 3, 31))
    values = {"A": {"procedure.online_full": 9.0, "procedure.eligible": 10.0}, "B": LEVELS}
    seen = {unit: dict.fromkeys(metrics, T0) for unit, metrics in values.items()}
    cqs01 = CATALOG.indicators["CQS-01"]
    assert rollup_inputs(catalog, values, seen, "P", cqs01, DAY)[:2] == (9.0, 10.0)
    assert unit_inputs(catalog, values, seen, "P", DAY)[0][:2] == (9.0, 10.0)
    assert rollup_metric(catalog, values, "P", "procedure.eligible", DAY) == 10.0


def test_a_flow_keeps_what_a_unit_did_this_year_before_it_ended() -> None:
    # B ended on 31 March: its January–March counts stay in the parent's year to date; C starts on 1 July.
    catalog = started(ended(tree(["A", "B", "C"]), "B", dt.date(2023, 3, 31)), "C", dt.date(2023, 7, 1))
    values, seen = data_for(["A", "B", "C"], [(90.0, 100.0, 0), (1.0, 10.0, 0), (5.0, 5.0, 0)])
    assert rollup_inputs(catalog, values, seen, "P", CQS04, DAY)[:2] == (91.0, 110.0)
    assert unit_inputs(catalog, values, seen, "P", DAY)[3][:2] == (91.0, 110.0)
    assert rollup_metric(catalog, values, "P", "dossier.processed", DAY) == 110.0
    july = dt.date(2023, 7, 1)
    assert rollup_inputs(catalog, values, seen, "P", CQS04, july)[:2] == (96.0, 115.0)
    # A unit that ended in an earlier year counts no more.
    assert rollup_inputs(catalog, values, seen, "P", CQS04, dt.date(2024, 1, 1))[:2] == (95.0, 105.0)


@pytest.mark.parametrize(
    ("below", "expected"),
    [
        ([], (None, None, None)),
        ([(None, None, None)], (None, None, None)),
        ([(5.0, 10.0, None)], (5.0, 10.0, None)),
        ([(5.0, 0.0, T0)], (None, None, T0)),
    ],
)
def test_combine_edge_cases(below: list[Inputs], expected: Inputs) -> None:
    assert combine(CQS04, {}, {}, below) == expected


def test_own_inputs_need_both_arrivals() -> None:
    own = {"dossier.processed_online": 1.0, "dossier.processed": 2.0}
    assert combine(CQS04, own, {"dossier.processed": T0}, []) == (1.0, 2.0, None)
    assert combine(CQS04, own, {"dossier.processed_online": T0}, []) == (1.0, 2.0, None)
    later = T0 + dt.timedelta(hours=1)
    both = {"dossier.processed_online": later, "dossier.processed": T0}
    assert combine(CQS04, own, both, []) == (1.0, 2.0, T0)
