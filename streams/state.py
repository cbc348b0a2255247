"""Per-unit streaming state: metric cells from the unit's own observations and its children's contributions.

Every update is idempotent, so at-least-once delivery and replays cannot corrupt it:

- ``cumulative`` and ``gauge`` cells keep the observation with the newest ``ts`` (a tie keeps the first);
- ``delta`` cells add each observation id once, into the period of the observation's event time;
- a child's contribution carries the child's state version, and only a newer version replaces an older one.

A unit's effective value for a metric and period is its own cell when it has one, else the sum of its
children's contributions (DESIGN.md: a province total reported directly is never double counted).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import msgspec

from index_engine.alerts import AlertState
from index_engine.observation import Observation
from index_engine.periods import period_of

MetricKey = tuple[str, int]
"""A metric code and a period (local year)."""


class Cell(msgspec.Struct, array_like=True):
    """One metric of one unit in one period, from the unit's own observations."""

    ts: dt.datetime
    value: float
    ids: list[str] = []


class Contribution(msgspec.Struct, array_like=True):
    """A child's effective value for one metric and period, as the child last published it."""

    version: int
    ts: dt.datetime
    value: float | None


class UnitState(msgspec.Struct):
    """Everything the worker keeps about one unit; the value of the Faust table keyed by unit code."""

    version: int = 0
    own: dict[str, Cell] = {}
    children: dict[str, dict[str, Contribution]] = {}
    """Contributions by metric key (``metric|period``), then by child code."""
    history: dict[str, list[tuple[dt.datetime, float]]] = {}
    """Daily indicator values by ``indicator|period``, for the projected end value."""
    alerts: dict[str, AlertState] = {}
    """Alert hysteresis by indicator code."""


class RollupMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A child's effective metric value sent to its parent through ``qndti.rollup`` (key = parent code)."""

    child: str
    metric: str
    period: int
    version: int
    ts: dt.datetime
    value: float | None


_state_encoder: Final = msgspec.msgpack.Encoder()
_state_decoder: Final = msgspec.msgpack.Decoder(UnitState)
_rollup_encoder: Final = msgspec.json.Encoder()
_rollup_decoder: Final = msgspec.json.Decoder(RollupMessage)


def dump_state(state: UnitState) -> bytes:
    """Serialise a unit's state for the table changelog."""
    return _state_encoder.encode(state)


def load_state(raw: bytes | None) -> UnitState:
    """Deserialise a unit's state; ``None`` is a unit never seen."""
    return UnitState() if raw is None else _state_decoder.decode(raw)


def dump_rollup(message: RollupMessage) -> bytes:
    """Serialise a rollup message."""
    return _rollup_encoder.encode(message)


def load_rollup(raw: bytes) -> RollupMessage:
    """Deserialise a rollup message."""
    return _rollup_decoder.decode(raw)


def _key(metric: str, period: int) -> str:
    return f"{metric}|{period}"


def apply_observation(state: UnitState, obs: Observation) -> MetricKey | None:
    """Fold one observation into its unit's state; return the changed metric key, or None if nothing changed."""
    period = period_of(obs.ts)
    key = _key(obs.metric, period)
    cell = state.own.get(key)
    if obs.kind == "delta":
        if cell is None:
            state.own[key] = Cell(ts=obs.ts, value=obs.value, ids=[obs.id])
        elif obs.id in cell.ids:
            return None
        else:
            cell.ids.append(obs.id)
            cell.value += obs.value
            cell.ts = max(cell.ts, obs.ts)
    elif cell is None or obs.ts > cell.ts:
        state.own[key] = Cell(ts=obs.ts, value=obs.value)
    else:
        return None
    state.version += 1
    return obs.metric, period


def apply_contribution(state: UnitState, message: RollupMessage) -> MetricKey | None:
    """Fold a child's contribution into its parent's state; return the changed metric key or None."""
    by_child = state.children.setdefault(_key(message.metric, message.period), {})
    current = by_child.get(message.child)
    if current is not None and current.version >= message.version:
        return None
    by_child[message.child] = Contribution(version=message.version, ts=message.ts, value=message.value)
    state.version += 1
    return message.metric, message.period


def effective(state: UnitState, metric: str, period: int) -> tuple[float, dt.datetime] | None:
    """The unit's value and newest time for a metric and period: its own, else its children's sum."""
    cell = state.own.get(_key(metric, period))
    if cell is not None:
        return cell.value, cell.ts
    found = [c for c in state.children.get(_key(metric, period), {}).values() if c.value is not None]
    if not found:
        return None
    return sum(c.value for c in found if c.value is not None), max(c.ts for c in found)
