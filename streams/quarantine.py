"""Decisions on quarantined observations: list them, accept them (sent again, marked, then applied), reject them.

An accepted observation goes back to the observations topic with its original key and bytes and the header
:data:`streams.processor.ACCEPTED_HEADER`, so the worker applies it without checking its plausibility again; it
is marked accepted only once the broker has acknowledged it. A rejected one stays out for good.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from aiokafka import AIOKafkaProducer

from streams.processor import ACCEPTED_HEADER

Conn = psycopg.Connection[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Held:
    """A quarantined observation still waiting for a decision (``dti.quarantine_open``)."""

    id: str
    ts: dt.datetime
    source: str
    metric_code: str
    unit_code: str
    value: float
    revision: int
    reason: str
    detail_vi: str
    detail_en: str


def held(conn: Conn, *, unit: str | None = None, source: str | None = None, limit: int = 100) -> list[Held]:
    """The observations held, newest first, optionally of one unit or source."""
    rows = conn.execute(
        "SELECT id, ts, source, metric_code, unit_code, value, revision, reason, detail_vi, detail_en"
        " FROM dti.quarantine_open WHERE (%(unit)s::text IS NULL OR unit_code = %(unit)s)"
        " AND (%(source)s::text IS NULL OR source = %(source)s) ORDER BY ts DESC, id LIMIT %(limit)s",
        {"unit": unit, "source": source, "limit": limit},
    ).fetchall()
    return [Held(*row) for row in rows]


class NotHeld(LookupError):
    """An id given is not an observation held in quarantine (unknown, or decided already)."""


def _pending(conn: Conn, ids: Sequence[str]) -> list[tuple[str, dt.datetime, str, bytes]]:
    rows = conn.execute(
        "SELECT q.id, q.ts, q.unit_code, q.payload FROM dti.quarantine AS q"
        " JOIN dti.quarantine_open AS o ON o.id = q.id AND o.ts = q.ts WHERE q.id = ANY(%s)",
        (list(ids),),
    ).fetchall()
    missing = sorted(set(ids) - {str(r[0]) for r in rows})
    if missing:
        raise NotHeld(", ".join(missing))
    return [(str(i), ts, str(unit), bytes(payload)) for i, ts, unit, payload in rows]


async def _send(options: Mapping[str, Any], topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(acks="all", **options)
    await producer.start()
    try:
        pending = [
            await producer.send(topic, payload, key=unit.encode(), headers=[(ACCEPTED_HEADER, b"1")])
            for unit, payload in messages
        ]
        for sent in pending:
            await sent
    finally:
        await producer.stop()


async def accept(conn: Conn, options: Mapping[str, Any], topic: str, ids: Sequence[str], by: str) -> int:
    """Send the held observations ``ids`` to ``topic`` to be applied, then mark them accepted; return how many."""
    rows = _pending(conn, ids)
    await _send(options, topic, [(unit, payload) for _, _, unit, payload in rows])
    _decide(conn, rows, "accepted", by)
    return len(rows)


def reject(conn: Conn, ids: Sequence[str], by: str) -> int:
    """Mark the held observations ``ids`` rejected: they stay out of every value; return how many."""
    rows = _pending(conn, ids)
    _decide(conn, rows, "rejected", by)
    return len(rows)


def _decide(conn: Conn, rows: Sequence[tuple[str, dt.datetime, str, bytes]], status: str, by: str) -> None:
    with conn.transaction():
        for obs_id, ts, _, _ in rows:
            conn.execute(
                "UPDATE dti.quarantine SET status = %s, decided_at = now(), decided_by = %s WHERE id = %s AND ts = %s",
                (status, by, obs_id, ts),
            )
