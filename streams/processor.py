"""One batch of messages in, state changes and outputs out: the worker's logic without I/O.

Messages come from two co-partitioned topics keyed by unit code: ``qndti.observations`` (Observation v1 from
connectors) and ``qndti.rollup`` (children's indicator inputs sent to their parent). The worker
(:mod:`streams.worker`) feeds batches here and writes what comes back: indicator rows, scorecards and alerts, the
changed unit states, rollup messages and dead letters. Delta observations whose id was counted before (the
``counted`` ids the worker read from the database) or earlier in the same batch are accepted and change nothing.
An implausible observation (:mod:`index_engine.plausibility`) is quarantined: kept aside with its reason and not
applied, unless its message carries the header :data:`ACCEPTED_HEADER` that ``qndti quarantine accept`` sets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import msgspec

from index_engine.catalog import Catalog
from index_engine.errors import InvalidObservation
from index_engine.observation import Observation, decode_observation
from index_engine.periods import LOCAL_TZ, period_of
from index_engine.plausibility import Problem, check_share, check_value
from index_engine.results import Scorecard
from index_engine.values import indicator_value
from streams.evaluation import Alert, evaluate_state
from streams.rows import IndicatorRow
from streams.state import (
    Counted,
    IndicatorKey,
    RollupMessage,
    UnitState,
    apply_contribution,
    apply_observation,
    dump_rollups,
    figure_of,
    inputs,
    latest_in,
    load_rollups,
    newest,
    replaces_contribution,
)
from streams.tables import bucket_of

ACCEPTED_HEADER = "qndti-accepted"
"""Kafka header of an observation an operator accepted out of quarantine: its plausibility is not checked."""


class Message(msgspec.Struct, frozen=True, gc=False):
    """One Kafka message as the agent received it."""

    topic: str
    key: bytes | None
    value: bytes
    partition: int = 0
    offset: int = 0
    timestamp_ms: int = 0
    """The message's own time (Kafka's timestamp, milliseconds since the epoch)."""
    accepted: bool = False
    """The message carries :data:`ACCEPTED_HEADER`."""

    @property
    def timestamp(self) -> dt.datetime:
        """The message's own time: dead letters are keyed by it with the origin."""
        return dt.datetime.fromtimestamp(self.timestamp_ms / 1000, dt.UTC)

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
    deltas: dict[str, tuple[str, Counted]] = field(default_factory=dict)
    """Delta figures this batch counted or revised: figure → (unit, as counted now); stored in the same transaction."""
    revised: list[Observation] = field(default_factory=list)
    """Observations that replaced an earlier revision of their figure."""
    """Id and unit of each delta observation counted by this batch (stored in the same transaction)."""
    accepted: int = 0
    repeated: int = 0
    """Delta observations whose id was already counted."""
    quarantined: list[tuple[Message, Observation, Problem]] = field(default_factory=list)
    """Implausible observations, kept aside and not applied."""


Decoded = Observation | list[RollupMessage] | DeadLetter
"""A message after decoding: an observation, a child's contributions, or the reason it was rejected."""


