"""One batch of messages in, state changes and outputs out: the worker's logic without Faust or I/O.

Messages come from two co-partitioned topics keyed by unit code: ``qndti.observations`` (Observation v1 from
connectors) and ``qndti.rollup`` (children's indicator inputs sent to their parent). The agent in
:mod:`streams.app` feeds batches here and writes what comes back: indicator rows, scorecards and alerts for the
sink, table states, rollup messages and dead letters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import msgspec

from index_engine.catalog import Catalog
from index_engine.errors import InvalidObservation
from index_engine.observation import Observation, decode_observation
from index_engine.periods import LOCAL_TZ
from index_engine.results import Scorecard
from index_engine.values import indicator_value
from streams.evaluation import Alert, evaluate_state
from streams.rows import IndicatorRow
from streams.state import (
    IndicatorKey,
    RollupMessage,
    UnitState,
    apply_contribution,
    apply_observation,
    dump_rollups,
    inputs,
    latest_in,
    load_rollups,
    newest,
)


@dataclass(frozen=True, slots=True)
class Message:
    """One Kafka message as the agent received it."""

    topic: str
    key: bytes | None
    value: bytes
    partition: int = 0
    offset: int = 0

    @property
    def origin(self) -> str:
        """``topic/partition/offset``, kept on dead letters so an operator can find the original."""
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected message with the reason; ``value`` is the original bytes."""

    key: bytes | None
    value: bytes
    reason: str
    detail: str
    message: Message


@dataclass(slots=True)
class BatchResult:
    """What one batch changed."""

    states: dict[str, UnitState] = field(default_factory=dict)
    rollups: list[tuple[str, bytes]] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    rows: list[IndicatorRow] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    scorecards: list[Scorecard] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    accepted: int = 0


class BatchProcessor:
    """Applies batches of messages to unit states, using the catalog for validation and indicators."""

    def __init__(self, catalog: Catalog, rollup_topic: str, *, evaluate: bool = True) -> None:
        self.catalog = catalog
        self.rollup_topic = rollup_topic
        self.evaluate = evaluate
        # Looked up once per observation: computed once here rather than by scanning every indicator.
        self._reading = {code: catalog.indicators_reading(code) for code in catalog.metrics}

    def process(self, messages: Sequence[Message], load: Callable[[str], UnitState], now: dt.datetime) -> BatchResult:
        """Apply ``messages`` in order; ``load`` returns the stored state of a unit, ``now`` is the aware time."""
        result = BatchResult()
        changed: dict[str, set[IndicatorKey]] = {}
        rolled_up: dict[str, set[IndicatorKey]] = {}
        for message in messages:
            applied = self._apply(message, result, load, now)
            if applied is None:
                continue
            unit, touched = applied
            changed.setdefault(unit, set()).update(touched)
            if message.topic == self.rollup_topic:
                # A parent's inputs are recomputed once per batch, not once per child's message: its
                # intermediate buckets follow arrival order anyway.
                rolled_up.setdefault(unit, set()).update(touched)
            else:
                # Rows after every own change, so each time bucket holds the value after its last event in
                # partition order, whatever the batch boundaries (the sink keeps one row per bucket).
                self._rows(unit, result.states[unit], touched, result)
        for unit, keys in rolled_up.items():
            self._rows(unit, result.states[unit], sorted(keys), result)
        for unit, keys in changed.items():
            self._finish(unit, result.states[unit], keys, result)
        return result

    def _state(self, unit: str, result: BatchResult, load: Callable[[str], UnitState]) -> UnitState:
        state = result.states.get(unit)
        if state is None:
            state = result.states[unit] = load(unit)
        return state

    def _apply(
        self, message: Message, result: BatchResult, load: Callable[[str], UnitState], now: dt.datetime
    ) -> tuple[str, list[IndicatorKey]] | None:
        def reject(reason: str, detail: str) -> None:
            result.dead_letters.append(DeadLetter(message.key, message.value, reason, detail, message))

        if message.topic == self.rollup_topic:
            try:
                contributions = load_rollups(message.value)
            except (msgspec.DecodeError, UnicodeDecodeError) as exc:
                reject("bad_rollup", str(exc))
                return None
            parent = (message.key or b"").decode("utf-8", "replace")
            for contribution in contributions:
                if (
                    parent not in self.catalog.units
                    or contribution.child not in self.catalog.units
                    or contribution.indicator not in self.catalog.indicators
                ):
                    reject("bad_rollup", f"unit {parent!r}, child or indicator {contribution.indicator!r} is unknown")
                    return None
            if not contributions:
                return None
            state = self._state(parent, result, load)
            changed = [key for c in contributions if (key := apply_contribution(state, c)) is not None]
            return (parent, changed) if changed else None
        try:
            obs = decode_observation(message.value, self.catalog, now)
        except InvalidObservation as exc:
            reject(exc.reason, exc.detail)
            return None
        if message.key is not None and message.key != obs.unit.encode():
            reject("key_mismatch", f"message key {message.key!r} is not the unit code {obs.unit!r}")
            return None
        result.accepted += 1
        result.observations.append(obs)
        changed_metric = apply_observation(self._state(obs.unit, result, load), obs)
        if changed_metric is None:
            return None
        metric, period = changed_metric
        return obs.unit, [(i.code, period) for i in self._reading[metric]]

    def _rows(self, unit: str, state: UnitState, touched: list[IndicatorKey], result: BatchResult) -> None:
        for code, period in touched:
            indicator = self.catalog.indicators[code]
            ts = newest(state, indicator, period)
            if ts is None:
                continue
            numerator, denominator, _ = inputs(self.catalog, state, unit, indicator, period, _day(ts))
            result.rows.append(
                IndicatorRow(
                    indicator_code=code,
                    unit_code=unit,
                    period=period,
                    ts=ts,
                    value=indicator_value(indicator, numerator, denominator),
                    numerator=numerator,
                    denominator=denominator,
                    version=state.version,
                )
            )

    def _finish(self, unit: str, state: UnitState, touched: set[IndicatorKey], result: BatchResult) -> None:
        """Send the unit's new inputs to its parent and evaluate it as of its newest data."""
        parent = self.catalog.units[unit].parent
        # One rollup message per child and batch, with every indicator that changed: fewer, larger messages.
        rollups: list[RollupMessage] = []
        for code, period in sorted(touched):
            indicator = self.catalog.indicators[code]
            ts = newest(state, indicator, period)
            if ts is None:
                continue
            if parent is not None:
                numerator, denominator, seen = inputs(self.catalog, state, unit, indicator, period, _day(ts))
                rollups.append(
                    RollupMessage(
                        child=unit,
                        indicator=code,
                        period=period,
                        version=state.version,
                        ts=ts,
                        numerator=numerator,
                        denominator=denominator,
                        seen=seen,
                    )
                )
        if parent is not None and rollups:
            result.rollups.append((parent, dump_rollups(rollups)))
        if not self.evaluate:
            return
        # As of the newest data the unit holds in the newest period it changed in, whatever arrived last.
        latest = latest_in(state, max(period for _, period in touched))
        if latest is not None:
            card, alerts = evaluate_state(self.catalog, unit, state, latest)
            result.scorecards.append(card)
            result.alerts.extend(alerts)


def _day(ts: dt.datetime) -> dt.date:
    return ts.astimezone(LOCAL_TZ).date()
