"""Per-unit streaming state: own metric cells, children's indicator inputs, evaluation memory per indicator.

Stored as rows (:mod:`streams.store`); each part records what changed so that a batch writes only those rows.

Every update is idempotent, so replays and repeated deliveries cannot corrupt it:

- ``cumulative`` and ``gauge`` cells keep the observation with the newest ``ts`` (a tie keeps the first);
- ``delta`` cells add an observation's value into the period of its event time; that each id is added once is
  the caller's job (the worker checks ids against ``dti.delta_id`` in the batch's transaction);
- a child's contribution carries the child's state version, and only a newer version replaces an older one.

Children send their parent an indicator's inputs (numerator, denominator, when last complete), and the parent
combines them with its own metric values by :func:`index_engine.rollup.combine`: the same rule, in the same
code, as the index engine's own rollup (own values win metric by metric; children count only where the
indicator applies to them). Nothing here grows with the number of events: cells are per metric and period,
contributions per child, indicator and period, and the daily history is capped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

import msgspec

from index_engine.alerts import AlertKind, AlertState
from index_engine.catalog import Catalog, Indicator
from index_engine.observation import Observation
from index_engine.periods import period_of
from index_engine.results import IndicatorResult
from index_engine.rollup import Inputs, combine
from index_engine.status import Status

MetricKey = tuple[str, int]
"""A metric code and a period (local year)."""

IndicatorKey = tuple[str, int]
"""An indicator code and a period (local year)."""

ContributionKey = tuple[str, int, str]
"""An indicator code, a period and a child unit code."""


@dataclass(slots=True)
class Cell:
    """One metric of one unit in one period, from the unit's own observations."""

    ts: dt.datetime
    value: float
    revision: int = 0
    """For cumulative and gauge cells: the revision of the observation kept (a correction at the same ``ts``)."""


class Counted(msgspec.Struct, frozen=True, gc=False):
    """A delta figure as it was counted: its revision, where its value went, and the value."""

    revision: int
    metric: str
    period: int
    value: float


def figure_of(obs: Observation) -> str:
    """The figure an observation is a version of: its id without the ``@<revision>`` the connectors append."""
    return figure(obs.id, obs.revision)


def figure(obs_id: str, revision: int) -> str:
    """The figure of an observation id at ``revision`` (an id as stored in ``dti.observation``)."""
    suffix = f"@{revision}"
    return obs_id[: -len(suffix)] if revision and obs_id.endswith(suffix) else obs_id


class Contribution(msgspec.Struct, frozen=True, gc=False):
    """A child's inputs for one indicator and period, as the child last published them."""

    version: int
    ts: dt.datetime
    numerator: float | None
    denominator: float | None
    seen: dt.datetime | None


class Memory(msgspec.Struct, kw_only=True):
    """What the evaluation keeps for one indicator of one unit between evaluations (``dti.state_indicator``)."""

    history: dict[int, list[tuple[dt.datetime, float]]] = {}
    """Daily values by period, for the projected end value (capped)."""
    settled: Status | None = None
    pending: Status | None = None
    open: list[AlertKind] = []
    written: tuple[str, float | None, float | None] | None = None
    """Status, score and value of the last status row written."""
    written_period: int | None = None
    """The period of the last status row written: a new year's first status is written even when it equals the
    last of the year before (a field of its own, so that memories stored before it still decode)."""
    result: IndicatorResult | None = None
    """The last evaluation: reused for the pillar and index scores while the indicator's inputs do not change."""

    def alert_state(self) -> AlertState:
        """The alert hysteresis as the index engine takes it."""
        return AlertState(settled=self.settled, pending=self.pending, open=frozenset(self.open))

    def set_alert_state(self, state: AlertState) -> None:
        """Keep the hysteresis the index engine returned."""
        self.settled, self.pending, self.open = state.settled, state.pending, sorted(state.open)


@dataclass(slots=True)
class UnitState:
    """Everything the worker keeps about one unit, and which parts a batch changed."""

    version: int = 0
    own: dict[MetricKey, Cell] = field(default_factory=dict)
    children: dict[IndicatorKey, dict[str, Contribution]] = field(default_factory=dict)
    memory: dict[str, Memory] = field(default_factory=dict)
    """Evaluation memory by indicator code."""
    changed_cells: set[MetricKey] = field(default_factory=set)
    changed_contributions: set[ContributionKey] = field(default_factory=set)
    changed_memory: set[str] = field(default_factory=set)

    def memory_of(self, indicator: str) -> Memory:
        """The indicator's memory, made empty on first use."""
        kept = self.memory.get(indicator)
        if kept is None:
            kept = self.memory[indicator] = Memory()
        return kept

    @property
    def changed(self) -> bool:
        """Whether anything changed since the rows were last written."""
        return bool(self.changed_cells or self.changed_contributions or self.changed_memory)

    @property
    def changed_rows(self) -> int:
        """How many state rows the changes make (:func:`streams.store.state_rows`): the unit's, then one per change."""
        changes = len(self.changed_cells) + len(self.changed_contributions) + len(self.changed_memory)
        return changes + 1 if changes else 0

    def mark_written(self) -> None:
        """Forget what changed: its rows are committed."""
        self.changed_cells.clear()
        self.changed_contributions.clear()
        self.changed_memory.clear()


class RollupMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A child's inputs for one indicator sent to its parent through ``qndti.rollup`` (key = parent code)."""

    child: str
    indicator: str
    period: int
    version: int
    ts: dt.datetime
    numerator: float | None
    denominator: float | None
    seen: dt.datetime | None


