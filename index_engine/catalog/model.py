"""The catalog's records (units, metrics, indicators, targets, weights, completions) and the catalog."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

MetricKind = Literal["delta", "cumulative", "gauge"]
Direction = Literal["up", "down"]
Aggregation = Literal["ytd", "latest"]
WeightLevel = Literal["pillar", "indicator"]
Share = Literal["whole", "part"]

TargetKey = tuple[str, str, int]
"""``(indicator code, unit code, period)``."""


@dataclass(frozen=True, slots=True)
class Unit:
    """An assessed unit (province, locality, department) valid over a date range."""

    code: str
    name_vi: str
    name_en: str
    kind: str
    parent: str | None
    peer_group: str
    valid_from: dt.date
    valid_to: dt.date | None
    confidence: str = ""
    note: str = ""

    def valid_on(self, day: dt.date) -> bool:
        """Whether the unit exists on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def valid_during(self, first: dt.date, last: dt.date) -> bool:
        """Whether the unit exists on at least one day from ``first`` to ``last``."""
        return self.valid_from <= last and (self.valid_to is None or first <= self.valid_to)


@dataclass(frozen=True, slots=True)
class Metric:
    """A count that connectors observe, with the observation kind sources are expected to send."""

    code: str
    kind: MetricKind
    unit_of_measure: str
    description_vi: str
    description_en: str


@dataclass(frozen=True, slots=True)
class Indicator:
    """An indicator: ``numerator / denominator × scale`` over metrics, or one metric alone."""

    code: str
    pillar: str
    name_vi: str
    name_en: str
    numerator: str
    denominator: str | None
    scale: float
    direction: Direction
    aggregation: Aggregation
    cadence_hours: float
    lead_unit: str
    source_system: str
    assumed: bool
    value_unit: str = ""
    co_lead_units: tuple[str, ...] = ()

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric codes this indicator reads."""
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)


@dataclass(frozen=True, slots=True)
class PeerGroup:
    """A group of units ranked against each other (localities, departments with or without services)."""

    code: str
    name_vi: str
    name_en: str
    ranked: bool


@dataclass(frozen=True, slots=True)
class Pillar:
    """One pillar of the index (CQS, KTS, XHS, NT) with its weight in the unit index."""

    code: str
    name_vi: str
    name_en: str
    weight: float


@dataclass(frozen=True, slots=True)
class Target:
    """The plan for one indicator, unit and period: baseline B, target T and the alert tolerance.

    ``tolerance`` is the shortfall against the expected value E, in the indicator's own unit (percentage
    points for a percentage), beyond which an alert is raised.
    """

    indicator: str
    unit: str
    period: int
    baseline: float
    target: float
    tolerance: float
    baseline_assumed: bool
    target_assumed: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class Completion:
    """The lead unit's official confirmation that an indicator is completed for a unit and period."""

    indicator: str
    unit: str
    period: int
    confirmed_on: dt.date
    reference: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Succession:
    """A unit formed from (the whole or a part of) a predecessor that ended the day before it took over.

    ``takes_over`` marks the one successor that takes over the predecessor's roles, such as leading indicators.
    """

    unit: str
    predecessor: str
    share: Share
    takes_over: bool
    confidence: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class PlanIndicator:
    """An indicator as one year's plan names it: its lead unit and co-lead units."""

    code: str
    lead_unit: str
    co_lead_units: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Task:
    """A key task (nhiệm vụ) of one plan year: its lead unit and co-leads, deadline and deliverable.

    ``code`` is unique across plan years (a task of another year is another task). ``assumed`` marks a row whose
    title, lead unit or deadline do not come from the plan document.
    """

    code: str
    year: int
    title_vi: str
    title_en: str
    pillar: str
    lead_unit: str
    co_lead_units: tuple[str, ...]
    deadline: dt.date
    deliverable: str
    assumed: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class TaskRules:
    """How a plan year judges its tasks.

    A task is at risk when its progress is more than ``tolerance`` percentage points behind the share of its
    time elapsed, or when it had no report for more than ``cadence_days``; a reminder goes out ``reminder_days``
    before its deadline.
    """

    tolerance: float = 15.0
    cadence_days: int = 45
    reminder_days: int = 14


