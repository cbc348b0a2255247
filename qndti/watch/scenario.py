"""A fixed scenario for the README's pictures: twelve hourly evaluations by the index engine, written to the tables.

Every unit under the province reports every indicator with a denominator, the lead unit too; ratios are spread
around the province's 2023 targets by a fixed rule, and grow a little each hour. One indicator's data stops
arriving (it goes stale). Each hour is evaluated with :func:`index_engine.evaluate.evaluate_units` and its alerts
decided with :func:`index_engine.alerts.decide`; the results go into the real time-series tables, so the
screenshots show what the public views make of them. Nothing here is random and nothing reads the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Final

import psycopg

from index_engine.alerts import AlertState, decide
from index_engine.catalog import Catalog
from index_engine.evaluate import catalog_moment, evaluate_units
from index_engine.explain import explain_alert
from index_engine.results import IndicatorResult, Scorecard

END: Final = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)
"""The last evaluation: 10:00 on 30 June 2023, local time."""
HOURS: Final = 12
STALE_INDICATOR: Final = "XHS-06"
"""The indicator whose data stops arriving: its last data came twice its cadence before each evaluation."""
OVERALL: Final = "INDEX"


def _ratio(catalog: Catalog, root: str, code: str, i: int, j: int, hour: int) -> float:
    """The share reported by unit ``i`` for indicator ``j`` at ``hour``: around the target, never above 1."""
    indicator = catalog.indicators[code]
    target = catalog.target(code, root, END.year)
    goal = (target.target if target else 80.0) / indicator.scale
    spread = 0.9 + 0.3 * ((i * 7 + j * 3) % 11) / 10
    return min(1.0, goal * spread * (0.985 + 0.0015 * hour))


def _inputs(
    catalog: Catalog, root: str, units: tuple[str, ...], hour: int, at: dt.datetime
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, dt.datetime]]]:
    values: dict[str, dict[str, float]] = {u: {} for u in (*units, root)}
    seen: dict[str, dict[str, dt.datetime]] = {u: {} for u in (*units, root)}
    for j, (code, indicator) in enumerate(catalog.indicators.items()):
        # Twice its cadence ago: stale (the engine's rule is 1.5×).
        late = dt.timedelta(hours=2 * indicator.cadence_hours)
        arrived = at - late if code == STALE_INDICATOR else at
        if indicator.denominator is None:
            target = catalog.target(code, root, END.year)
            values[root][indicator.numerator] = (target.target if target else 1.0) * (0.9 + 0.002 * hour)
            seen[root][indicator.numerator] = arrived
            continue
        for i, unit in enumerate(units):
            denominator = 1000.0 + 37 * i
            values[unit][indicator.denominator] = denominator
            values[unit][indicator.numerator] = round(_ratio(catalog, root, code, i, j, hour) * denominator)
            seen[unit][indicator.denominator] = seen[unit][indicator.numerator] = arrived
    return values, seen


def evaluations(catalog: Catalog, root: str) -> Iterator[tuple[dt.datetime, list[Scorecard]]]:
    """The scenario's scorecards, hour by hour, the province first."""
    day = END.date()
    units = catalog.children_on(root, day)
    for hour in range(HOURS):
        at = END - dt.timedelta(hours=HOURS - 1 - hour)
        values, seen = _inputs(catalog, root, units, hour, at)
        yield at, evaluate_units(catalog, (root, *units), catalog_moment(catalog, at), values, seen)


def _status_row(result: IndicatorResult, at: dt.datetime, version: int) -> tuple[object, ...]:
    return (
        result.indicator,
        result.unit,
        at,
        result.period,
        at,
        result.status.value,
        result.score,
        result.attainment,
        result.baseline,
        result.target,
        result.expected,
        result.projected,
        result.progress,
        result.shortfall,
        result.fresh,
        version,
    )


def fill(url: str, catalog: Catalog, root: str) -> int:
    """Write the scenario into a migrated database; returns the number of alert events written."""
    states: dict[tuple[str, str], AlertState] = {}
    alerts = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for version, (at, cards) in enumerate(evaluations(catalog, root), start=1):
            results = [r for card in cards for r in card.results]
            cur.executemany(
                "INSERT INTO dti.indicator_value (indicator_code, unit_code, bucket, period, ts, value, numerator,"
                " denominator, version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (r.indicator, r.unit, at, r.period, r.last_seen or at, r.value, r.numerator, r.denominator, version)
                    for r in results
                ],
            )
            cur.executemany(
                "INSERT INTO dti.indicator_status (indicator_code, unit_code, bucket, period, ts, status, score,"
                " attainment, baseline, target, expected, projected, progress, shortfall, fresh, version)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [_status_row(r, at, version) for r in results],
            )
            # Ranks are left to the view, as the worker leaves them (dti.unit_score_latest ranks the peers).
            scores: list[tuple[object, ...]] = []
            for card in cards:
                index = card.index
                for pillar in index.pillars:
                    scores.append(
                        (
                            card.unit,
                            pillar.pillar,
                            at,
                            card.period,
                            at,
                            pillar.score,
                            None,
                            pillar.coverage,
                            pillar.weight,
                            None,
                            None,
                            version,
                        )
                    )
                scores.append(
                    (
                        card.unit,
                        OVERALL,
                        at,
                        card.period,
                        at,
                        index.value,
                        index.points,
                        index.weight_used,
                        None,
                        None,
                        None,
                        version,
                    )
                )
            cur.executemany(
                "INSERT INTO dti.unit_score (unit_code, pillar, bucket, period, ts, score, points, coverage, weight,"
                " rank, rank_of, version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                scores,
            )
            events: list[tuple[object, ...]] = []
            for result in results:
                key = (result.indicator, result.unit)
                state, decision = decide(states.get(key, AlertState()), result, catalog.indicators[result.indicator])
                states[key] = state
                if not decision.changed:
                    continue
                text = explain_alert(decision, result)
                for action, kinds in (("raised", decision.raised), ("resolved", decision.resolved)):
                    events.extend(
                        (
                            result.indicator,
                            result.unit,
                            kind.value,
                            action,
                            at,
                            decision.status.value,
                            text.text_vi,
                            text.text_en,
                            list(decision.notify),
                        )
                        for kind in kinds
                    )
            cur.executemany(
                "INSERT INTO dti.alert (indicator_code, unit_code, kind, action, ts, status, message_vi, message_en,"
                " notify) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                events,
            )
            alerts += len(events)
    return alerts
