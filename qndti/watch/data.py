"""What ``qndti watch`` reads: the public views of schema ``dti`` over one psycopg connection, nothing else.

Error hierarchy::

    WatchError                 the database could not answer (its message is safe to show: no credentials)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, LiteralString, TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from index_engine.periods import LOCAL_TZ
from qndti.watch.rows import AlertRow, FeedRow, IndicatorRow, ScoreRow, TaskSummary, TrendRow, select

OVERALL: Final = "INDEX"
"""The ``pillar`` of a unit's composite index in ``dti.unit_score_latest`` and ``dti.unit_score_series``."""

TREND_POINTS: Final = 48
"""How many of the newest stored index buckets the overview's trend shows."""

ALERT_FEED: Final = 50
"""How many of the newest alert events (raised or resolved) the overview keeps."""

_Row = TypeVar("_Row")


class WatchError(Exception):
    """The database did not answer; the message says why without the URL or any credential."""


@dataclass(frozen=True)
class Overview:
    """Everything the overview screen shows, read in one refresh."""

    root: str
    index: ScoreRow | None
    trend: tuple[TrendRow, ...]
    pillars: tuple[ScoreRow, ...]
    root_indicators: tuple[IndicatorRow, ...]
    ranked: tuple[ScoreRow, ...]
    indicators: tuple[IndicatorRow, ...]
    alerts: tuple[AlertRow, ...]
    """The open alerts."""
    feed: tuple[FeedRow, ...] = ()
    """The newest alert events, raised and resolved, newest first."""
    tasks: TaskSummary | None = None
    """The tasks of the newest plan year with tasks up to today; ``None`` when no plan has tasks."""


@dataclass(frozen=True)
class Scorecard:
    """One unit's index, pillar scores, indicators and open alerts."""

    unit: str
    index: ScoreRow | None
    pillars: tuple[ScoreRow, ...]
    indicators: tuple[IndicatorRow, ...]
    alerts: tuple[AlertRow, ...]


@dataclass(frozen=True)
class Units:
    """The units and indicators the views hold, to step through on the scorecard and indicator screens."""

    units: tuple[tuple[str, str], ...]
    """(code, Vietnamese name), the root first, then by code."""
    indicators: tuple[tuple[str, str], ...]
    """(code, Vietnamese name), by code."""


_SCORES: Final = select(ScoreRow, "unit_score_latest")
_INDICATORS: Final = select(IndicatorRow, "indicator_latest")
_ALERTS: Final = select(AlertRow, "alerts_open")
_FEED: Final = select(FeedRow, "alert_feed") + sql.SQL(" ORDER BY ts DESC, action, code LIMIT %s")
_TASKS: Final = sql.SQL(
    "SELECT period, count(*), count(*) FILTER (WHERE done), count(*) FILTER (WHERE overdue),"
    " count(*) FILTER (WHERE status = 'at_risk') FROM dti.task_latest"
    " WHERE period = (SELECT max(period) FROM dti.task_latest WHERE period <= %s) GROUP BY period"
)
_TREND: Final = sql.SQL(
    "SELECT * FROM ({} WHERE unit_code = %s AND pillar = %s ORDER BY bucket DESC LIMIT %s) AS n"
).format(select(TrendRow, "unit_score_series")) + sql.SQL(" ORDER BY bucket")


def _where(query: sql.Composed, clause: LiteralString) -> sql.Composed:
    return query + sql.SQL(" " + clause)


