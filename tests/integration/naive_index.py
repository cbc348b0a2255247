"""A second, naive implementation of the index rules, written from ``index_engine/README.md`` for the tests.

It reads the catalog's CSV files with the :mod:`csv` module and imports nothing of ``index_engine``, so that the
integration tests compare what the worker stores with a computation of their own: a mistake in the engine cannot
hide behind the same mistake in the expectation. It is plain on purpose (exact fractions for sums and weights, one
function per rule of the README) and makes no attempt at speed.

What it implements, each rule as the README states it:

- metric values of a period: the newest ``ts`` wins for gauges and cumulative totals; deltas are counted once per
  id (the first delivered; a repeat is ignored whatever it carries) into the local year of their event time;
- the value x = numerator / denominator × scale (numerator × scale for one-metric indicators), and when an
  indicator does not apply (fresh data, no value) or is stale;
- the rollup: own values win metric by metric; a parent sums the numerators and denominators of its children
  where the indicator applies to them: for a level (``latest``) the children valid on the day, for a year-to-date
  flow every child valid on some day of the year up to that day; an indicator was last complete at the oldest of
  its metrics' arrivals, a metric taken from children dating from the latest of those children;
- score, attainment, expected value E, the projection x̂ = B + (x−B)/f (x̂ = x at f = 0), progress ratio R, shortfall,
  the status (first rule that holds), pillar scores with the 2/3 coverage rule and the unit index.

Left out: the least-squares projection (three or more points in the period), alert hysteresis and ranking. Tests
using this module choose inputs where the fit cannot apply and do not compare alerts or ranks.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Protocol

CATALOG_DIR = Path(__file__).resolve().parents[2] / "index_engine" / "catalog" / "qndti-1.0"
"""The catalog's CSV files (data only: no code of ``index_engine`` is read)."""

LOCAL = dt.timezone(dt.timedelta(hours=7), "ICT")
"""Vietnam's time (Asia/Ho_Chi_Minh): UTC+7 all year, without daylight saving time."""

STALE_AFTER = Fraction(3, 2)
MIN_COVERAGE = Fraction(2, 3)
ON_TRACK, AT_RISK = 0.95, 0.60
POINTS = 1000


@dataclass(frozen=True)
class Unit:
    """A row of ``units.csv``."""

    code: str
    parent: str | None
    valid_from: dt.date
    valid_to: dt.date | None

    def exists_on(self, day: dt.date) -> bool:
        """Whether the unit is valid on ``day`` (``valid_to`` is its last day)."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Indicator:
    """A row of ``indicators.csv``."""

    code: str
    pillar: str
    numerator: str
    denominator: str | None
    scale: float
    d: int
    """+1 when higher is better, −1 when lower is better."""
    cadence_hours: float
    flow: bool = True
    """Year to date (``ytd``); False for a level (``latest``)."""

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric codes the indicator reads."""
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)


@dataclass(frozen=True)
class Target:
    """Baseline and target of an indicator for a unit and period."""

    baseline: float
    target: float


@dataclass(frozen=True)
class Catalog:
    """The parts of the catalog the rules use."""

    units: dict[str, Unit]
    metric_kinds: dict[str, str]
    indicators: dict[str, Indicator]
    targets: dict[tuple[str, str, int], Target]
    pillar_weights: dict[str, Fraction]
    indicator_weights: dict[str, Fraction]
    completions: dict[tuple[str, str, int], dt.date]

    def children(self, unit: str, day: dt.date, flow: bool = False) -> list[str]:
        """The units whose parent is ``unit`` and that exist on ``day`` (for a flow: on a day of its year up to it)."""
        if not flow:
            return [u.code for u in self.units.values() if u.parent == unit and u.exists_on(day)]
        first = dt.date(day.year, 1, 1)
        return [
            u.code
            for u in self.units.values()
            if u.parent == unit and u.valid_from <= day and (u.valid_to is None or u.valid_to >= first)
        ]


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _plan_rows(folder: Path, name: str, year: int | None = None) -> list[dict[str, str]]:
    """Rows of ``plans/<year>/<name>`` for one plan year, or of every plan year when ``year`` is None."""
    years = [folder / "plans" / str(year)] if year is not None else sorted((folder / "plans").iterdir())
    return [r for plan in years if (plan / name).exists() for r in _rows(plan, name)]