_rollup_encoder: Final = msgspec.json.Encoder()
# One message (the format before messages were grouped per child and batch) or a list of them.
_rollup_decoder: Final = msgspec.json.Decoder(RollupMessage | list[RollupMessage])
_memory_encoder: Final = msgspec.msgpack.Encoder()
_memory_decoder: Final = msgspec.msgpack.Decoder(Memory)


def dump_rollups(messages: list[RollupMessage]) -> bytes:
    """Serialise one child's rollup messages of a batch as one Kafka message (a JSON array)."""
    return _rollup_encoder.encode(messages)


def load_rollups(raw: bytes) -> list[RollupMessage]:
    """Deserialise a Kafka message of the rollup topic: a JSON array of rollup messages, or a single one."""
    decoded = _rollup_decoder.decode(raw)
    return [decoded] if isinstance(decoded, RollupMessage) else decoded


def dump_memory(memory: Memory) -> bytes:
    """Serialise an indicator's memory for ``dti.state_indicator``."""
    return _memory_encoder.encode(memory)


def load_memory(raw: bytes) -> Memory:
    """Deserialise an indicator's memory."""
    return _memory_decoder.decode(raw)


def apply_observation(
    state: UnitState, obs: Observation, replaces: Counted | None = None, period: int | None = None
) -> MetricKey | None:
    """Fold one observation into its unit's state; return the changed metric key, or None if nothing changed.

    A delta is added whatever its id: the caller passes each delta figure once per revision, with the counted
    version it ``replaces`` (taken out first). A cumulative or gauge value replaces the cell's when its ``ts`` is
    newer, or the same with a higher revision (a correction); a tie keeps the first. ``period`` is the
    observation's (:func:`~index_engine.periods.period_of` its ``ts``), when the caller has it already.
    """
    cell_key = (obs.metric, period_of(obs.ts) if period is None else period)
    if obs.kind == "delta" and replaces is not None:
        old = state.own[(replaces.metric, replaces.period)]
        old.value -= replaces.value
        state.changed_cells.add((replaces.metric, replaces.period))
    cell = state.own.get(cell_key)
    if obs.kind == "delta":
        if cell is None:
            state.own[cell_key] = Cell(ts=obs.ts, value=obs.value)
        else:
            cell.value += obs.value
            cell.ts = max(cell.ts, obs.ts)
    elif cell is None or (obs.ts, obs.revision) > (cell.ts, cell.revision):
        state.own[cell_key] = Cell(ts=obs.ts, value=obs.value, revision=obs.revision)
    else:
        return None
    state.version += 1
    state.changed_cells.add(cell_key)
    return cell_key


def replaces_contribution(state: UnitState, message: RollupMessage) -> bool:
    """Whether a child's message is newer than what its parent holds from that child (only newer ones count)."""
    current = state.children.get((message.indicator, message.period), {}).get(message.child)
    return current is None or current.version < message.version


def apply_contribution(state: UnitState, message: RollupMessage) -> IndicatorKey | None:
    """Fold a child's inputs into its parent's state; return the changed indicator key or None."""
    indicator_key = (message.indicator, message.period)
    if not replaces_contribution(state, message):
        return None
    by_child = state.children.setdefault(indicator_key, {})
    current = by_child.get(message.child)
    by_child[message.child] = Contribution(
        version=message.version,
        # Never back in time: a newer version with an older time (the child's undone batch sent a later one)
        # rewrites the parent's newest bucket instead of leaving it behind with the values it replaces.
        ts=message.ts if current is None else max(message.ts, current.ts),
        numerator=message.numerator,
        denominator=message.denominator,
        seen=message.seen,
    )
    state.version += 1
    state.changed_contributions.add((message.indicator, message.period, message.child))
    return indicator_key


def inputs(
    catalog: Catalog,
    state: UnitState,
    unit: str,
    indicator: Indicator,
    period: int,
    day: dt.date,
) -> Inputs:
    """The unit's inputs for ``indicator``: its own values combined with its children's of ``day``.

    Which children count is the catalog's rule (:meth:`~index_engine.catalog.Catalog.rollup_children`): for a
    year-to-date flow every child of the year so far, so a unit that ended keeps its part of the year's total.
    """
    values: dict[str, float] = {}
    seen: dict[str, dt.datetime] = {}
    for metric in indicator.metrics:
        if (cell := state.own.get((metric, period))) is not None:
            values[metric], seen[metric] = cell.value, cell.ts
    children = state.children.get((indicator.code, period))
    # Without any child's inputs there is nothing to look up (most units have no children at all).
    below = (
        [
            (c.numerator, c.denominator, c.seen)
            for child in catalog.rollup_children(unit, indicator, day)
            if (c := children.get(child)) is not None
        ]
        if children
        else []
    )
    return combine(indicator, values, seen, below)


def newest(state: UnitState, indicator: Indicator, period: int) -> dt.datetime | None:
    """The newest time of any data behind the unit's ``indicator`` in ``period``."""
    times = [cell.ts for m in indicator.metrics if (cell := state.own.get((m, period))) is not None]
    times.extend(c.ts for c in state.children.get((indicator.code, period), {}).values())
    return max(times, default=None)


def latest_in(state: UnitState, period: int) -> dt.datetime | None:
    """The newest time of any data the unit holds for ``period``: the moment it is evaluated at."""
    times = [cell.ts for (_, p), cell in state.own.items() if p == period]
    times.extend(c.ts for (_, p), by_child in state.children.items() if p == period for c in by_child.values())
    return max(times, default=None)
