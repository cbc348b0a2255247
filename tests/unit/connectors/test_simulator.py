import asyncio
import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from connectors.adapters.simulator import SimulatorConnector
from connectors.simulator import H1_END, SHOWCASE, Simulation, working_days
from index_engine.catalog import Catalog, Indicator, Metric
from index_engine.observation import validate
from index_engine.periods import LOCAL_TZ
from tests.connectors_support import CATALOG, source


def _metric(code: str, kind: str = "gauge") -> Metric:
    return Metric(code=code, kind=kind, unit_of_measure="n", description_vi=code, description_en=code)  # type: ignore[arg-type]


def _indicator(code: str, numerator: str, denominator: str | None) -> Indicator:
    return Indicator(
        code=code,
        pillar=code[:3],
        name_vi=code,
        name_en=code,
        numerator=numerator,
        denominator=denominator,
        scale=100,
        direction="up",
        aggregation="latest",
        cadence_hours=24,
        lead_unit="QN",
        source_system="test",
        assumed=False,
    )


def wider_catalog() -> Catalog:
    """The shipped catalog plus gauge, delta and single-metric indicators (as the full catalog has)."""
    metrics = dict(CATALOG.metrics)
    for code in (
        "enterprise.active",
        "enterprise.tax_epaying",
        "hospital.total",
        "hospital.emr",
        "service_index.score",
    ):
        metrics[code] = _metric(code)
    metrics["fee.paid"] = _metric("fee.paid", "delta")
    metrics["fee.paid_cashless"] = _metric("fee.paid_cashless", "delta")
    metrics["brand.new"] = _metric("brand.new")  # not in the profile: a default level by kind
    indicators = dict(CATALOG.indicators)
    indicators["KTS-02"] = _indicator("KTS-02", "enterprise.tax_epaying", "enterprise.active")
    indicators["XHS-06"] = _indicator("XHS-06", "hospital.emr", "hospital.total")
    indicators["CQS-07"] = _indicator("CQS-07", "fee.paid_cashless", "fee.paid")
    indicators["CQS-09"] = _indicator("CQS-09", "service_index.score", None)
    return dataclasses.replace(CATALOG, metrics=metrics, indicators=indicators)


def test_replay_ends_h1_on_the_reference_figures() -> None:
    sim = Simulation(wider_catalog(), seed=2023)
    assert sim.province_ratio("dossier.processed_online", H1_END) == pytest.approx(0.934, abs=5e-5)
    assert sim.province_ratio("enterprise.tax_epaying", H1_END) == pytest.approx(0.992, abs=5e-5)
    assert sim.province_ratio("hospital.emr", H1_END) == pytest.approx(0.10)
    assert sim.units_of("hospital.emr") == ("QN",)
    assert len(sim.units_of("enterprise.active")) == 13


def test_every_metric_for_every_unit_it_applies_to_and_valid() -> None:
    catalog = wider_catalog()
    sim = Simulation(catalog, seed=7)
    observations = sim.observations(H1_END)
    assert {o.metric for o in observations} == set(catalog.metrics)
    for o in observations:
        validate(o, catalog, H1_END)
    assert sim.count("brand.new", "HALONG", H1_END) > 0


def test_deterministic_and_cumulative_counts_never_decrease() -> None:
    a, b = Simulation(CATALOG, seed=2023), Simulation(CATALOG, seed=2023)
    times = [dt.datetime(2023, 3, 6, h, 0, tzinfo=LOCAL_TZ) for h in range(0, 24, 2)]
    for unit in a.units_of("dossier.processed", times[0]):
        counts = [a.count("dossier.processed_online", unit, t) for t in times]
        assert counts == [b.count("dossier.processed_online", unit, t) for t in times]
        assert counts == sorted(counts)
        assert all(a.count("dossier.processed_online", unit, t) <= a.count("dossier.processed", unit, t) for t in times)
    assert Simulation(CATALOG, seed=1).count("dossier.processed_online", "HALONG", times[-1]) != a.count(
        "dossier.processed_online", "HALONG", times[-1]
    )


def test_daily_and_weekly_rhythm() -> None:
    monday = dt.datetime(2023, 3, 6, tzinfo=LOCAL_TZ)
    night = working_days(monday + dt.timedelta(hours=6)) - working_days(monday)
    office = working_days(monday + dt.timedelta(hours=12)) - working_days(monday + dt.timedelta(hours=6))
    saturday = working_days(monday + dt.timedelta(days=6)) - working_days(monday + dt.timedelta(days=5))
    assert office > 10 * night
    assert saturday == pytest.approx(0.1)


def test_delta_metrics_count_what_is_new_since_the_previous_poll() -> None:
    sim = Simulation(wider_catalog(), seed=3)
    t1, t2 = dt.datetime(2023, 3, 6, 9, tzinfo=LOCAL_TZ), dt.datetime(2023, 3, 6, 11, tzinfo=LOCAL_TZ)
    first = {o.unit: o.value for o in sim.observations(t1) if o.metric == "fee.paid"}
    second = {o.unit: o.value for o in sim.observations(t2, previous=t1) if o.metric == "fee.paid"}
    assert second["HALONG"] == sim.count("fee.paid", "HALONG", t2) - first["HALONG"]