def read_catalog(folder: Path = CATALOG_DIR, year: int = 2023) -> Catalog:
    """Read the catalog's CSV files as they are (they were validated when the worker loaded them).

    Targets and completions of every plan year; weights of the plan of ``year`` (the scenario's).
    """
    units = {}
    for r in _rows(folder, "units.csv"):
        valid_from = _date(r["valid_from"])
        assert valid_from is not None
        units[r["code"]] = Unit(r["code"], r["parent"] or None, valid_from, _date(r["valid_to"]))
    indicators = {
        r["code"]: Indicator(
            code=r["code"],
            pillar=r["pillar"],
            numerator=r["numerator"],
            denominator=r["denominator"] or None,
            scale=float(r["scale"]),
            d=1 if r["direction"] == "up" else -1,
            cadence_hours=float(r["cadence_hours"]),
            flow=r["aggregation"] == "ytd",
        )
        for r in _rows(folder, "indicators.csv")
    }
    weights = _plan_rows(folder, "weights.csv", year)
    return Catalog(
        units=units,
        metric_kinds={r["code"]: r["kind"] for r in _rows(folder, "metrics.csv")},
        indicators=indicators,
        targets={
            (r["indicator"], r["unit"], int(r["period"])): Target(float(r["baseline"]), float(r["target"]))
            for r in _plan_rows(folder, "targets.csv")
        },
        pillar_weights={r["code"]: Fraction(r["weight"]) for r in weights if r["level"] == "pillar"},
        indicator_weights={r["code"]: Fraction(r["weight"]) for r in weights if r["level"] == "indicator"},
        completions={
            (r["indicator"], r["unit"], int(r["period"])): dt.date.fromisoformat(r["confirmed_on"])
            for r in _plan_rows(folder, "completions.csv")
        },
    )


# -- metric values ---------------------------------------------------------------------------------------------