class WatchSource:
    """Reads the views for the screens; connects on first use and again after the connection was lost."""

    def __init__(self, url: str, root: str, timeout: float = 5.0) -> None:
        self._url = url
        self.root = root
        self.timeout = timeout
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def close(self) -> None:
        """Close the connection if one is open."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=max(1, int(self.timeout)), application_name="qndti watch"
            )
        return self._conn

    async def _rows(self, row_type: type[_Row], query: sql.Composed, params: Sequence[object] = ()) -> tuple[_Row, ...]:
        conn = await self._connection()
        async with conn.cursor(row_factory=class_row(row_type)) as cur:
            await cur.execute(query, params)
            return tuple(await cur.fetchall())

    async def _guarded(self, read: Any) -> Any:
        try:
            return await asyncio.wait_for(read, self.timeout * 2)
        except (psycopg.Error, OSError, TimeoutError) as exc:
            await self._drop()
            raise WatchError(_reason(exc)) from exc

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # The connection may be gone already; a new one is made on the next read.
            with contextlib.suppress(psycopg.Error, OSError):
                await conn.close()

    async def overview(self, today: dt.date | None = None) -> Overview:
        """The province's index, trend, pillars and indicators, every unit's rank, all indicators, alerts, tasks.

        ``today`` picks the plan year of the task summary (default: the local day now).
        """
        result: Overview = await self._guarded(self._overview(today or dt.datetime.now(LOCAL_TZ).date()))
        return result

    async def _overview(self, today: dt.date) -> Overview:
        root = self.root
        scores = await self._rows(ScoreRow, _where(_SCORES, "WHERE unit_code = %s ORDER BY pillar"), (root,))
        return Overview(
            root=root,
            index=next((s for s in scores if s.pillar == OVERALL), None),
            trend=await self._rows(TrendRow, _TREND, (root, OVERALL, TREND_POINTS)),
            pillars=tuple(s for s in scores if s.pillar != OVERALL),
            root_indicators=await self._rows(
                IndicatorRow, _where(_INDICATORS, "WHERE unit_code = %s ORDER BY indicator_code"), (root,)
            ),
            ranked=await self._rows(
                ScoreRow,
                _where(_SCORES, "WHERE pillar = %s AND rank IS NOT NULL ORDER BY score, unit_code"),
                (OVERALL,),
            ),
            indicators=await self._rows(IndicatorRow, _where(_INDICATORS, "ORDER BY indicator_code, unit_code")),
            alerts=await self._rows(
                AlertRow, _where(_ALERTS, "ORDER BY ts DESC, indicator_code, unit_code LIMIT %s"), (ALERT_FEED,)
            ),
            feed=await self._rows(FeedRow, _FEED, (ALERT_FEED,)),
            tasks=await self._task_summary(today.year),
        )

    async def _task_summary(self, year: int) -> TaskSummary | None:
        conn = await self._connection()
        async with conn.cursor() as cur:
            await cur.execute(_TASKS, (year,))
            row = await cur.fetchone()
        return None if row is None else TaskSummary(*(int(v) for v in row))

    async def scorecard(self, unit: str) -> Scorecard:
        """A unit's scorecard."""
        result: Scorecard = await self._guarded(self._scorecard(unit))
        return result

    async def _scorecard(self, unit: str) -> Scorecard:
        scores = await self._rows(ScoreRow, _where(_SCORES, "WHERE unit_code = %s ORDER BY pillar"), (unit,))
        return Scorecard(
            unit=unit,
            index=next((s for s in scores if s.pillar == OVERALL), None),
            pillars=tuple(s for s in scores if s.pillar != OVERALL),
            indicators=await self._rows(
                IndicatorRow, _where(_INDICATORS, "WHERE unit_code = %s ORDER BY indicator_code"), (unit,)
            ),
            alerts=await self._rows(AlertRow, _where(_ALERTS, "WHERE unit_code = %s ORDER BY ts DESC"), (unit,)),
        )

    async def indicator(self, code: str) -> tuple[IndicatorRow, ...]:
        """One indicator at every unit that has a value for it."""
        query = _where(_INDICATORS, "WHERE indicator_code = %s ORDER BY unit_code")
        result: tuple[IndicatorRow, ...] = await self._guarded(self._rows(IndicatorRow, query, (code,)))
        return result

    async def units(self) -> Units:
        """The units and indicators that have values."""
        result: Units = await self._guarded(self._units())
        return result

    async def _units(self) -> Units:
        conn = await self._connection()
        units = await (
            await conn.execute(
                "SELECT unit_code, min(coalesce(unit_name_vi, unit_code)) FROM dti.indicator_latest"
                " GROUP BY unit_code ORDER BY unit_code <> %s, unit_code",
                (self.root,),
            )
        ).fetchall()
        indicators = await (
            await conn.execute(
                "SELECT indicator_code, min(coalesce(indicator_name_vi, indicator_code))"
                " FROM dti.indicator_latest GROUP BY indicator_code ORDER BY indicator_code"
            )
        ).fetchall()
        return Units(tuple((str(c), str(n)) for c, n in units), tuple((str(c), str(n)) for c, n in indicators))


def _reason(exc: BaseException) -> str:
    """A one-line reason from a driver error: psycopg's messages name the host and port, never the password."""
    if isinstance(exc, TimeoutError):
        return "hết thời gian chờ / timed out"
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return "chưa có lược đồ dti, hãy chạy / schema dti missing, run: qndti db migrate"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip(": ")


def now_utc() -> dt.datetime:
    """The current time, aware, for ages on screen."""
    return dt.datetime.now(dt.UTC)
