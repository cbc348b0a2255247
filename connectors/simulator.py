"""A deterministic simulator of every metric of the catalog, for every unit it applies to.

Values are a pure function of the seed, the unit, the metric and the time, so restarts and replays give the same
numbers. Levels come from ``data/simulator_profile.csv`` keyed by metric code (its ``source`` column says where
each figure comes from and ``assumed`` marks the ones without a source); a metric missing from the profile gets a
default by kind. Numerators follow their indicator's denominator at a share that starts the year at
``ratio_start`` and reaches ``ratio_h1`` on 30 June (flows keep ``ratio_h1`` all year, so their year-to-date
share is that figure), so a replay of 2023 ends H1 on the reference figures of the domain description.

A profile ``scope`` is ``locality`` (split over the territorial units by population), ``services`` (the same,
with a quarter going to the departments that provide public services, evenly: **assumed**) or ``province`` (one
value for the province as a whole).

The map is the catalog's on each day: the 13 localities until 30 June 2025, the 54 commune-level units from
1 July 2025, the departments as merged on 1 March 2025. A new unit's population is an equal part of each
predecessor's (**assumed**: no per-unit figures were found). Its year-to-date flows count from its own first day,
and a unit that ended keeps what it did before: the worker adds both into the province's year to date, so the
province's totals run on without a jump and no unit is given an invented part of another's earlier flow.

Rhythm (**assumed**, no sourced profile exists): offices work 07:30–17:00 and carry 90% of a working day's
flow; Monday carries 110% of a mid-week day and Friday 90%; weekends 10%. Each unit's share around the province
figure is drawn once per seed (±4%) and normalised so the province total stays exact.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from index_engine.catalog import Catalog
from index_engine.observation import Observation
from index_engine.periods import LOCAL_TZ, period_bounds

DATA: Final = Path(__file__).parent / "data"
PROFILE: Final = DATA / "simulator_profile.csv"
UNITS: Final = DATA / "simulator_units.csv"
SHOWCASE: Final = DATA / "simulator_showcase.csv"
GROWTH_PER_YEAR: Final = 1.07 ** (1 / 4)  # 2019 → 2023 growth of 7%, spread evenly over the years
WEEKDAY_WEIGHTS: Final = (1.1, 1.0, 1.0, 1.0, 0.9, 0.1, 0.1)  # assumed
OFFICE_HOURS: Final = (7.5, 17.0)  # assumed
OFFICE_SHARE: Final = 0.9  # assumed
JITTER: Final = 0.04  # assumed
DEPARTMENT_SHARE: Final = 0.25  # assumed: share of dossiers handled by provincial departments
H1_END: Final = dt.datetime(2023, 6, 30, 23, 59, 59, tzinfo=LOCAL_TZ)
SOURCE: Final = "simulator"


@dataclass(frozen=True)
class Level:
    """How big a metric is: ``level`` per ``per`` (working_day, province, person or unit) over ``scope``."""

    scope: str
    level: float
    per: str


@dataclass(frozen=True)
class Share:
    """A numerator as a share of its denominator, at the start of the year and on 30 June."""

    denominator: str
    start: float
    h1: float


def read_profile(path: Path = PROFILE) -> tuple[dict[str, Level], dict[str, tuple[float, float]]]:
    """Levels of base metrics and (start, H1) shares of numerators, keyed by metric code."""
    levels: dict[str, Level] = {}
    shares: dict[str, tuple[float, float]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["ratio_h1"]:
                shares[row["metric"]] = (float(row["ratio_start"] or row["ratio_h1"]), float(row["ratio_h1"]))
            if row["level"]:
                levels[row["metric"]] = Level(row["scope"], float(row["level"]), row["per"])
    return levels, shares


@dataclass(frozen=True, slots=True)
class Alternating:
    """A share that swaps between ``first`` and ``then`` every ``every`` seconds of the clock (live showcase)."""

    first: float
    then: float
    every: float

    def at(self, ts: dt.datetime) -> float:
        """The share at ``ts``: ``first`` in even windows since the epoch, ``then`` in odd ones."""
        return self.then if int(ts.timestamp() // self.every) % 2 else self.first


Showcased = float | Alternating | None
"""A showcase share: fixed, alternating (an alert that fires and clears), or ``None`` for never reported."""


def _showcased(row: dict[str, str]) -> Showcased:
    if not row["share"]:
        return None
    if row.get("then"):
        return Alternating(float(row["share"]), float(row["then"]), float(row["every"]))
    return float(row["share"])


def read_showcase(path: Path = SHOWCASE) -> dict[tuple[str, str], Showcased]:
    """Simulated departures from the profile, by (unit, metric)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {(r["unit"], r["metric"]): _showcased(r) for r in csv.DictReader(handle)}