class Reading(Protocol):
    """One observation as delivered (Observation v1 fields)."""

    @property
    def id(self) -> str: ...
    @property
    def metric(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def ts(self) -> dt.datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> float: ...


@dataclass(frozen=True)
class Data:
    """A period's metric values and when each last arrived, by unit and metric."""

    values: dict[str, dict[str, float]]
    seen: dict[str, dict[str, dt.datetime]]


def local_year(ts: dt.datetime) -> int:
    """The plan period of an event time: its calendar year in local time."""
    return ts.astimezone(LOCAL).year


def metric_values(readings: Iterable[Reading], period: int) -> Data:
    """The period's values from readings in delivery order: newest wins, deltas summed once per id."""
    newest: dict[tuple[str, str], tuple[dt.datetime, float]] = {}
    sums: dict[tuple[str, str], Fraction] = {}
    last: dict[tuple[str, str], dt.datetime] = {}
    counted: set[str] = set()
    for r in readings:
        if r.kind == "delta":
            if r.id in counted:
                continue
            counted.add(r.id)
        if local_year(r.ts) != period:
            continue
        key = (r.unit, r.metric)
        if r.kind == "delta":
            sums[key] = sums.get(key, Fraction(0)) + Fraction(r.value)
            last[key] = max(last.get(key, r.ts), r.ts)
        elif key not in newest or r.ts > newest[key][0]:
            newest[key] = (r.ts, r.value)
    values: dict[str, dict[str, float]] = {}
    seen: dict[str, dict[str, dt.datetime]] = {}
    for (unit, metric), (ts, value) in newest.items():
        values.setdefault(unit, {})[metric], seen.setdefault(unit, {})[metric] = value, ts
    for (unit, metric), total in sums.items():
        values.setdefault(unit, {})[metric], seen.setdefault(unit, {})[metric] = float(total), last[(unit, metric)]
    return Data(values, seen)


# -- rollup and value ------------------------------------------------------------------------------------------

Inputs = tuple[float | None, float | None, dt.datetime | None]
"""Numerator, denominator and the time the indicator was last complete."""


def applies(indicator: Indicator, numerator: float | None, denominator: float | None) -> bool:
    """Whether inputs give the indicator a value: a numerator, and a non-zero denominator where it has one."""
    return numerator is not None and (indicator.denominator is None or bool(denominator))


def inputs(catalog: Catalog, data: Data, unit: str, indicator: Indicator, day: dt.date) -> Inputs:
    """The unit's numerator, denominator and last-complete time: own values first, else its children's sums."""
    below = [inputs(catalog, data, child, indicator, day) for child in catalog.children(unit, day, indicator.flow)]
    summed = [c for c in below if applies(indicator, c[0], c[1])]
    latest = max((c[2] for c in summed if c[2] is not None), default=None)
    own, own_seen = data.values.get(unit, {}), data.seen.get(unit, {})

    def metric(code: str, column: int) -> tuple[float | None, dt.datetime | None]:
        if code in own:
            return own[code], own_seen[code]
        parts = [c[column] for c in summed]
        if not parts:
            return None, None
        return float(sum(Fraction(p) for p in parts if p is not None)), latest

    numerator, seen = metric(indicator.numerator, 0)
    if indicator.denominator is None:
        return numerator, None, seen
    denominator, seen_denominator = metric(indicator.denominator, 1)
    if seen is None or seen_denominator is None:
        return numerator, denominator, None
    return numerator, denominator, min(seen, seen_denominator)


def has_inputs(catalog: Catalog, data: Data, unit: str, indicator: Indicator, day: dt.date) -> bool:
    """Whether the unit or a descendant has any metric of the indicator."""
    if any(m in data.values.get(unit, {}) for m in indicator.metrics):
        return True
    return any(
        has_inputs(catalog, data, child, indicator, day) for child in catalog.children(unit, day, indicator.flow)
    )


def indicator_value(indicator: Indicator, numerator: float | None, denominator: float | None) -> float | None:
    """The value x = numerator / denominator × scale; ``None`` without a numerator or with no or a zero denominator."""
    if numerator is None:
        return None
    if indicator.denominator is None:
        return numerator * indicator.scale
    if not denominator:
        return None
    return numerator / denominator * indicator.scale


# -- trajectory, score, status ---------------------------------------------------------------------------------


def elapsed(period: int, now: dt.datetime) -> float:
    """f: the share of the plan year elapsed at ``now``, in local time, within [0, 1]."""
    start = dt.datetime(period, 1, 1, tzinfo=LOCAL)
    end = dt.datetime(period + 1, 1, 1, tzinfo=LOCAL)
    return min(1.0, max(0.0, (now - start) / (end - start)))


def clip(x: float) -> float:
    """``x`` within [0, 1]."""
    return min(1.0, max(0.0, x))


def attainment(x: float, target: float, d: int) -> float:
    """x/T, or T/x when lower is better."""
    return x / target if d == 1 else target / x


def score(x: float, t: Target, d: int) -> float:
    """The score s = clip(d(x−B) / d(T−B)); where d(T−B) ≤ 0: 1 while d(x−T) ≥ 0, else clip(x/T)."""
    span = d * (t.target - t.baseline)
    if span > 0:
        return clip(d * (x - t.baseline) / span)
    return 1.0 if d * (x - t.target) >= 0 else clip(attainment(x, t.target, d))


def progress(projected: float, t: Target, d: int) -> float:
    """R = d(x̂−B) / d(T−B); where the baseline meets the target: 1 if x̂ meets it, else x̂/T."""
    span = d * (t.target - t.baseline)
    if span > 0:
        return d * (projected - t.baseline) / span
    return 1.0 if d * (projected - t.target) >= 0 else attainment(projected, t.target, d)


@dataclass(frozen=True)
class Result:
    """One indicator for one unit, as the README defines each field."""

    indicator: str
    pillar: str
    unit: str
    numerator: float | None
    denominator: float | None
    value: float | None
    target: Target | None
    score: float | None
    attainment: float | None
    expected: float | None
    projected: float | None
    progress: float | None
    shortfall: float | None
    last_complete: dt.datetime | None
    fresh: bool
    status: str


def status(result_value: float | None, t: Target | None, r: float | None, fresh: bool, done: bool, d: int) -> str:
    """The first rule that holds: completed, no_target, stale, achieved, then by R."""
    if done:
        return "completed"
    if t is None:
        return "no_target"
    if not fresh or result_value is None:
        return "stale"
    if d * (result_value - t.target) >= 0:
        return "achieved"
    assert r is not None
    if r >= ON_TRACK:
        return "on_track"
    if r >= AT_RISK:
        return "at_risk"
    return "off_track" if r >= 0 else "deteriorating"


def evaluate(catalog: Catalog, indicator: Indicator, unit: str, given: Inputs, now: dt.datetime) -> Result | None:
    """The indicator's result for the unit at ``now``; ``None`` when fresh data leaves it without a value."""
    numerator, denominator, complete = given
    x = indicator_value(indicator, numerator, denominator)
    stale_from = dt.timedelta(hours=float(STALE_AFTER) * indicator.cadence_hours)
    fresh = complete is not None and now - complete < stale_from
    if x is None and fresh:
        return None
    local = now.astimezone(LOCAL)
    period, f, d = local.year, elapsed(local.year, now), indicator.d
    t = catalog.targets.get((indicator.code, unit, period))
    s = a = e = projected = r = shortfall = None
    if t is not None and x is not None:
        s, a = score(x, t, d), attainment(x, t.target, d)
        e = t.baseline + f * (t.target - t.baseline)
        projected = x if f == 0 else t.baseline + (x - t.baseline) / f
        r = progress(projected, t, d)
        shortfall = d * (e - x)
    confirmed = catalog.completions.get((indicator.code, unit, period))
    done = confirmed is not None and confirmed <= local.date()
    return Result(
        indicator=indicator.code,
        pillar=indicator.pillar,
        unit=unit,
        numerator=numerator,
        denominator=denominator,
        value=x,
        target=t,
        score=s,
        attainment=a,
        expected=e,
        projected=projected,
        progress=r,
        shortfall=shortfall,
        last_complete=complete,
        fresh=fresh,
        status=status(x, t, r, fresh, done, d),
    )


# -- pillars and the unit index --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PillarScore:
    """A pillar that applies to the unit: its score (``None`` when withheld) and coverage."""

    score: float | None
    coverage: Fraction


def pillar_scores(catalog: Catalog, results: Iterable[Result]) -> dict[str, PillarScore]:
    """P = Σ w·s / Σ w over fresh indicators with a target; withheld below 2/3 coverage; only pillars that apply."""
    applicable: dict[str, Fraction] = {}
    covered: dict[str, Fraction] = {}
    weighted: dict[str, Fraction] = {}
    for r in results:
        if r.target is None:
            continue
        w = catalog.indicator_weights.get(r.indicator, Fraction(1))
        applicable[r.pillar] = applicable.get(r.pillar, Fraction(0)) + w
        if r.fresh and r.score is not None:
            covered[r.pillar] = covered.get(r.pillar, Fraction(0)) + w
            weighted[r.pillar] = weighted.get(r.pillar, Fraction(0)) + w * Fraction(r.score)
    scores = {}
    for pillar, total in applicable.items():
        coverage = covered.get(pillar, Fraction(0)) / total
        value = float(weighted[pillar] / covered[pillar]) if coverage >= MIN_COVERAGE else None
        scores[pillar] = PillarScore(value, coverage)
    return scores


def unit_index(catalog: Catalog, pillars: Mapping[str, PillarScore]) -> float | None:
    """I = Σ W·P / Σ W over the pillars with a score; ``None`` when none has one."""
    scored = [(catalog.pillar_weights[p], Fraction(s.score)) for p, s in pillars.items() if s.score is not None]
    if not scored:
        return None
    return float(sum(w * s for w, s in scored) / sum(w for w, _ in scored))


@dataclass(frozen=True)
class Scorecard:
    """Everything evaluated for one unit."""

    unit: str
    results: dict[str, Result]
    """By indicator code; indicators that do not apply are left out."""
    pillars: dict[str, PillarScore]
    index: float | None


def scorecard(catalog: Catalog, data: Data, unit: str, now: dt.datetime) -> Scorecard:
    """Evaluate every indicator of the catalog for ``unit`` at ``now``, then its pillars and index."""
    day = now.astimezone(LOCAL).date()
    results = {}
    for indicator in catalog.indicators.values():
        result = evaluate(catalog, indicator, unit, inputs(catalog, data, unit, indicator, day), now)
        if result is not None:
            results[indicator.code] = result
    pillars = pillar_scores(catalog, results.values())
    return Scorecard(unit, results, pillars, unit_index(catalog, pillars))
