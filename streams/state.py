"""Per-unit streaming state: metric cells from the unit's own observations and its children's indicator inputs.

Every update is idempotent, so at-least-once delivery and replays cannot corrupt it:

- ``cumulative`` and ``gauge`` cells keep the observation with the newest ``ts`` (a tie keeps the first);
- ``delta`` cells add each observation id once, into the period of the observation's event time;
- a child's contribution carries the child's state version, and only a newer version replaces an older one.

Children send their parent an indicator's inputs (numerator, denominator, when last complete), and the parent
combines them with its own metric values by :func:`index_engine.rollup.combine`: the same rule, in the same
code, as the index engine's own rollup (own values win metric by metric; children count only where the
indicator applies to them).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import msgspec

from index_engine.alerts import AlertState
from index_engine.catalog import Catalog, Indicator
from index_engine.observation import Observation
from index_engine.periods import period_of
from index_engine.rollup import Inputs, combine

MetricKey = tuple[str, int]
"""A metric code and a period (local year)."""

IndicatorKey = tuple[str, int]
"""An indicator code and a period (local year)."""


class Cell(msgspec.Struct, array_like=True):
    """One metric of one unit in one period, from the unit's own observations."""

    ts: dt.datetime
    value: float
    ids: list[str] = []


class Contribution(msgspec.Struct, array_like=True):
    """A child's inputs for one indicator and period, as the child last published them."""

    version: int
    ts: dt.datetime
    numerator: float | None
    denominator: float | None
    seen: dt.datetime | None


class UnitState(msgspec.Struct):
    """Everything the worker keeps about one unit; the value of the Faust table keyed by unit code."""

    version: int = 0
    own: dict[str, Cell] = {}
    """Own metric cells by ``metric|period``."""
    children: dict[str, dict[str, Contribution]] = {}
    """Children's inputs by ``indicator|period``, then by child code."""
    history: dict[str, list[tuple[dt.datetime, float]]] = {}
    """Daily indicator values by ``indicator|period``, for the projected end value."""
    alerts: dict[str, AlertState] = {}
    """Alert hysteresis by indicator code."""
    written: dict[str, tuple[str, float | None, float | None]] = {}
    """Status, score and value of the last status row written, by indicator code."""


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


_state_encoder: Final = msgspec.msgpack.Encoder()
_state_decoder: Final = msgspec.msgpack.Decoder(UnitState)
_rollup_encoder: Final = msgspec.json.Encoder()
# One message (the format before messages were grouped per child and batch) or a list of them.
_rollup_decoder: Final = msgspec.json.Decoder(RollupMessage | list[RollupMessage])


def dump_state(state: UnitState) -> bytes:
    """Serialise a unit's state for the table changelog."""
    return _state_encoder.encode(state)


def load_state(raw: bytes | None) -> UnitState:
    """Deserialise a unit's state; ``None`` is a unit never seen."""
    return UnitState() if raw is None else _state_decoder.decode(raw)


def dump_rollups(messages: list[RollupMessage]) -> bytes:
    """Serialise one child's rollup messages of a batch as one Kafka message (a JSON array)."""
    return _rollup_encoder.encode(messages)


def load_rollups(raw: bytes) -> list[RollupMessage]:
    """Deserialise a Kafka message of the rollup topic: a JSON array of rollup messages, or a single one."""
    decoded = _rollup_decoder.decode(raw)
    return [decoded] if isinstance(decoded, RollupMessage) else decoded


def key(code: str, period: int) -> str:
    """The state key of a metric or indicator in a period."""
    return f"{code}|{period}"


def apply_observation(state: UnitState, obs: Observation) -> MetricKey | None:
    """Fold one observation into its unit's state; return the changed metric key, or None if nothing changed."""
    period = period_of(obs.ts)
    cell_key = key(obs.metric, period)
    cell = state.own.get(cell_key)
    if obs.kind == "delta":
        if cell is None:
            state.own[cell_key] = Cell(ts=obs.ts, value=obs.value, ids=[obs.id])
        elif obs.id in cell.ids:
            return None
        else:
            cell.ids.append(obs.id)
            cell.value += obs.value
            cell.ts = max(cell.ts, obs.ts)
    elif cell is None or obs.ts > cell.ts:
        state.own[cell_key] = Cell(ts=obs.ts, value=obs.value)
    else:
        return None
    state.version += 1
    return obs.metric, period


def apply_contribution(state: UnitState, message: RollupMessage) -> IndicatorKey | None:
    """Fold a child's inputs into its parent's state; return the changed indicator key or None."""
    by_child = state.children.setdefault(key(message.indicator, message.period), {})
    current = by_child.get(message.child)
    if current is not None and current.version >= message.version:
        return None
    by_child[message.child] = Contribution(
        version=message.version,
        ts=message.ts,
        numerator=message.numerator,
        denominator=message.denominator,
        seen=message.seen,
    )
    state.version += 1
    return message.indicator, message.period


def own_values(state: UnitState, period: int) -> tuple[dict[str, float], dict[str, dt.datetime]]:
    """The unit's own metric values and their times in ``period``."""
    values: dict[str, float] = {}
    seen: dict[str, dt.datetime] = {}
    suffix = f"|{period}"
    for cell_key, cell in state.own.items():
        if cell_key.endswith(suffix):
            metric = cell_key[: -len(suffix)]
            values[metric], seen[metric] = cell.value, cell.ts
    return values, seen


def inputs(
    catalog: Catalog,
    state: UnitState,
    unit: str,
    indicator: Indicator,
    period: int,
    day: dt.date,
    own: tuple[dict[str, float], dict[str, dt.datetime]] | None = None,
) -> Inputs:
    """The unit's inputs for ``indicator``: its own values combined with its children's (valid on ``day``).

    ``own`` is :func:`own_values`, for a caller that needs many indicators of one state; without it only the
    indicator's own metrics are looked up (the rest of the unit's values would not count anyway).
    """
    if own is None:
        values: dict[str, float] = {}
        seen: dict[str, dt.datetime] = {}
        for metric in indicator.metrics:
            if (cell := state.own.get(key(metric, period))) is not None:
                values[metric], seen[metric] = cell.value, cell.ts
    else:
        values, seen = own
    children = state.children.get(key(indicator.code, period))
    # Without any child's inputs there is nothing to look up (most units have no children at all).
    below = (
        [
            (c.numerator, c.denominator, c.seen)
            for child in catalog.children_on(unit, day)
            if (c := children.get(child)) is not None
        ]
        if children
        else []
    )
    return combine(indicator, values, seen, below)


def newest(state: UnitState, indicator: Indicator, period: int) -> dt.datetime | None:
    """The newest time of any data behind the unit's ``indicator`` in ``period``."""
    times = [cell.ts for m in indicator.metrics if (cell := state.own.get(key(m, period))) is not None]
    times.extend(c.ts for c in state.children.get(key(indicator.code, period), {}).values())
    return max(times, default=None)


def latest_in(state: UnitState, period: int) -> dt.datetime | None:
    """The newest time of any data the unit holds for ``period``: the moment it is evaluated at."""
    suffix = f"|{period}"
    times = [cell.ts for k, cell in state.own.items() if k.endswith(suffix)]
    times.extend(c.ts for k, by_child in state.children.items() if k.endswith(suffix) for c in by_child.values())
    return max(times, default=None)