def read_populations(path: Path = UNITS) -> dict[str, float]:
    """2023 populations of the localities (census or portal figures grown to 2023)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            r["unit_code"]: float(r["population"]) * GROWTH_PER_YEAR ** (2023 - int(r["population_year"]))
            for r in csv.DictReader(handle)
        }


@functools.cache
def _cumulative_weights(year: int) -> tuple[float, ...]:
    """Working-day equivalents before each day of ``year`` (index = day of year − 1), plus the year's total."""
    start = period_bounds(year)[0].date()
    days = (period_bounds(year + 1)[0].date() - start).days
    totals = [0.0]
    for d in range(days):
        totals.append(totals[-1] + WEEKDAY_WEIGHTS[(start + dt.timedelta(days=d)).weekday()])
    return tuple(totals)


def _day_fraction(local: dt.datetime) -> float:
    """Share of a day's flow done by ``local`` time: office hours carry most of it."""
    hours = local.hour + local.minute / 60 + local.second / 3600
    opening, closing = OFFICE_HOURS
    office = min(1.0, max(0.0, (hours - opening) / (closing - opening)))
    return OFFICE_SHARE * office + (1 - OFFICE_SHARE) * hours / 24


def working_days(ts: dt.datetime) -> float:
    """Working-day equivalents elapsed from the start of ``ts``'s local year up to ``ts``."""
    local = ts.astimezone(LOCAL_TZ)
    index = local.timetuple().tm_yday - 1
    weights = _cumulative_weights(local.year)
    return weights[index] + WEEKDAY_WEIGHTS[local.weekday()] * _day_fraction(local)


def year_fraction(ts: dt.datetime) -> float:
    """Fraction of ``ts``'s local year elapsed."""
    start, end = period_bounds(ts.astimezone(LOCAL_TZ).year)
    return (ts - start) / (end - start)


@dataclass(frozen=True)
class Epoch:
    """A stretch of days with one map: from ``start`` (local midnight) to the next epoch, and each unit's weights."""

    start: dt.datetime
    weights: dict[str, dict[str, float]]
    population: dict[str, float]


SERVICE_GROUPS: Final = ("department_services",)
"""Peer groups of the departments that handle dossiers themselves (public services)."""
AGENCY_GROUPS: Final = ("department_services", "department_other")
"""Peer groups of provincial agencies; every other unit under the province is territorial (locality, ward…)."""