class BatchProcessor:
    """Applies batches of messages to unit states, using the catalog for validation and indicators."""

    def __init__(
        self,
        catalog: Catalog,
        rollup_topic: str,
        *,
        evaluate: bool = True,
        bucket: dt.timedelta = dt.timedelta(hours=1),
    ) -> None:
        self.catalog = catalog
        self.rollup_topic = rollup_topic
        self.evaluate = evaluate
        self.bucket = bucket
        """The time bucket of indicator rows: a batch yields one row per indicator, unit and bucket."""
        # Looked up once per observation: computed once here rather than by scanning every indicator.
        self._reading = {code: catalog.indicators_reading(code) for code in catalog.metrics}
        shares = catalog.plausibility.shares
        self._shares = {code: tuple(i for i in self._reading[code] if i.code in shares) for code in catalog.metrics}

    def process(
        self,
        messages: Sequence[Message],
        load: Callable[[str], UnitState],
        now: dt.datetime,
        counted: Mapping[str, Counted] | None = None,
    ) -> BatchResult:
        """Decode and apply ``messages`` in order (see :meth:`decode` and :meth:`apply`)."""
        return self.apply(self.decode(messages, now), load, counted)

    def decode(self, messages: Sequence[Message], now: dt.datetime) -> list[tuple[Message, Decoded]]:
        """Decode and validate each message; ``now`` (aware) bounds how far in the future an observation may be."""
        return [(message, self._decode(message, now)) for message in messages]

    def apply(
        self,
        decoded: Sequence[tuple[Message, Decoded]],
        load: Callable[[str], UnitState],
        counted: Mapping[str, Counted] | None = None,
    ) -> BatchResult:
        """Apply decoded messages in order; ``load`` returns the stored state of a unit.

        ``counted`` holds the delta figures counted by earlier batches, by figure (:func:`streams.state.figure_of`):
        a delta of a counted figure changes something only with a higher revision, which replaces the value counted.
        """
        result = BatchResult()
        changed: dict[str, set[IndicatorKey]] = {}
        rows = _OpenRows(self, result)
        seen = dict(counted or {})
        for message, item in decoded:
            if isinstance(item, DeadLetter):
                result.dead_letters.append(item)
                continue
            if isinstance(item, Observation):
                applied = self._observe(message, item, result, load, seen, rows)
            else:
                applied = self._contribute((message.key or b"").decode(), item, result, load, rows)
            if applied is not None:
                unit, touched = applied
                changed.setdefault(unit, set()).update(touched)
        rows.close_all()
        for unit, keys in changed.items():
            self._finish(unit, result.states[unit], keys, result)
        return result

    def republish(self, states: dict[str, UnitState]) -> BatchResult:
        """Send every input the units hold to their parents again, evaluated anew (after a batch was undone).

        Call it with versions raised above any version sent before: the parents then replace what they hold.
        """
        result = BatchResult(states=dict(states))
        for unit, state in states.items():
            keys = {(i.code, period) for metric, period in state.own for i in self._reading.get(metric, ())}
            keys.update(state.children)
            if keys:
                self._finish(unit, state, keys, result)
        return result

    def _state(self, unit: str, result: BatchResult, load: Callable[[str], UnitState]) -> UnitState:
        state = result.states.get(unit)
        if state is None:
            state = result.states[unit] = load(unit)
        return state

    def _decode(self, message: Message, now: dt.datetime) -> Decoded:
        def reject(reason: str, detail: str) -> DeadLetter:
            return DeadLetter(message.key, message.value, reason, detail, message)

        if message.topic == self.rollup_topic:
            try:
                contributions = load_rollups(message.value)
            except (msgspec.DecodeError, UnicodeDecodeError) as exc:
                return reject("bad_rollup", str(exc))
            parent = (message.key or b"").decode("utf-8", "replace")
            for contribution in contributions:
                if (
                    parent not in self.catalog.units
                    or contribution.child not in self.catalog.units
                    or contribution.indicator not in self.catalog.indicators
                ):
                    return reject(
                        "bad_rollup", f"unit {parent!r}, child or indicator {contribution.indicator!r} is unknown"
                    )
            return contributions
        try:
            obs = decode_observation(message.value, self.catalog, now)
        except InvalidObservation as exc:
            return reject(exc.reason, exc.detail)
        if message.key is not None and message.key != obs.unit.encode():
            return reject("key_mismatch", f"message key {message.key!r} is not the unit code {obs.unit!r}")
        return obs

    def _implausible(self, obs: Observation, state: UnitState, period: int) -> Problem | None:
        cell = state.own.get((obs.metric, period))
        problem = check_value(self.catalog.plausibility, obs, None if cell is None else cell.value)
        for indicator in self._shares[obs.metric]:
            if problem is not None:
                break
            other = indicator.denominator if obs.metric == indicator.numerator else indicator.numerator
            partner = state.own.get((other or "", period))
            problem = check_share(indicator, obs, None if partner is None else (partner.ts, partner.value))
        return problem

    def _observe(
        self,
        message: Message,
        obs: Observation,
        result: BatchResult,
        load: Callable[[str], UnitState],
        seen: dict[str, Counted],
        rows: _OpenRows,
    ) -> tuple[str, list[IndicatorKey]] | None:
        state = self._state(obs.unit, result, load)
        period = period_of(obs.ts)
        problem = None if message.accepted else self._implausible(obs, state, period)
        if problem is not None:
            result.quarantined.append((message, obs, problem))
            return None
        result.accepted += 1
        replaces: Counted | None = None
        if obs.kind == "delta":
            figure = figure_of(obs)
            replaces = seen.get(figure)
            # A figure counted before its revision was kept (metric unknown) cannot be corrected: kept as counted.
            if replaces is not None and (obs.revision <= replaces.revision or not replaces.metric):
                result.repeated += 1
                if obs.revision < replaces.revision:
                    result.observations.append(obs)  # an older version arriving late: history, not counted
                return None
            seen[figure] = counted = Counted(obs.revision, obs.metric, period, obs.value)
            result.deltas[figure] = (obs.unit, counted)
            if replaces is not None:
                result.revised.append(obs)
        else:
            cell = state.own.get((obs.metric, period))
            if cell is not None and cell.ts == obs.ts and obs.revision > cell.revision:
                result.revised.append(obs)
        result.observations.append(obs)
        keys = [(i.code, period) for i in self._reading[obs.metric]]
        rows.before(obs.unit, state, keys, obs.ts)
        changed_metric = apply_observation(state, obs, replaces, period)
        if changed_metric is None:
            return None
        if replaces is not None and (replaces.metric, replaces.period) != changed_metric:
            keys.extend((i.code, replaces.period) for i in self._reading[replaces.metric])
        rows.after(obs.unit, state, keys)
        return obs.unit, keys

    def _contribute(
        self,
        parent: str,
        contributions: list[RollupMessage],
        result: BatchResult,
        load: Callable[[str], UnitState],
        rows: _OpenRows,
    ) -> tuple[str, list[IndicatorKey]] | None:
        if not contributions:
            return None
        state = self._state(parent, result, load)
        changed: list[IndicatorKey] = []
        for contribution in contributions:
            if not replaces_contribution(state, contribution):
                continue
            key = (contribution.indicator, contribution.period)
            rows.before(parent, state, (key,), contribution.ts)
            apply_contribution(state, contribution)
            rows.after(parent, state, (key,))
            changed.append(key)
        return (parent, changed) if changed else None

    def row(self, unit: str, state: UnitState, key: IndicatorKey) -> IndicatorRow | None:
        """The indicator's value for the unit as the state holds it now, timed by its newest data."""
        code, period = key
        indicator = self.catalog.indicators[code]
        ts = newest(state, indicator, period)
        if ts is None:
            return None
        numerator, denominator, _ = inputs(self.catalog, state, unit, indicator, period, _day(ts))
        return IndicatorRow(
            indicator_code=code,
            unit_code=unit,
            period=period,
            ts=ts,
            value=indicator_value(indicator, numerator, denominator),
            numerator=numerator,
            denominator=denominator,
            version=state.version,
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
            card, alerts = evaluate_state(self.catalog, unit, state, latest, only={code for code, _ in touched})
            result.scorecards.append(card)
            result.alerts.extend(alerts)


class _OpenRows:
    """The indicator rows of one batch: one per indicator, unit and time bucket, as of its bucket's last change.

    A row is computed when the data behind it moves on to a later bucket (before that change is applied) and, for
    the buckets still open, at the end of the batch: so each bucket holds the value after its last event in
    partition order, whatever the batch boundaries, and a key changed many times in a bucket is computed once.
    The newest time behind a key never goes back (cells and contributions keep their newest time), so a bucket,
    once left, is not written again in the batch.
    """

    def __init__(self, processor: BatchProcessor, result: BatchResult) -> None:
        self.processor = processor
        self.result = result
        self.bucket = processor.bucket
        self.ends: dict[tuple[str, IndicatorKey], dt.datetime] = {}
        """The end of the bucket of each open row, by unit and indicator key."""

    def before(self, unit: str, state: UnitState, keys: Iterable[IndicatorKey], ts: dt.datetime) -> None:
        """Write the open rows that a change at ``ts`` moves to a later bucket, as they stand before it."""
        for key in keys:
            end = self.ends.get((unit, key))
            if end is not None and ts >= end:
                self._write(unit, state, key)

    def after(self, unit: str, state: UnitState, keys: Iterable[IndicatorKey]) -> None:
        """Open a row for each changed key that has none open."""
        for key in keys:
            if (unit, key) not in self.ends:
                ts = newest(state, self.processor.catalog.indicators[key[0]], key[1])
                if ts is not None:
                    self.ends[(unit, key)] = bucket_of(ts, self.bucket) + self.bucket

    def close_all(self) -> None:
        """Write every row still open, as of the end of the batch."""
        for unit, key in list(self.ends):
            self._write(unit, self.result.states[unit], key)

    def _write(self, unit: str, state: UnitState, key: IndicatorKey) -> None:
        del self.ends[(unit, key)]
        row = self.processor.row(unit, state, key)
        if row is not None:
            self.result.rows.append(row)


def _day(ts: dt.datetime) -> dt.date:
    return ts.astimezone(LOCAL_TZ).date()
