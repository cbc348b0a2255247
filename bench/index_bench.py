"""Benchmark of the index engine: synthetic units × the 35 indicators of the bundled catalog.

For each size it times one full evaluation round: indicator values, scores, trajectory and status for every unit
and indicator, pillar scores, the unit index, the province rollup over all units, and the ranking.

    .venv/bin/python bench/index_bench.py
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time

from index_engine.catalog import Catalog, Target, Unit, load_catalog
from index_engine.composite import rank_units
from index_engine.evaluate import catalog_moment, evaluate_units
from index_engine.periods import LOCAL_TZ

NOW = dt.datetime(2023, 6, 30, 17, 0, tzinfo=LOCAL_TZ)
PERIOD = 2023


def synthetic(base: Catalog, n: int, seed: int = 7) -> tuple[Catalog, dict, dict]:
    """A catalog with ``n`` localities under the province, each with a target for every indicator, and data."""
    rng = random.Random(seed)
    units = {"QN": base.units["QN"]}
    codes = [f"U{i:05d}" for i in range(n)]
    for code in codes:
        units[code] = Unit(code, code, code, "district", "QN", "locality", dt.date(2023, 1, 1), None)
    targets: dict[tuple[str, str, int], Target] = {}
    for indicator in base.indicators:
        province = base.target(indicator, "QN", PERIOD)
        assert province is not None
        targets[(indicator, "QN", PERIOD)] = province
        for code in codes:
            targets[(indicator, code, PERIOD)] = dataclasses.replace(province, unit=code)
    catalog = dataclasses.replace(base, units=units, _children={"QN": tuple(codes)}, targets=targets)
    values: dict[str, dict[str, float]] = {}
    seen: dict[str, dict[str, dt.datetime]] = {}
    for code in codes:
        own = values.setdefault(code, {})
        arrived = seen.setdefault(code, {})
        for indicator in base.indicators.values():
            denominator = rng.uniform(100, 10_000)
            share = rng.uniform(0.2, 1.0)
            if indicator.denominator is None:
                own[indicator.numerator] = share * 100
            else:
                own[indicator.denominator] = denominator
                own[indicator.numerator] = denominator * share
            for metric in indicator.metrics:
                arrived[metric] = NOW - dt.timedelta(hours=rng.uniform(0, 30))
    return catalog, values, seen


def run(sizes: tuple[int, ...] = (100, 1000, 10000)) -> list[dict[str, object]]:
    """Time one evaluation round per size; returns one row per size."""
    base = load_catalog()
    rows: list[dict[str, object]] = []
    for n in sizes:
        catalog, values, seen = synthetic(base, n)
        start = time.perf_counter()
        at = catalog_moment(catalog, NOW)
        *cards, province = evaluate_units(catalog, [*catalog.children("QN"), "QN"], at, values, seen)
        ranks = rank_units(catalog, [card.index for card in cards])
        seconds = time.perf_counter() - start
        assert len(ranks) == n and province.index.value is not None
        evaluations = n * len(base.indicators)
        rows.append(
            {
                "name": "index",
                "units": n,
                "seconds": seconds,
                "per_indicator_us": seconds / evaluations * 1e6,
            }
        )
    return rows


if __name__ == "__main__":
    print(f"{'name':<8}{'units':>8}{'seconds':>10}{'µs/indicator':>15}")
    for row in run():
        print(f"{row['name']:<8}{row['units']:>8}{row['seconds']:>10.3f}{row['per_indicator_us']:>15.2f}")