def test_replay_speed_and_resume(tmp_path: Path) -> None:
    config = source(tmp_path, type="simulator", options={"mode": "replay-2023", "speed": 86400})
    connector = SimulatorConnector(config, CATALOG)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert connector.simulated_now({}, now) == dt.datetime(2023, 1, 1, tzinfo=LOCAL_TZ)
    assert connector.simulated_now({}, now + dt.timedelta(seconds=2)) == dt.datetime(2023, 1, 3, tzinfo=LOCAL_TZ)
    assert connector.simulated_now({}, now + dt.timedelta(days=1)) == H1_END
    batch = asyncio.run(connector.poll({}, now + dt.timedelta(days=1)))
    assert {o.ts for o in batch.observations} == {H1_END}
    assert asyncio.run(connector.poll(batch.checkpoint, now + dt.timedelta(days=2))).observations == []
    resumed = SimulatorConnector(config, CATALOG)
    assert resumed.simulated_now({"sim_ts": "2023-02-01T00:00:00+07:00"}, now).date() == dt.date(2023, 2, 1)


BEFORE_JULY = dt.datetime(2025, 6, 30, 23, 59, tzinfo=LOCAL_TZ)
AFTER_JULY = dt.datetime(2025, 7, 1, 0, 1, tzinfo=LOCAL_TZ)


def test_the_map_of_the_day_reports() -> None:
    sim = Simulation(CATALOG, seed=2025)
    before = {o.unit for o in sim.observations(BEFORE_JULY)}
    after = {o.unit for o in sim.observations(AFTER_JULY)}
    assert "HALONG" in before
    assert "P_TUANCHAU" not in before
    assert "HALONG" not in after
    assert {"P_TUANCHAU", "X_QUANGLA", "DK_COTO", "SKHCN"} <= after
    assert "STTTT" not in after
    for o in sim.observations(AFTER_JULY):
        validate(o, CATALOG, AFTER_JULY)  # every unit is valid on its local date
    assert len(sim.units_of("dossier.processed", AFTER_JULY)) == 54 + 13  # territorial units and service departments


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2025, 2, 28, 23, 59, tzinfo=LOCAL_TZ),
        dt.datetime(2025, 3, 1, 0, 1, tzinfo=LOCAL_TZ),
        BEFORE_JULY,
        AFTER_JULY,
        dt.datetime(2026, 12, 1, 12, tzinfo=LOCAL_TZ),
    ],
)
def test_the_units_of_each_map_add_up_to_the_province(moment: dt.datetime) -> None:
    sim = Simulation(CATALOG, seed=2025)
    total = sim.value("dossier.processed", "QN", moment)
    # A flow: every unit of the year so far, those that ended keeping what they did before.
    assert sum(sim.value("dossier.processed", u, moment) for u in units_of_the_year(sim, moment)) == pytest.approx(
        total
    )
    # Levels per person: the new units share their predecessors' population, so the province's stays the same.
    for metric in ("population.total", "household.total"):
        on_2023_map = sum(sim.value(metric, u, H1_END) for u in sim.units_of(metric, H1_END))
        assert sum(sim.value(metric, u, moment) for u in sim.units_of(metric, moment)) == pytest.approx(on_2023_map)


def units_of_the_year(sim: Simulation, moment: dt.datetime, metric: str = "dossier.processed") -> set[str]:
    """The units a flow was simulated for on some day of ``moment``'s year up to it (each map's)."""
    days = [dt.datetime(moment.year, 1, 1, 12, tzinfo=LOCAL_TZ), moment]
    days += [e.start for e in sim.epochs if days[0] < e.start <= moment]
    return {u for t in days for u in sim.units_of(metric, t)}


def test_the_province_runs_on_across_1_july_2025() -> None:
    sim = Simulation(CATALOG, seed=2025)
    metric = "dossier.processed"
    moments = (BEFORE_JULY, AFTER_JULY)
    year = [units_of_the_year(sim, t) for t in moments]
    exact = [sum(sim.value(metric, u, t) for u in units) for t, units in zip(moments, year, strict=True)]
    # Two minutes at night carry a few dossiers at most: the former localities' totals stay, the new units add on.
    flow = sim.value(metric, "QN", AFTER_JULY) - sim.value(metric, "QN", BEFORE_JULY)
    assert exact[1] - exact[0] == pytest.approx(flow)
    assert 0 <= flow < 10
    # Whole counts are truncated per unit: the sum of counts differs from the exact sum by less than one per unit.
    counts = [sum(sim.count(metric, u, t) for u in units) for t, units in zip(moments, year, strict=True)]
    assert abs(counts[1] - exact[1]) < len(year[1])
    assert abs(counts[0] - exact[0]) < len(year[0])
    # Hạ Long keeps its January–June (and its last minute); the wards formed from it count from 1 July only.
    halong = [sim.value(metric, "HALONG", t) for t in (*moments, dt.datetime(2025, 7, 31, tzinfo=LOCAL_TZ))]
    assert halong[0] > 0
    assert halong[1] - halong[0] < 1
    assert halong[2] == halong[1]
    wards = [s.unit for s in CATALOG.successors("HALONG")]
    assert sum(sim.value(metric, w, AFTER_JULY) for w in wards) < 10


