"""Builds a :class:`Catalog` from one version folder and checks it is consistent."""

from __future__ import annotations

import math
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
    Target,
    TargetKey,
    Unit,
    WeightLevel,
)
from index_engine.catalog.reader import Reader, load_table
from index_engine.errors import CatalogError

WEIGHT_SUM_TOLERANCE = 1e-9


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


def _weight(
    r: Reader, pillars: Mapping[str, object], indicators: Mapping[str, Indicator]
) -> tuple[WeightLevel, str, float]:
    level = cast(WeightLevel, r.choice("level", get_args(WeightLevel)))
    known: Mapping[str, object] = pillars if level == "pillar" else indicators
    code = r.reference("code", r.text("code"), known, level)
    return level, code, r.number("weight", positive=True)


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


def _pillars_with_weights(
    names: Mapping[str, tuple[str, str, str]], pillar_weights: Mapping[str, float]
) -> dict[str, Pillar]:
    for code in names:
        if code not in pillar_weights:
            raise CatalogError("weights.csv", f"pillar {code!r} has no weight", field="code")
    total = math.fsum(pillar_weights.values())
    if abs(total - 1) > WEIGHT_SUM_TOLERANCE:
        raise CatalogError("weights.csv", f"pillar weights sum to {total:g}, not 1", field="weight")
    return {code: Pillar(code, vi, en, pillar_weights[code]) for code, (_, vi, en) in names.items()}


def load_folder(folder: Path, version: str) -> Catalog:
    """Load and validate every file of one catalog version folder."""
    groups = {g.code: g for _, g in load_table(folder / "peer_groups.csv", _peer_group, lambda g: g.code)}
    unit_rows = load_table(folder / "units.csv", partial(_unit, peer_groups=groups), lambda u: u.code)
    _check_parents(unit_rows)
    units = {u.code: u for _, u in unit_rows}
    metrics = {m.code: m for _, m in load_table(folder / "metrics.csv", _metric, lambda m: m.code)}
    names = {p[0]: p for _, p in load_table(folder / "pillars.csv", _pillar, lambda p: p[0])}
    build_indicator = partial(_indicator, pillars=names, metrics=metrics, units=units)
    indicators = {i.code: i for _, i in load_table(folder / "indicators.csv", build_indicator, lambda i: i.code)}
    weights = load_table(
        folder / "weights.csv", partial(_weight, pillars=names, indicators=indicators), lambda w: w[:2]
    )
    pillars = _pillars_with_weights(names, {code: w for level, code, w in (w for _, w in weights) if level == "pillar"})

    def by_key(item: Target | Completion) -> TargetKey:
        return item.indicator, item.unit, item.period

    build_target = partial(_target, indicators=indicators, units=units)
    build_completion = partial(_completion, indicators=indicators, units=units)
    targets = load_table(folder / "targets.csv", build_target, by_key, "indicator")
    completions = load_table(folder / "completions.csv", build_completion, by_key, "indicator")
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
        pillars=pillars,
        indicator_weights={code: w for level, code, w in (w for _, w in weights) if level == "indicator"},
        targets={by_key(t): t for _, t in targets},
        completions={by_key(c): c for _, c in completions},
    )
