import datetime as dt

from prometheus_client import CollectorRegistry, generate_latest

from index_engine.catalog import load_catalog
from index_engine.observation import Observation
from streams.metrics import WorkerMetrics
from streams.staleness import sweep
from streams.state import UnitState, apply_observation

CATALOG = load_catalog()
SEEN = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)


def scorecard(processed: float | None, online: float | None, at: dt.datetime):  # type: ignore[no-untyped-def]
    state = UnitState()
    for metric, value in (("dossier.processed", processed), ("dossier.processed_online", online)):
        if value is not None:
            apply_observation(
                state,
                Observation(id=metric, source="t", metric=metric, unit="QN", ts=SEEN, kind="cumulative", value=value),
            )
    (card,) = sweep(CATALOG, [("QN", state)], at).scorecards
    return card


def test_the_indicator_gauges_show_the_latest_value_and_one_status() -> None:
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry)
    metrics.observe_scorecard(scorecard(200.0, 190.0, SEEN + dt.timedelta(hours=1)))
    value = registry.get_sample_value("qndti_indicator_value", {"indicator": "CQS-04", "unit": "QN"})
    assert value == 95.0  # 190 of 200 dossiers online
    statuses = {
        s: registry.get_sample_value("qndti_indicator_status", {"indicator": "CQS-04", "unit": "QN", "status": s})
        for s in ("achieved", "on_track", "stale", "off_track")
    }
    assert statuses == {"achieved": 1.0, "on_track": 0.0, "stale": 0.0, "off_track": 0.0}


def test_a_later_evaluation_replaces_the_status_and_keeps_a_value_it_does_not_have() -> None:
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry)
    metrics.observe_scorecard(scorecard(200.0, 190.0, SEEN + dt.timedelta(hours=1)))
    metrics.observe_scorecard(scorecard(None, None, SEEN + dt.timedelta(days=30)))
    labels = {"indicator": "CQS-04", "unit": "QN"}
    assert registry.get_sample_value("qndti_indicator_value", labels) == 95.0
    assert registry.get_sample_value("qndti_indicator_status", {**labels, "status": "stale"}) == 1.0
    assert registry.get_sample_value("qndti_indicator_status", {**labels, "status": "achieved"}) == 0.0


def test_a_scrape_by_name_leaves_the_indicator_gauges_out() -> None:
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry)
    metrics.observe_scorecard(scorecard(200.0, 190.0, SEEN + dt.timedelta(hours=1)))
    only = generate_latest(registry.restricted_registry(["qndti_worker_messages_total"])).decode()
    assert "qndti_worker_messages_total" in only
    assert "qndti_indicator" not in only
    named = generate_latest(registry.restricted_registry(["qndti_indicator_value"])).decode()
    assert 'qndti_indicator_value{indicator="CQS-04",unit="QN"} 95.0' in named
