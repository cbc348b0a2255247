"""One batch of messages in, state changes and outputs out: the worker's logic without Faust or I/O.

Messages come from two co-partitioned topics keyed by unit code: ``qndti.observations`` (Observation v1 from
connectors) and ``qndti.rollup`` (children's effective values sent to their parent). The agent in
:mod:`streams.app` feeds batches here and writes what comes back: table states, rollup messages, dead letters and
indicator rows for the sink.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import msgspec

from index_engine.catalog import Catalog
from index_engine.errors import InvalidObservation
from index_engine.observation import decode_observation
from index_engine.results import Scorecard
from index_engine.values import indicator_value
from streams.evaluation import Alert, evaluate_state
from streams.rows import IndicatorRow
from streams.state import (
    MetricKey,
    RollupMessage,
    UnitState,
    apply_contribution,
    apply_observation,
    dump_rollup,
    effective,
    load_rollup,
)


@dataclass(frozen=True, slots=True)
class Message:
    """One Kafka message as the agent received it."""

    topic: str
    key: bytes | None
    value: bytes
    origin: str
    """``topic/partition/offset``, kept on dead letters so an operator can find the original."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected message with the reason; ``value`` is the original bytes."""

    key: bytes | None
    value: bytes
    reason: str
    detail: str
    origin: str


@dataclass(slots=True)
class BatchResult:
    """What one batch changed."""

    states: dict[str, UnitState] = field(default_factory=dict)
    rollups: list[tuple[str, bytes]] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    rows: list[IndicatorRow] = field(default_factory=list)
    scorecards: list[Scorecard] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    accepted: int = 0


class BatchProcessor:
    """Applies batches of messages to unit states, using the catalog for validation and indicators."""

    def __init__(self, catalog: Catalog, rollup_topic: str, *, evaluate: bool = True) -> None:
        self.catalog = catalog
        self.rollup_topic = rollup_topic
        self.evaluate = evaluate

    def process(self, messages: Sequence[Message], load: Callable[[str], UnitState], now: dt.datetime) -> BatchResult:
        """Apply ``messages`` in order; ``load`` returns the stored state of a unit, ``now`` is the aware time."""
        result = BatchResult()
        changed: dict[str, set[MetricKey]] = {}
        for message in messages:
            applied = self._apply(message, result, load, now)
            if applied is not None:
                unit, metric_key = applied
                changed.setdefault(unit, set()).add(metric_key)
                # Rows after every change, so each time bucket holds the value after its last event in
                # partition order, whatever the batch boundaries (the sink keeps one row per bucket).
                self._rows(unit, result.states[unit], metric_key, result)
        for unit, keys in changed.items():
            state = result.states[unit]
            self._rollups(unit, state, keys, result)
            if self.evaluate:
                newest = max((t for m, p in keys if (t := _newest(state, m, p)) is not None), default=None)
                if newest is None:
                    continue
                card, alerts = evaluate_state(self.catalog, unit, state, newest)
                result.scorecards.append(card)
                result.alerts.extend(alerts)
        return result

    def _state(self, unit: str, result: BatchResult, load: Callable[[str], UnitState]) -> UnitState:
        state = result.states.get(unit)
        if state is None:
            state = result.states[unit] = load(unit)
        return state

    def _apply(
        self, message: Message, result: BatchResult, load: Callable[[str], UnitState], now: dt.datetime
    ) -> tuple[str, MetricKey] | None:
        def reject(reason: str, detail: str) -> None:
            result.dead_letters.append(DeadLetter(message.key, message.value, reason, detail, message.origin))

        if message.topic == self.rollup_topic:
            try:
                contribution = load_rollup(message.value)
            except (msgspec.DecodeError, UnicodeDecodeError) as exc:
                reject("bad_rollup", str(exc))
                return None
            parent = (message.key or b"").decode("utf-8", "replace")
            if parent not in self.catalog.units or contribution.child not in self.catalog.units:
                reject("bad_rollup", f"unit {parent!r} or child {contribution.child!r} is not in the catalog")
                return None
            changed = apply_contribution(self._state(parent, result, load), contribution)
            return None if changed is None else (parent, changed)
        try:
            obs = decode_observation(message.value, self.catalog, now)
        except InvalidObservation as exc:
            reject(exc.reason, exc.detail)
            return None
        if message.key is not None and message.key != obs.unit.encode():
            reject("key_mismatch", f"message key {message.key!r} is not the unit code {obs.unit!r}")
            return None
        result.accepted += 1
        changed = apply_observation(self._state(obs.unit, result, load), obs)
        return None if changed is None else (obs.unit, changed)

    def _rollups(self, unit: str, state: UnitState, keys: set[MetricKey], result: BatchResult) -> None:
        parent = self.catalog.units[unit].parent
        if parent is None:
            return
        for metric, period in sorted(keys):
            current = effective(state, metric, period)
            if current is not None:
                value, ts = current
                message = RollupMessage(
                    child=unit, metric=metric, period=period, version=state.version, ts=ts, value=value
                )
                result.rollups.append((parent, dump_rollup(message)))

    def _rows(self, unit: str, state: UnitState, key: MetricKey, result: BatchResult) -> None:
        metric, period = key
        for indicator in self.catalog.indicators_reading(metric):
            numerator = effective(state, indicator.numerator, period)
            denominator = None if indicator.denominator is None else effective(state, indicator.denominator, period)
            times = [v[1] for v in (numerator, denominator) if v is not None]
            result.rows.append(
                IndicatorRow(
                    indicator_code=indicator.code,
                    unit_code=unit,
                    period=period,
                    ts=max(times),
                    value=indicator_value(
                        indicator,
                        None if numerator is None else numerator[0],
                        None if denominator is None else denominator[0],
                    ),
                    numerator=None if numerator is None else numerator[0],
                    denominator=None if denominator is None else denominator[0],
                    version=state.version,
                )
            )


def _newest(state: UnitState, metric: str, period: int) -> dt.datetime | None:
    current = effective(state, metric, period)
    return None if current is None else current[1]
