"""Database rows from what a batch produced: statuses and scores, alerts, observations and dead letters.

Indicator values come from :mod:`streams.processor` directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from index_engine.alerts import AlertKind
from index_engine.catalog import Catalog
from index_engine.explain import explain_alert
from index_engine.observation import Observation
from index_engine.plausibility import Problem
from index_engine.results import Scorecard
from streams.evaluation import Alert
from streams.processor import DeadLetter, Message
from streams.rows import (
    OVERALL,
    AlertAction,
    AlertRow,
    DeadLetterRow,
    IndicatorRow,
    QuarantineRow,
    Row,
    StatusRow,
    UnitScoreRow,
)
from streams.state import UnitState


def scorecard_rows(catalog: Catalog, card: Scorecard, state: UnitState) -> Iterator[Row]:
    """Status rows of indicators whose status, score or value changed; score rows of the pillars and the index.

    Skipping unchanged statuses keeps the rows per event low: a unit's scorecard is evaluated whenever any of its
    data changes, but most of its indicators stay as they were.
    """
    version = state.version
    for r in card.results:
        written = (r.status.value, r.score, r.value)
        memory = state.memory_of(r.indicator)
        if memory.written == written and memory.written_period == r.period:
            continue
        memory.written, memory.written_period = written, r.period
        state.changed_memory.add(r.indicator)
        yield StatusRow(
            indicator_code=r.indicator,
            unit_code=r.unit,
            period=r.period,
            ts=card.at,
            status=r.status.value,
            score=r.score,
            attainment=r.attainment,
            baseline=r.baseline,
            target=r.target,
            expected=r.expected,
            projected=r.projected,
            progress=r.progress,
            shortfall=r.shortfall,
            fresh=r.fresh,
            version=version,
        )
    for pillar in card.index.pillars:
        if pillar.applicable:
            yield UnitScoreRow(
                unit_code=card.unit,
                pillar=pillar.pillar,
                period=card.period,
                ts=card.at,
                score=pillar.score,
                coverage=pillar.coverage,
                version=version,
                weight=pillar.weight,
            )
    yield UnitScoreRow(
        unit_code=card.unit,
        pillar=OVERALL,
        period=card.period,
        ts=card.at,
        score=card.index.value,
        coverage=card.index.weight_used,
        version=version,
        points=card.index.points,
        peer_group=catalog.units[card.unit].peer_group,
    )


def alert_rows(alert: Alert) -> Iterator[AlertRow]:
    """One row per alert kind raised or resolved."""
    why = explain_alert(alert.decision, alert.result)
    actions: tuple[tuple[AlertAction, tuple[AlertKind, ...]], ...] = (
        ("raised", alert.decision.raised),
        ("resolved", alert.decision.resolved),
    )
    for action, kinds in actions:
        for kind in kinds:
            yield AlertRow(
                indicator_code=alert.decision.indicator,
                unit_code=alert.decision.unit,
                kind=kind.value,
                action=action,
                ts=alert.at,
                status=alert.decision.status.value,
                message_vi=why.text_vi,
                message_en=why.text_en,
                notify=alert.decision.notify,
            )


def dead_letter_row(letter: DeadLetter) -> DeadLetterRow:
    """A dead letter as the database keeps it, keyed by its origin and the original message's time."""
    return DeadLetterRow(
        topic=letter.message.topic,
        partition=letter.message.partition,
        offset=letter.message.offset,
        ts=letter.message.timestamp,
        reason=letter.reason,
        payload=letter.value,
        detail=letter.detail,
    )


def row_json(row: IndicatorRow) -> bytes:
    """An indicator value as published on ``qndti.indicator-values`` (key ``indicator|unit``)."""
    return msgspec.json.encode(
        {
            "indicator": row.indicator_code,
            "unit": row.unit_code,
            "period": row.period,
            "ts": row.ts,
            "value": row.value,
            "numerator": row.numerator,
            "denominator": row.denominator,
            "version": row.version,
        }
    )


def quarantine_row(message: Message, obs: Observation, problem: Problem) -> QuarantineRow:
    """An implausible observation as the database keeps it, with its reason and original bytes."""
    return QuarantineRow(
        id=obs.id,
        ts=obs.ts,
        source=obs.source,
        metric_code=obs.metric,
        unit_code=obs.unit,
        kind=obs.kind,
        value=obs.value,
        revision=obs.revision,
        reason=problem.reason,
        detail_vi=problem.detail_vi,
        detail_en=problem.detail_en,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        payload=message.value,
    )
