"""Builds a :class:`Catalog` from one version folder and checks it is consistent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import cast, get_args

from index_engine.catalog.model import (
    Aggregation,
    Catalog,
    Completion,
    Direction,
    Indicator,
    Metric,
    MetricKind,
    PeerGroup,
    Pillar,
    Plausibility,
    PlausibilityKind,
    Share,
    Succession,
    Target,
    Unit,
)
from index_engine.catalog.plans import PLANS, PlanFiles, load_plan, plan_years
from index_engine.catalog.reader import Reader, load_table
from index_engine.errors import CatalogError


def _peer_group(r: Reader) -> PeerGroup:
    return PeerGroup(r.text("code"), r.text("name_vi"), r.text("name_en"), r.boolean("ranked"))


def _unit(r: Reader, peer_groups: Mapping[str, PeerGroup]) -> Unit:
    unit = Unit(
        code=r.text("code"),
        name_vi=r.text("name_vi"),
        name_en=r.text("name_en"),
        kind=r.text("kind"),
        parent=r.optional("parent"),
        peer_group=r.reference("peer_group", r.text("peer_group"), peer_groups, "peer group"),
        valid_from=r.date("valid_from"),
        valid_to=r.optional_date("valid_to"),
        confidence=r.text("confidence", required=False),
        note=r.text("note", required=False),
    )
    if unit.valid_to is not None and unit.valid_to < unit.valid_from:
        raise r.fail("valid_to", f"{unit.valid_to} is before valid_from {unit.valid_from}")
    return unit


def _metric(r: Reader) -> Metric:
    return Metric(
        code=r.text("code"),
        kind=cast(MetricKind, r.choice("kind", get_args(MetricKind))),
        unit_of_measure=r.text("unit_of_measure"),
        description_vi=r.text("description_vi"),
        description_en=r.text("description_en"),
    )


def _pillar(r: Reader) -> tuple[str, str, str]:
    return r.text("code"), r.text("name_vi"), r.text("name_en")


def _indicator(
    r: Reader, pillars: Mapping[str, object], metrics: Mapping[str, Metric], units: Mapping[str, Unit]
) -> Indicator:
    numerator = r.reference("numerator", r.text("numerator"), metrics, "metric")
    denominator = r.optional("denominator")
    if denominator is not None:
        r.reference("denominator", denominator, metrics, "metric")
    aggregation = cast(Aggregation, r.choice("aggregation", get_args(Aggregation)))
    # Year-to-date indicators sum flows; "latest" ones read a level: the metric kinds must agree.
    for name, code in (("numerator", numerator), ("denominator", denominator)):
        if code is not None and (metrics[code].kind == "gauge") != (aggregation == "latest"):
            raise r.fail(name, f"metric {code!r} is a {metrics[code].kind}, which a {aggregation} indicator can't read")
    co_leads = r.codes("co_lead_units")
    for code in co_leads:
        r.reference("co_lead_units", code, units, "unit")
    return Indicator(
        code=r.text("code"),
        pillar=r.reference("pillar", r.text("pillar"), pillars, "pillar"),
        name_vi=r.text("name_vi"),
        name_en=r.text("name_en"),
        numerator=numerator,
        denominator=denominator,
        scale=r.number("scale", positive=True),
        direction=cast(Direction, r.choice("direction", get_args(Direction))),
        aggregation=aggregation,
        cadence_hours=r.number("cadence_hours", positive=True),
        lead_unit=r.reference("lead_unit", r.text("lead_unit"), units, "unit"),
        source_system=r.text("source_system"),
        assumed=r.boolean("assumed"),
        value_unit=r.text("value_unit", required=False),
        co_lead_units=co_leads,
    )


def _target(r: Reader, indicators: Mapping[str, Indicator], units: Mapping[str, Unit]) -> Target:
    target = Target(
        indicator=r.reference("indicator", r.text("indicator"), indicators, "indicator"),
        unit=r.reference("unit", r.text("unit"), units, "unit"),
        period=r.integer("period"),
        baseline=r.number("baseline"),
        target=r.number("target"),
        tolerance=r.number("tolerance", minimum=0),
        baseline_assumed=r.boolean("baseline_assumed"),
        target_assumed=r.boolean("target_assumed"),
        note=r.text("note", required=False),
    )
    if target.target == 0:
        raise r.fail("target", "must not be 0 (attainment divides by the target)")
    return target


def _completion(r: Reader, indicators: Mapping[str, Indicator], units: Mapping[str, Unit]) -> Completion:
    return Completion(
        indicator=r.reference("indicator", r.text("indicator"), indicators, "indicator"),
        unit=r.reference("unit", r.text("unit"), units, "unit"),
        period=r.integer("period"),
        confirmed_on=r.date("confirmed_on"),
        reference=r.text("reference"),
        note=r.text("note", required=False),
    )


def _succession(r: Reader, units: Mapping[str, Unit]) -> Succession:
    succession = Succession(
        unit=r.reference("unit", r.text("unit"), units, "unit"),
        predecessor=r.reference("predecessor", r.text("predecessor"), units, "unit"),
        share=cast(Share, r.choice("share", get_args(Share))),
        takes_over=r.boolean("takes_over"),
        confidence=r.text("confidence", required=False),
        note=r.text("note", required=False),
    )
    end = units[succession.predecessor].valid_to
    if end is None:
        raise r.fail("predecessor", f"unit {succession.predecessor!r} has no valid_to: it has not ended")
    day_after = end + dt.timedelta(days=1)
    if not units[succession.unit].valid_on(day_after):
        raise r.fail(
            "unit", f"unit {succession.unit!r} does not exist on {day_after}, the day after its predecessor ended"
        )
    return succession


def _check_heirs(successions: list[tuple[Reader, Succession]]) -> None:
    heirs: set[str] = set()
    for reader, succession in successions:
        if succession.takes_over:
            if succession.predecessor in heirs:
                raise reader.fail(
                    "takes_over", f"unit {succession.predecessor!r} already has a successor that takes over"
                )
            heirs.add(succession.predecessor)


def _check_parents(units: list[tuple[Reader, Unit]]) -> None:
    parents = {unit.code: unit.parent for _, unit in units}
    for reader, unit in units:
        seen = {unit.code}
        parent = unit.parent
        while parent is not None:
            if parent not in parents:
                raise reader.fail("parent", f"unknown parent unit {parent!r}")
            if parent in seen:
                raise reader.fail("parent", f"unit {unit.code!r} is its own ancestor")
            seen.add(parent)
            parent = parents[parent]


def _plausibility_row(
    r: Reader, metrics: Mapping[str, Metric], indicators: Mapping[str, Indicator]
) -> tuple[PlausibilityKind, str, float | None]:
    rule = cast(PlausibilityKind, r.choice("rule", get_args(PlausibilityKind)))
    if rule == "share":
        indicator = indicators.get(r.reference("code", r.text("code"), indicators, "indicator"))
        assert indicator is not None  # noqa: S101 - checked by reference()
        if indicator.denominator is None:
            raise r.fail("code", f"indicator {indicator.code!r} has no denominator: it is not a share")
        kinds = {metrics[m].kind for m in indicator.metrics}
        if "delta" in kinds:
            raise r.fail("code", f"indicator {indicator.code!r} sums deltas: shares are checked on levels only")
        return rule, indicator.code, None
    code = r.reference("code", r.text("code"), metrics, "metric")
    if rule == "whole":
        return rule, code, None
    if rule == "jump":
        if metrics[code].kind != "gauge":
            raise r.fail("code", f"metric {code!r} is {metrics[code].kind}: jumps are checked on gauges only")
        factor = r.number("value", positive=True)
        if factor <= 1:
            raise r.fail("value", f"a jump factor must be above 1, not {factor:g}")
        return rule, code, factor
    return rule, code, r.number("value")


def _plausibility(folder: Path, metrics: Mapping[str, Metric], indicators: Mapping[str, Indicator]) -> Plausibility:
    build = partial(_plausibility_row, metrics=metrics, indicators=indicators)
    rows = [row for _, row in load_table(folder / "plausibility.csv", build, lambda row: row[:2], "code")]
    bounds: dict[str, dict[str, float]] = {"minimum": {}, "maximum": {}, "jump": {}}
    for rule, code, value in rows:
        if value is not None:
            bounds[rule][code] = value
    for code, low in bounds["minimum"].items():
        high = bounds["maximum"].get(code)
        if high is not None and high < low:
            raise CatalogError("plausibility.csv", f"metric {code!r}: maximum {high:g} is below minimum {low:g}")
    return Plausibility(
        whole=frozenset(code for rule, code, _ in rows if rule == "whole"),
        minimum=bounds["minimum"],
        maximum=bounds["maximum"],
        jump=bounds["jump"],
        shares=frozenset(code for rule, code, _ in rows if rule == "share"),
    )


def _check_task_codes(plans: list[PlanFiles]) -> None:
    """A task code names one task of one plan year: the same code in two years is refused."""
    seen: dict[str, int] = {}
    for files in plans:
        for code in files.plan.tasks:
            if code in seen:
                raise CatalogError(
                    f"{PLANS}/{files.plan.year}/tasks.csv",
                    f"task {code!r} is also in the {seen[code]} plan",
                    field="code",
                )
            seen[code] = files.plan.year


def load_folder(folder: Path, version: str) -> Catalog:
    """Load and validate every file of one catalog version folder: the map, the definitions, the plan years."""
    groups = {g.code: g for _, g in load_table(folder / "peer_groups.csv", _peer_group, lambda g: g.code)}
    unit_rows = load_table(folder / "units.csv", partial(_unit, peer_groups=groups), lambda u: u.code)
    _check_parents(unit_rows)
    units = {u.code: u for _, u in unit_rows}
    succession_rows = load_table(
        folder / "successions.csv", partial(_succession, units=units), lambda s: (s.unit, s.predecessor), "unit"
    )
    _check_heirs(succession_rows)
    successions = tuple(s for _, s in succession_rows)
    metrics = {m.code: m for _, m in load_table(folder / "metrics.csv", _metric, lambda m: m.code)}
    names = {p[0]: p for _, p in load_table(folder / "pillars.csv", _pillar, lambda p: p[0])}
    build_indicator = partial(_indicator, pillars=names, metrics=metrics, units=units)
    indicators = {i.code: i for _, i in load_table(folder / "indicators.csv", build_indicator, lambda i: i.code)}
    plans = [
        load_plan(
            folder / PLANS / str(year),
            year,
            pillars=names,
            indicators=indicators,
            units=units,
            successions=successions,
            build_target=partial(_target, indicators=indicators, units=units),
            build_completion=partial(_completion, indicators=indicators, units=units),
        )
        for year in plan_years(folder)
    ]
    _check_task_codes(plans)
    plausibility = _plausibility(folder, metrics, indicators)
    newest = plans[-1].plan
    children: dict[str, list[str]] = {}
    for unit in units.values():
        if unit.parent is not None:
            children.setdefault(unit.parent, []).append(unit.code)
    return Catalog(
        version=version,
        units=units,
        metrics=metrics,
        indicators=indicators,
        _children={k: tuple(v) for k, v in children.items()},
        peer_groups=groups,
        pillars={code: Pillar(code, vi, en, newest.pillar_weights[code]) for code, (_, vi, en) in names.items()},
        indicator_weights=newest.indicator_weights,
        targets={(t.indicator, t.unit, t.period): t for files in plans for t in files.targets},
        completions={(c.indicator, c.unit, c.period): c for files in plans for c in files.completions},
        plans={files.plan.year: files.plan for files in plans},
        successions=successions,
        plausibility=plausibility,
    )
