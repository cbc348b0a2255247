"""Every indicator for every unit: the worker's values, scores and statuses equal the index engine's own."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import psycopg
import pytest

from index_engine.evaluate import evaluate_units
from index_engine.observation import Observation
from index_engine.results import Scorecard
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.integration.conftest import WorkerProcess, wait_for
from tests.integration.scenarios import CATALOG, produce, sql_round

pytestmark = pytest.mark.integration

AT = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)
LEAVES = list(CATALOG.children_on("QN", AT.date()))  # the 2023 map: its units report, later ones did not exist
VALUES = """
SELECT indicator_code, unit_code, numerator, denominator, round(value::numeric, 6)
  FROM dti.indicator_latest WHERE value IS NOT NULL ORDER BY 1, 2
"""
STATUSES = """
SELECT DISTINCT ON (indicator_code, unit_code) indicator_code, unit_code, status, round(score::numeric, 6)
  FROM dti.indicator_status ORDER BY indicator_code, unit_code, bucket DESC, version DESC
"""


def observations(seed: int) -> list[Observation]:
    """Each leaf unit reports about 70% of the metrics: two readings of levels and totals, three deltas."""
    rng = random.Random(seed)
    result: list[Observation] = []
    for unit in LEAVES:
        for metric in CATALOG.metrics.values():
            if rng.random() < 0.3:
                continue
            readings = 3 if metric.kind == "delta" else 2
            for k in range(readings):
                result.append(
                    Observation(
                        id=f"all:{unit}:{metric.code}:{k}",
                        source="test",
                        metric=metric.code,
                        unit=unit,
                        ts=AT - dt.timedelta(hours=k),
                        kind=metric.kind,
                        value=float(rng.randint(0, 1000)),
                    )
                )
    rng.shuffle(result)
    return result


def inputs(obs: list[Observation]) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, dt.datetime]]]:
    """Metric values (newest level or total, summed deltas) and arrival times by unit, as the engine takes them."""
    values: dict[str, dict[str, float]] = {}
    seen: dict[str, dict[str, dt.datetime]] = {}
    newest: dict[tuple[str, str], dt.datetime] = {}
    for o in obs:
        unit_values, unit_seen = values.setdefault(o.unit, {}), seen.setdefault(o.unit, {})
        if o.kind == "delta":
            unit_values[o.metric] = unit_values.get(o.metric, 0.0) + o.value
        elif o.ts > newest.get((o.unit, o.metric), dt.datetime.min.replace(tzinfo=dt.UTC)):
            unit_values[o.metric] = o.value
            newest[(o.unit, o.metric)] = o.ts
        unit_seen[o.metric] = max(unit_seen.get(o.metric, o.ts), o.ts)
    return values, seen


def engine_cards(obs: list[Observation]) -> list[Scorecard]:
    """The index engine evaluated directly on the same inputs, for the province and every leaf unit."""
    values, seen = inputs(obs)
    return evaluate_units(CATALOG, ["QN", *values], AT, values, seen)


def rows(cards: list[Scorecard]) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """What ``VALUES`` and ``STATUSES`` must return."""
    value_rows, status_rows = [], []
    for card in cards:
        for r in card.results:
            if r.value is not None:
                value_rows.append((r.indicator, r.unit, r.numerator, r.denominator, sql_round(r.value, 6)))
            score = None if r.score is None else sql_round(r.score, 6)
            status_rows.append((r.indicator, r.unit, r.status.value, score))
    return sorted(value_rows), sorted(status_rows, key=lambda row: (str(row[0]), str(row[1])))


def test_every_indicator_for_every_unit_matches_the_engine(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    obs = observations(seed=35)
    cards = engine_cards(obs)
    expected_values, expected_statuses = rows(cards)
    assert len({row[0] for row in expected_values}) == len(CATALOG.indicators)

    produce(stack.kafka_bootstrap, topics, obs)
    worker_factory().start()

    wait_for(database_url, VALUES, expected_values, timeout=150, what="values of all 35 indicators")
    wait_for(database_url, STATUSES, expected_statuses, timeout=30, what="statuses and scores")
    with psycopg.connect(database_url) as conn:
        index = conn.execute(
            "SELECT score FROM dti.unit_score WHERE unit_code = 'QN' AND pillar = 'INDEX' "
            "ORDER BY bucket DESC, version DESC LIMIT 1"
        ).fetchone()
    (province,) = [c for c in cards if c.unit == "QN"]
    assert index is not None
    assert index[0] == pytest.approx(province.index.value, abs=1e-12)
