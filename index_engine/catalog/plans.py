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
    Task,
    TaskRules,
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


_PlanHead = tuple[int, str, str, str, dt.date | None, bool, str, TaskRules]


def _plan_row(r: Reader, year: int) -> _PlanHead:
    found = r.integer("year")
    if found != year:
        raise r.fail("year", f"{found} is not the year of its folder ({year})")
    cadence, reminder = r.integer("task_cadence_days"), r.integer("task_reminder_days")
    for name, days in (("task_cadence_days", cadence), ("task_reminder_days", reminder)):
        if days < 1:
            raise r.fail(name, f"{days} must be at least 1 day")
    rules = TaskRules(r.number("task_tolerance", minimum=0), cadence, reminder)
    return (
        found,
        r.text("name_vi"),
        r.text("name_en"),
        r.text("reference", required=False),
        r.optional_date("issued_on"),
        r.boolean("assumed"),
        r.text("note", required=False),
        rules,
    )


def _deadline(r: Reader, year: int) -> dt.date:
    """A date (YYYY-MM-DD) or a quarter of the plan's year (``2023-Q2`` ends on 30 June)."""
    raw = r.text("deadline")
    head, _, quarter = raw.partition("-Q")
    if quarter:
        if not (head.isdigit() and quarter in ("1", "2", "3", "4")):
            raise r.fail("deadline", f"{raw!r} is not a date (YYYY-MM-DD) or a quarter (YYYY-Q1 … YYYY-Q4)")
        after = dt.date(int(head), 3 * int(quarter), 1) + dt.timedelta(days=31)
        day = after.replace(day=1) - dt.timedelta(days=1)
    else:
        day = r.date("deadline")
    if day.year < year:
        raise r.fail("deadline", f"{day} is before the plan's year ({year})")
    return day


def _task(
    r: Reader, year: int, pillars: Mapping[str, object], units: Mapping[str, Unit], heirs: Mapping[str, str]
) -> Task:
    lead = r.reference("lead_unit", r.text("lead_unit"), units, "unit")
    gap = _lead_gap(lead, year, units, heirs)
    if gap is not None:
        raise r.fail("lead_unit", f"cannot lead in {year}: {gap}")
    co_leads = r.codes("co_lead_units")
    for unit in co_leads:
        r.reference("co_lead_units", unit, units, "unit")
    return Task(
        code=r.text("code"),
        year=year,
        title_vi=r.text("title_vi"),
        title_en=r.text("title_en"),
        pillar=r.reference("pillar", r.text("pillar"), pillars, "pillar"),
        lead_unit=lead,
        co_lead_units=co_leads,
        deadline=_deadline(r, year),
        deliverable=r.text("deliverable", required=False),
        assumed=r.boolean("assumed"),
        note=r.text("note", required=False),
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
    _, (_, name_vi, name_en, reference, issued_on, assumed, note, rules) = head[0]
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
    build_task = partial(_task, year=year, pillars=pillars, units=units, heirs=heirs)
    tasks = load_table(folder / "tasks.csv", build_task, lambda t: t.code, "code", f"{where}/tasks.csv")
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
        tasks={t.code: t for _, t in tasks},
        task_rules=rules,
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