class Simulation:
    """Every metric of a catalog for the units it applies to, as a function of time, on the map of each day."""

    def __init__(
        self,
        catalog: Catalog,
        seed: int,
        profile: Path = PROFILE,
        units: Path = UNITS,
        showcase: Path | None = None,
    ) -> None:
        self.catalog = catalog
        # A showcase sets a few units apart (see data/simulator_showcase.csv), so that every status appears.
        self.showcase = {k: v for k, v in read_showcase(showcase).items() if k[0] in catalog.units} if showcase else {}
        levels, share_pairs = read_profile(profile)
        self._populations = read_populations(units)
        children = [catalog.units[c] for c in catalog.children("QN")]
        days = {u.valid_from for u in children} | {u.valid_to + dt.timedelta(days=1) for u in children if u.valid_to}
        self.epochs = tuple(self._epoch(day) for day in sorted(days))
        self.shares: dict[str, Share] = {}
        for indicator in catalog.indicators.values():
            if indicator.denominator is not None:
                start, h1 = share_pairs.get(indicator.numerator, (0.8, 0.8))  # assumed default
                self.shares[indicator.numerator] = Share(indicator.denominator, start, h1)
        self.levels: dict[str, Level] = {}
        for code, metric in catalog.metrics.items():
            if code in self.shares:
                continue
            flow = metric.kind != "gauge"
            default = Level("locality", 100.0, "working_day") if flow else Level("locality", 1000.0, "province")
            self.levels[code] = levels.get(code, default)
        self.seed = seed
        rng = random.Random(seed)  # noqa: S311 - simulation, not cryptography
        every = [
            c
            for c in catalog.children("QN")
            if any(c in e.weights["services"] or c in e.weights["locality"] for e in self.epochs)
        ]
        self._jitter = {(code, unit): rng.uniform(-1, 1) for code in sorted(self.shares) for unit in every}
        self._counts: dict[tuple[str, dt.datetime], dict[str, int]] = {}

    def _population(self, code: str) -> float | None:
        """A territorial unit's population: sourced for the 2023 localities, derived for their successors.

        A successor gets an equal part of each predecessor's (**assumed**: no per-unit figures for the 2025 units
        were found).
        """
        if code in self._populations:
            return self._populations[code]
        parts = [
            pop / len(self.catalog.successors(s.predecessor))
            for s in self.catalog.predecessors(code)
            if (pop := self._population(s.predecessor)) is not None
        ]
        return sum(parts) if parts else None

    def _epoch(self, day: dt.date) -> Epoch:
        """The weights of the map in force on ``day``."""
        catalog = self.catalog
        valid = catalog.children_on("QN", day)
        territorial = [c for c in valid if catalog.units[c].peer_group not in AGENCY_GROUPS]
        departments = [c for c in valid if catalog.units[c].peer_group in SERVICE_GROUPS]
        known = [p for c in territorial if (p := self._population(c)) is not None]
        fallback = sorted(known)[len(known) // 2] if known else 100_000.0  # assumed: a median unit
        population = {c: p if (p := self._population(c)) is not None else fallback for c in territorial}
        total = sum(population.values()) or 1.0
        pop_share = {c: p / total for c, p in population.items()}
        services = (
            {
                **{c: w * (1 - DEPARTMENT_SHARE) for c, w in pop_share.items()},
                **{c: DEPARTMENT_SHARE / len(departments) for c in departments},
            }
            if departments
            else pop_share
        )
        return Epoch(
            dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ),
            {"locality": pop_share, "services": services},
            population,
        )

    def epoch_on(self, ts: dt.datetime) -> Epoch:
        """The epoch (map) a time falls in."""
        found = self.epochs[0]
        for epoch in self.epochs:
            if epoch.start <= ts:
                found = epoch
        return found

    def _flow(self, scope: str, unit: str, ts: dt.datetime) -> float:
        """Working-day equivalents this year up to ``ts``, weighted by the unit's own share in each epoch.

        A unit counts only while it exists: a successor's year to date starts on its first day, and a unit that
        ended keeps the total it reached.
        """
        if unit == "QN":
            return working_days(ts)
        year_start = period_bounds(ts.astimezone(LOCAL_TZ).year)[0]
        total = 0.0
        for n, epoch in enumerate(self.epochs):
            start = max(epoch.start, year_start)
            end = min(self.epochs[n + 1].start, ts) if n + 1 < len(self.epochs) else ts
            if end > start:
                total += epoch.weights[scope].get(unit, 0.0) * (working_days(end) - working_days(start))
        return total

    def units_of(self, metric: str, ts: dt.datetime = H1_END) -> tuple[str, ...]:
        """The units a metric is simulated for at ``ts`` (the map of that day)."""
        scope = self._base(metric).scope
        weights = self.epoch_on(ts).weights
        return tuple(weights[scope]) if scope in weights else ("QN",)

    def _base(self, metric: str) -> Level:
        seen = set()
        while metric in self.shares and metric not in seen:
            seen.add(metric)
            metric = self.shares[metric].denominator
        return self.levels.get(metric, Level("province", 1.0, "unit"))

    def _level(self, metric: str, unit: str, ts: dt.datetime) -> float:
        base = self.levels[metric]
        if base.per == "working_day":
            return base.level * self._flow(base.scope, unit, ts)
        epoch = self.epoch_on(ts)
        weight = 1.0 if unit == "QN" else epoch.weights[base.scope].get(unit, 0.0)
        if base.per == "person":
            return base.level * epoch.population.get(unit, 0.0)
        if base.per == "province":
            return base.level * weight
        return base.level

    def _ratio(self, metric: str, unit: str, ts: dt.datetime) -> float:
        fixed = self.showcase.get((unit, metric))
        if isinstance(fixed, Alternating):
            return fixed.at(ts)
        if fixed is not None:
            return fixed
        share = self.shares[metric]
        if self.catalog.metrics[metric].kind == "gauge":
            progress = min(1.0, year_fraction(ts) / year_fraction(H1_END.replace(year=ts.year)))
            ratio = share.start + (share.h1 - share.start) * progress
        else:
            ratio = share.h1
        if unit == "QN" or ratio >= 0.995:
            return ratio
        # Spread units around the province share; normalised so the summed province share is exact.
        # A share near 100% has less room to spread: units stay at or below 100%.
        amplitude = min(JITTER, 0.9 * (1 - ratio) / ratio) if ratio < 1 else 0.0
        units = self.units_of(metric, ts)
        dens = {u: self.value(share.denominator, u, ts) for u in units}
        total = sum(dens.values()) or 1.0
        norm = sum(dens[u] / total * (1 + amplitude * self._jitter[(metric, u)]) for u in units)
        return ratio * (1 + amplitude * self._jitter[(metric, unit)]) / norm

    def value(self, metric: str, unit: str, ts: dt.datetime) -> float:
        """The exact (unrounded) simulated level of ``metric`` for ``unit`` at ``ts``."""
        if metric in self.shares:
            share = self.shares[metric]
            return self.value(share.denominator, unit, ts) * self._ratio(metric, unit, ts)
        return self._level(metric, unit, ts)

    def count(self, metric: str, unit: str, ts: dt.datetime) -> int:
        """The simulated count (whole number; for flows, the year-to-date total) at ``ts``.

        Flows are truncated, so year-to-date totals never go down. A gauge numerator is apportioned across units
        by largest remainder, so the province's share is exact even for small counts.
        """
        if metric in self.shares and self.catalog.metrics[metric].kind == "gauge":
            return self._apportioned(metric, ts).get(unit, 0)
        if self.catalog.metrics[metric].kind == "gauge":
            return round(self.value(metric, unit, ts))
        return int(self.value(metric, unit, ts))

    def _apportioned(self, metric: str, ts: dt.datetime) -> dict[str, int]:
        key = (metric, ts)
        if key not in self._counts:
            if len(self._counts) > 4096:
                self._counts.clear()
            units = self.units_of(metric, ts)
            share = self.shares[metric]
            exact = {u: self.count(share.denominator, u, ts) * self._ratio(metric, u, ts) for u in units}
            counts = {u: math.floor(v) for u, v in exact.items()}
            missing = round(sum(exact.values())) - sum(counts.values())
            for u in sorted(units, key=lambda u: exact[u] - counts[u], reverse=True)[: max(0, missing)]:
                counts[u] += 1
            self._counts[key] = counts
        return self._counts[key]

    def observations(self, ts: dt.datetime, previous: dt.datetime | None = None) -> list[Observation]:
        """One observation per metric and unit at ``ts``; delta metrics count what is new since ``previous``."""
        ts = ts.replace(microsecond=0)
        stamp = ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        day = ts.astimezone(LOCAL_TZ).date()
        result = []
        for code, metric in self.catalog.metrics.items():
            for unit in self.units_of(code, ts):
                if (unit, code) in self.showcase and self.showcase[(unit, code)] is None:
                    continue  # a showcase unit that never reports this metric: its indicator goes stale
                value = self.count(code, unit, ts)
                if metric.kind == "delta":
                    same_year = previous is not None and previous.astimezone(LOCAL_TZ).year == day.year
                    value -= self.count(code, unit, previous) if same_year and previous is not None else 0
                    if value <= 0:
                        continue
                result.append(
                    Observation(
                        id=f"{SOURCE}:{unit}:{code}:{stamp}",
                        source=SOURCE,
                        metric=code,
                        unit=unit,
                        ts=ts,
                        kind=metric.kind,
                        value=float(value),
                    )
                )
        return result

    def province_ratio(self, numerator: str, ts: dt.datetime) -> float:
        """The province's share ``numerator / denominator`` from summed unit counts (for checks and tests)."""
        share = self.shares[numerator]
        units = self.units_of(numerator, ts)
        num = sum(self.count(numerator, u, ts) for u in units)
        den = sum(self.count(share.denominator, u, ts) for u in units)
        return num / den if den else math.nan