@dataclass(frozen=True, slots=True)
class Plan:
    """One plan year: its document, indicators with lead units, and weights (targets are in the catalog).

    ``assumed`` says that the plan's indicators and targets do not come from the plan document (carried
    forward or invented); each target row says which of its values are assumed.
    """

    year: int
    name_vi: str
    name_en: str
    reference: str
    issued_on: dt.date | None
    assumed: bool
    note: str
    indicators: Mapping[str, PlanIndicator]
    pillar_weights: Mapping[str, float]
    indicator_weights: Mapping[str, float]
    tasks: Mapping[str, Task] = field(default_factory=dict)
    task_rules: TaskRules = field(default_factory=TaskRules)

    @property
    def starts_on(self) -> dt.date:
        """The first day the plan's tasks run: the day it was issued, else 1 January of its year."""
        return self.issued_on or dt.date(self.year, 1, 1)


PlausibilityKind = Literal["whole", "minimum", "maximum", "jump", "share"]


@dataclass(frozen=True, slots=True)
class Plausibility:
    """What a plausible observation looks like (``plausibility.csv``); failing ones are quarantined.

    ``whole``: metrics counted in whole numbers; ``minimum``/``maximum``: bounds per metric; ``jump``: per gauge
    metric, the factor beyond which a change from the unit's previous value is implausible; ``shares``: indicators
    whose numerator counts part of the denominator (both cumulative or gauge), so it cannot exceed it.
    """

    whole: frozenset[str] = frozenset()
    minimum: Mapping[str, float] = field(default_factory=dict)
    maximum: Mapping[str, float] = field(default_factory=dict)
    jump: Mapping[str, float] = field(default_factory=dict)
    shares: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Catalog:
    """One version of the catalog."""

    version: str
    units: Mapping[str, Unit]
    metrics: Mapping[str, Metric]
    indicators: Mapping[str, Indicator]
    _children: Mapping[str, tuple[str, ...]] = field(repr=False, default_factory=dict)
    peer_groups: Mapping[str, PeerGroup] = field(default_factory=dict)
    pillars: Mapping[str, Pillar] = field(default_factory=dict)
    indicator_weights: Mapping[str, float] = field(default_factory=dict)
    targets: Mapping[TargetKey, Target] = field(repr=False, default_factory=dict)
    completions: Mapping[TargetKey, Completion] = field(repr=False, default_factory=dict)
    plans: Mapping[int, Plan] = field(repr=False, default_factory=dict)
    successions: tuple[Succession, ...] = field(repr=False, default=())
    plausibility: Plausibility = field(repr=False, default_factory=Plausibility)
    _unit_targets: Mapping[tuple[str, int], Mapping[str, Target]] = field(init=False, repr=False, compare=False)
    _heirs: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_unit: dict[tuple[str, int], dict[str, Target]] = {}
        for target in self.targets.values():
            by_unit.setdefault((target.unit, target.period), {})[target.indicator] = target
        # A derived index of the targets; frozen, so set once here.
        object.__setattr__(self, "_unit_targets", by_unit)
        heirs = {s.predecessor: s.unit for s in self.successions if s.takes_over}
        object.__setattr__(self, "_heirs", heirs)

    def children(self, unit_code: str) -> tuple[str, ...]:
        """The direct children of a unit, in catalog order."""
        return self._children.get(unit_code, ())

    def children_on(self, unit_code: str, day: dt.date) -> tuple[str, ...]:
        """The direct children of a unit that exist on ``day``."""
        return tuple(c for c in self.children(unit_code) if self.units[c].valid_on(day))

    def children_during(self, unit_code: str, first: dt.date, last: dt.date) -> tuple[str, ...]:
        """The direct children of a unit that exist on at least one day from ``first`` to ``last``."""
        return tuple(c for c in self.children(unit_code) if self.units[c].valid_during(first, last))

    def children_of_year(self, unit_code: str, day: dt.date) -> tuple[str, ...]:
        """The direct children of a unit that exist on at least one day of ``day``'s year up to ``day``."""
        return self.children_during(unit_code, dt.date(day.year, 1, 1), day)

    def rollup_children(self, unit_code: str, indicator: Indicator, day: dt.date) -> tuple[str, ...]:
        """The children whose inputs a unit sums for ``indicator`` on ``day``.

        A level (``latest``) counts the children that exist on the day. A year-to-date flow counts every child
        that existed this year up to the day: a unit that ended keeps what it did before it ended, so a parent's
        year-to-date total runs on across a change of the map (on 1 July 2025 the province's totals are the 13
        former localities' January–June plus what the 54 new units did since).
        """
        if indicator.aggregation == "latest":
            return self.children_on(unit_code, day)
        return self.children_of_year(unit_code, day)

    def indicators_reading(self, metric_code: str) -> tuple[Indicator, ...]:
        """The indicators whose numerator or denominator is ``metric_code``."""
        return tuple(i for i in self.indicators.values() if metric_code in i.metrics)

    def indicators_of(self, pillar: str) -> tuple[Indicator, ...]:
        """The indicators of one pillar, in catalog order."""
        return tuple(i for i in self.indicators.values() if i.pillar == pillar)

    def indicator_weight(self, code: str, period: int | None = None) -> float:
        """An indicator's weight within its pillar in ``period``'s plan (default: the newest): 1 unless set."""
        return self.weights_of(period)[1].get(code, 1.0)

    def weights_of(self, period: int | None) -> tuple[Mapping[str, float], Mapping[str, float]]:
        """The pillar and indicator weights of ``period``'s plan; the newest plan's for other periods."""
        plan = self.plans.get(period) if period is not None else None
        if plan is None:
            return {code: p.weight for code, p in self.pillars.items()}, self.indicator_weights
        return plan.pillar_weights, plan.indicator_weights

    def plan(self, period: int) -> Plan | None:
        """The plan of a year, if the catalog has one."""
        return self.plans.get(period)

    def successors(self, unit_code: str) -> tuple[Succession, ...]:
        """The units formed from ``unit_code`` (whole or part), in file order."""
        return tuple(s for s in self.successions if s.predecessor == unit_code)

    def predecessors(self, unit_code: str) -> tuple[Succession, ...]:
        """The units ``unit_code`` was formed from (whole or part), in file order."""
        return tuple(s for s in self.successions if s.unit == unit_code)

    def heir_on(self, unit_code: str, day: dt.date) -> str:
        """The unit holding ``unit_code``'s roles on ``day``: itself, or the successor that took them over."""
        # The loader checks that an heir exists the day after its predecessor ended, so this never cycles.
        while not self.units[unit_code].valid_on(day):
            heir = self._heirs.get(unit_code)
            if heir is None:
                break
            unit_code = heir
        return unit_code

    def lead_unit(self, indicator: str, day: dt.date) -> str:
        """The lead unit of an indicator on a local ``day``: as ``day``'s plan names it, followed to its heir."""
        plan = self.plans.get(day.year)
        named = plan.indicators.get(indicator) if plan is not None else None
        lead = named.lead_unit if named is not None else self.indicators[indicator].lead_unit
        return self.heir_on(lead, day)

    def lead_spans(self, indicator: str) -> tuple[tuple[dt.date, dt.date, str], ...]:
        """``(first day, last day, lead unit)`` over every plan year that lists the indicator, oldest first.

        A year's span is split where its lead unit ends and a successor takes over.
        """
        spans: list[tuple[dt.date, dt.date, str]] = []
        for year, plan in sorted(self.plans.items()):
            named = plan.indicators.get(indicator)
            if named is None:
                continue
            day, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
            while day <= last:
                lead = self.heir_on(named.lead_unit, day)
                end = self.units[lead].valid_to
                # The loader checks that a plan's leads (or their heirs) exist all year: `max` only guards the loop.
                stop = last if end is None or end >= last else max(end, day)
                spans.append((day, stop, lead))
                day = stop + dt.timedelta(days=1)
        return tuple(spans)

    def task(self, code: str) -> Task | None:
        """A task of any plan year by its code."""
        for plan in self.plans.values():
            if code in plan.tasks:
                return plan.tasks[code]
        return None

    def task_lead(self, task: Task, day: dt.date) -> str:
        """The unit leading ``task`` on ``day``: the plan's lead unit, followed to its heir after a merger."""
        return self.heir_on(task.lead_unit, day)

    def units_on(self, day: dt.date) -> tuple[str, ...]:
        """The units that exist on ``day``, in catalog order."""
        return tuple(code for code, unit in self.units.items() if unit.valid_on(day))

    def target(self, indicator: str, unit: str, period: int) -> Target | None:
        """The target of an indicator for a unit and period, if the plan sets one."""
        return self.targets.get((indicator, unit, period))

    def unit_targets(self, unit: str, period: int) -> Mapping[str, Target]:
        """The targets of a unit for a period, by indicator code."""
        return self._unit_targets.get((unit, period), {})

    def completion(self, indicator: str, unit: str, period: int) -> Completion | None:
        """The lead unit's confirmation that the indicator is completed, if there is one."""
        return self.completions.get((indicator, unit, period))

    def peers(self, peer_group: str, day: dt.date | None = None) -> tuple[str, ...]:
        """The units of a peer group, in catalog order; only those that exist on ``day`` when given."""
        return tuple(
            u.code for u in self.units.values() if u.peer_group == peer_group and (day is None or u.valid_on(day))
        )
