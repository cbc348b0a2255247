"""Loads the plan years of a catalog: ``plans/<year>/`` with the plan, its indicators, targets, weights, completions.

A plan's targets must be for its own year, for indicators the plan lists and for units that exist during the
year; a lead unit that ends during the year needs a successor that takes over its roles.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TypeVar, cast, get_args

from index_engine.catalog.model import (
    Completion,
    Indicator,
    Plan,
    PlanIndicator,
    Succession,
    Target,
    Unit,
    WeightLevel,
)
from index_engine.catalog.reader import Reader, load_table
from index_engine.errors import CatalogError

_Dated = TypeVar("_Dated", Target, Completion)
WEIGHT_SUM_TOLERANCE = 1e-9
PLANS = "plans"


class PlanFiles:
    """The records of one plan year, with their readers (for errors found once everything is loaded)."""

    def __init__(self, plan: Plan, targets: list[Target], completions: list[Completion]) -> None:
        self.plan, self.targets, self.completions = plan, targets, completions


def _year_span(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _exists_during(unit: Unit, year: int) -> bool:
    first, last = _year_span(year)
    return unit.valid_from <= last and (unit.valid_to is None or unit.valid_to >= first)


def _plan_row(r: Reader, year: int) -> tuple[int, str, str, str, dt.date | None, bool, str]:
    found = r.integer("year")
    if found != year:
        raise r.fail("year", f"{found} is not the year of its folder ({year})")
    return (
        found,
        r.text("name_vi"),
        r.text("name_en"),
        r.text("reference", required=False),
        r.optional_date("issued_on"),
        r.boolean("assumed"),
        r.text("note", required=False),
    )


def _lead_gap(lead: str, year: int, units: Mapping[str, Unit], heirs: Mapping[str, str]) -> str | None:
    """Why ``lead`` cannot lead for the whole of ``year`` (followed through its heirs), or ``None``."""
    first, last = _year_span(year)
    code = lead
    if units[code].valid_from > first:
        return f"unit {lead!r} only exists from {units[code].valid_from}"
    while (end := units[code].valid_to) is not None and end < last:
        if code not in heirs:
            return f"unit {code!r} ends on {end} and no successor takes over its roles"
        code = heirs[code]
    return None


def _plan_indicator(
    r: Reader, year: int, indicators: Mapping[str, Indicator], units: Mapping[str, Unit], heirs: Mapping[str, str]
) -> PlanIndicator:
    code = r.reference("code", r.text("code"), indicators, "indicator")
    lead = r.reference("lead_unit", r.text("lead_unit"), units, "unit")
    gap = _lead_gap(lead, year, units, heirs)
    if gap is not None:
        raise r.fail("lead_unit", f"cannot lead in {year}: {gap}")
    co_leads = r.codes("co_lead_units")
    for unit in co_leads:
        r.reference("co_lead_units", unit, units, "unit")
    return PlanIndicator(code, lead, co_leads, r.text("note", required=False))


def _of_year(
    r: Reader, item: Target | Completion, year: int, units: Mapping[str, Unit], listed: Mapping[str, PlanIndicator]
) -> None:
    if item.period != year:
        raise r.fail("period", f"{item.period} is not the plan's year ({year})")
    if item.indicator not in listed:
        raise r.fail("indicator", f"indicator {item.indicator!r} is not in the {year} plan's indicators.csv")
    if not _exists_during(units[item.unit], year):
        unit = units[item.unit]
        raise r.fail(
            "unit", f"unit {item.unit!r} does not exist in {year} (valid {unit.valid_from} to {unit.valid_to})"
        )


def _weight(
    r: Reader, pillars: Mapping[str, object], indicators: Mapping[str, Indicator]
) -> tuple[WeightLevel, str, float]:
    level = cast(WeightLevel, r.choice("level", get_args(WeightLevel)))
    known: Mapping[str, object] = pillars if level == "pillar" else indicators
    code = r.reference("code", r.text("code"), known, level)
    return level, code, r.number("weight", positive=True)


def _pillar_weights(file: str, pillars: Mapping[str, object], weights: Mapping[str, float]) -> dict[str, float]:
    for code in pillars:
        if code not in weights:
            raise CatalogError(file, f"pillar {code!r} has no weight", field="code")
    total = math.fsum(weights.values())
    if abs(total - 1) > WEIGHT_SUM_TOLERANCE:
        raise CatalogError(file, f"pillar weights sum to {total:g}, not 1", field="weight")
    return dict(weights)


def load_plan(
    folder: Path,
    year: int,
    *,
    pillars: Mapping[str, object],
    indicators: Mapping[str, Indicator],
    units: Mapping[str, Unit],
    successions: tuple[Succession, ...],
    build_target: Callable[[Reader], Target],
    build_completion: Callable[[Reader], Completion],
) -> PlanFiles:
    """Load and check one plan year from ``folder`` (``plans/<year>``)."""
    where = f"{PLANS}/{year}"
    heirs = {s.predecessor: s.unit for s in successions if s.takes_over}
    head = load_table(folder / "plan.csv", partial(_plan_row, year=year), lambda p: p[0], "year", f"{where}/plan.csv")
    if len(head) != 1:
        raise CatalogError(f"{where}/plan.csv", f"has {len(head)} rows; a plan has exactly one")
    _, (_, name_vi, name_en, reference, issued_on, assumed, note) = head[0]
    build_indicator = partial(_plan_indicator, year=year, indicators=indicators, units=units, heirs=heirs)
    listed = {
        i.code: i
        for _, i in load_table(
            folder / "indicators.csv", build_indicator, lambda i: i.code, "code", f"{where}/indicators.csv"
        )
    }
    weights = load_table(
        folder / "weights.csv",
        partial(_weight, pillars=pillars, indicators=indicators),
        lambda w: w[:2],
        name=f"{where}/weights.csv",
    )
    pillar_weights = _pillar_weights(
        f"{where}/weights.csv", pillars, {code: w for _, (level, code, w) in weights if level == "pillar"}
    )

    targets = _dated(folder / "targets.csv", f"{where}/targets.csv", build_target, year, units, listed)
    completions = _dated(folder / "completions.csv", f"{where}/completions.csv", build_completion, year, units, listed)
    plan = Plan(
        year=year,
        name_vi=name_vi,
        name_en=name_en,
        reference=reference,
        issued_on=issued_on,
        assumed=assumed,
        note=note,
        indicators=listed,
        pillar_weights=pillar_weights,
        indicator_weights={code: w for _, (level, code, w) in weights if level == "indicator"},
    )
    return PlanFiles(plan, targets, completions)


def _dated(
    path: Path,
    name: str,
    build: Callable[[Reader], _Dated],
    year: int,
    units: Mapping[str, Unit],
    listed: Mapping[str, PlanIndicator],
) -> list[_Dated]:
    """Targets or completions of one plan year, each checked against the year, its indicators and the map."""
    table = load_table(path, build, lambda item: (item.indicator, item.unit, item.period), "indicator", name)
    for reader, item in table:
        _of_year(reader, item, year, units, listed)
    return [item for _, item in table]


def plan_years(folder: Path) -> list[int]:
    """The plan years under ``folder/plans``, each a folder named by its year, oldest first."""
    root = folder / PLANS
    if not root.is_dir():
        raise CatalogError(PLANS, "folder is missing (one folder per plan year, such as plans/2023)")
    years = []
    for child in sorted(root.iterdir()):
        if not child.is_dir():
            continue
        if not (child.name.isdigit() and len(child.name) == 4):
            raise CatalogError(f"{PLANS}/{child.name}", "a plan folder is named by its year (YYYY)")
        years.append(int(child.name))
    if not years:
        raise CatalogError(PLANS, "has no plan year")
    return years
