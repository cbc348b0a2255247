"""A deterministic simulator of the provincial dossier system (CQS-04: dossiers processed fully online).

Counts are a pure function of the unit, the seed and the time, so restarts and replays give the same numbers.

Sourced magnitudes (``shared/data``): about 4,300 dossiers per working day province-wide (2025); 92.8% online
(January–May 2025); locality populations from the 2019 census and locality portals, scaled by 1.07 from 2019 to
2023 (the province's growth). **Assumed** (no sourced profile exists): dossiers split across localities by
population; weekends and holidays carry 10% of a working day; each locality's online share is drawn once per seed
between 85% and 98%.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from index_engine.observation import Observation
from index_engine.periods import LOCAL_TZ, period_bounds

PROFILE: Final = Path(__file__).parent / "data" / "simulator_units.csv"
DOSSIERS_PER_WORKING_DAY: Final = 4300.0
WEEKEND_WEIGHT: Final = 0.1  # assumed
GROWTH_PER_YEAR: Final = 1.07 ** (1 / 4)  # 2019 → 2023 growth of 7%, spread evenly over the years

SOURCE: Final = "simulator"
PROCESSED: Final = "dossier.processed"
PROCESSED_ONLINE: Final = "dossier.processed_online"


@dataclass(frozen=True)
class SimulatedUnit:
    """A locality with its daily dossier rate and online share."""

    code: str
    per_day: float
    online_share: float


def load_units(seed: int, profile: Path = PROFILE) -> tuple[SimulatedUnit, ...]:
    """The simulated localities: rate by population share, online share drawn from ``seed``."""
    with profile.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    population = {
        r["unit_code"]: float(r["population"]) * GROWTH_PER_YEAR ** (2023 - int(r["population_year"])) for r in rows
    }
    total = sum(population.values())
    rng = random.Random(seed)  # noqa: S311 - simulation, not cryptography
    return tuple(
        SimulatedUnit(code, DOSSIERS_PER_WORKING_DAY * pop / total, round(rng.uniform(0.85, 0.98), 4))
        for code, pop in population.items()
    )


def _day_weight(day: dt.date) -> float:
    return 1.0 if day.weekday() < 5 else WEEKEND_WEIGHT


def working_days(ts: dt.datetime) -> float:
    """Working-day equivalents elapsed from the start of ``ts``'s local year up to ``ts``."""
    local = ts.astimezone(LOCAL_TZ)
    start = period_bounds(local.year)[0].date()
    full = sum(_day_weight(start + dt.timedelta(days=d)) for d in range((local.date() - start).days))
    midnight = dt.datetime.combine(local.date(), dt.time(), tzinfo=LOCAL_TZ)
    return full + _day_weight(local.date()) * (local - midnight) / dt.timedelta(days=1)


def counts(unit: SimulatedUnit, ts: dt.datetime) -> tuple[int, int]:
    """Year-to-date dossiers processed and processed fully online at ``ts`` (both non-decreasing in ts)."""
    processed = int(unit.per_day * working_days(ts))
    return processed, int(processed * unit.online_share)


def observations(units: Iterable[SimulatedUnit], ts: dt.datetime) -> list[Observation]:
    """Cumulative observations of both metrics for every unit at ``ts`` (truncated to whole seconds)."""
    ts = ts.replace(microsecond=0)
    stamp = ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = []
    for unit in units:
        processed, online = counts(unit, ts)
        for metric, value in ((PROCESSED, processed), (PROCESSED_ONLINE, online)):
            result.append(
                Observation(
                    id=f"{SOURCE}:{unit.code}:{metric}:{stamp}",
                    source=SOURCE,
                    metric=metric,
                    unit=unit.code,
                    ts=ts,
                    kind="cumulative",
                    value=float(value),
                )
            )
    return result