def test_a_department_that_absorbs_another_never_goes_down() -> None:
    sim = Simulation(CATALOG, seed=2025)
    times = [dt.datetime(2025, 2, 28, 17, tzinfo=LOCAL_TZ), dt.datetime(2025, 3, 1, 9, tzinfo=LOCAL_TZ)]
    counts = [sim.count("dossier.processed", "STC", t) for t in times]
    assert counts[1] > counts[0]


def test_replay_2025_crosses_both_reforms(tmp_path: Path) -> None:
    config = source(tmp_path, type="simulator", options={"mode": "replay-2025", "speed": 86400})
    connector = SimulatorConnector(config, CATALOG)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert connector.simulated_now({}, now) == dt.datetime(2025, 1, 1, tzinfo=LOCAL_TZ)
    end = connector.simulated_now({}, now + dt.timedelta(days=30))
    assert end == dt.datetime(2025, 7, 31, 23, 59, 59, tzinfo=LOCAL_TZ)


def test_the_live_showcase_shows_every_status_from_the_first_poll() -> None:
    from index_engine.evaluate import evaluate_units
    from index_engine.status import Status

    first_poll = dt.datetime(2026, 12, 1, 12, 0, tzinfo=LOCAL_TZ)
    sim = Simulation(CATALOG, seed=2023, showcase=SHOWCASE)
    values: dict[str, dict[str, float]] = {}
    seen: dict[str, dict[str, dt.datetime]] = {}
    for o in sim.observations(first_poll):
        assert o.source == "simulator"
        values.setdefault(o.unit, {})[o.metric] = o.value
        seen.setdefault(o.unit, {})[o.metric] = o.ts
    units = ["P_HALONG", "P_BAICHAY", "P_HATU", "P_HALAM", "P_HONGGAI"]
    cards = evaluate_units(CATALOG, units, first_poll, values, seen)
    status = {c.unit: next(r for r in c.results if r.indicator == "CQS-04").status for c in cards}
    # By hand, f = 0.916 on 1 December at noon, B = 70, T = 80, one point: x̂ = B + (x − B)/f, R = (x̂ − B)/(T − B).
    assert status == {
        "P_HALONG": Status.ON_TRACK,  # x = 79.6: x̂ = 80.5, R = 1.05
        "P_BAICHAY": Status.AT_RISK,  # x = 77: x̂ = 77.6, R = 0.76
        "P_HATU": Status.OFF_TRACK,  # x = 74: x̂ = 74.4, R = 0.44
        "P_HALAM": Status.STALE,  # never reports dossiers processed online
        "P_HONGGAI": Status.ACHIEVED,  # the profile's 93.4%
    }


def test_replays_never_showcase(tmp_path: Path) -> None:
    config = source(tmp_path, type="simulator", options={"mode": "replay-2023", "showcase": True})
    assert SimulatorConnector(config, CATALOG).simulation.showcase == {}
    live = source(tmp_path, type="simulator", options={"showcase": True})
    assert SimulatorConnector(live, CATALOG).simulation.showcase[("P_HALAM", "dossier.processed_online")] is None


def test_the_live_showcase_has_an_alert_that_fires_and_clears() -> None:
    from index_engine.evaluate import evaluate_units
    from index_engine.status import Status

    sim = Simulation(CATALOG, seed=2023, showcase=SHOWCASE)
    shown = []
    # 1 December 2026 at noon is minute 29,394,000 of the epoch (even): 90 %, then 70 % the next minute.
    for minute in (0, 1, 2):
        at = dt.datetime(2026, 12, 1, 12, minute, 30, tzinfo=LOCAL_TZ)
        values: dict[str, dict[str, float]] = {}
        seen: dict[str, dict[str, dt.datetime]] = {}
        for o in sim.observations(at):
            if o.unit == "P_VIETHUNG":
                values.setdefault(o.unit, {})[o.metric] = o.value
                seen.setdefault(o.unit, {})[o.metric] = o.ts
        card = evaluate_units(CATALOG, ["P_VIETHUNG"], at, values, seen)[0]
        result = next(r for r in card.results if r.indicator == "CQS-04")
        shown.append((round(result.value or 0), result.status))
    # 70 % is not above the baseline B = 70: the value went back to where the year started.
    assert shown == [(90, Status.ACHIEVED), (70, Status.DETERIORATING), (90, Status.ACHIEVED)]
