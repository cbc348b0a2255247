"""The worker's database writes, on a thread of their own, so that a batch commits while the next one is prepared.

The worker's event loop spends seconds at a time in pure Python at full load (decoding and applying a batch). A
transaction driven from that loop would leave the database waiting between its statements until the loop came
back. The committer owns the connection the worker writes through and runs every write on its own thread and event
loop: each statement goes out as soon as the one before answers, and the Python side of the commit shares the
interpreter with the worker's (the interpreter switches threads every few milliseconds).

Only the committer touches its connection; what a write is given (rows, offsets) is not changed afterwards.

Every write, and every read the worker makes, is bounded in time (:func:`within`): a database that stops
answering without closing its connections (a frozen server, a network that drops packets) fails the step with
:class:`TimeoutError`, one of the transient errors the worker retries within its budget, instead of holding the
worker forever.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import psycopg

from streams.sink import Connection

log = logging.getLogger(__name__)

T = TypeVar("T")

Connect = Callable[[], Awaitable[Connection]]
"""Opens the writer connection (on the committer's thread)."""


class Committer:
    """A thread with its own event loop and the worker's writer connection (opened on first use)."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect
        self._conn: Connection | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="qndti-commit", daemon=True)
        self._thread.start()

    async def run(self, step: Callable[[Connection], Awaitable[T]], timeout: float) -> T:
        """Run ``step`` with the writer connection on the committer's thread and return what it returns.

        Opening the connection and the step together get ``timeout`` seconds (see :func:`within`).
        """
        write = within(timeout, self._with_connection(step))
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(write, self._loop))

    async def drop(self) -> None:
        """Close the writer connection (after an error: the next write opens a new one)."""
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._close_connection(), self._loop))

    async def close(self) -> None:
        """Close the connection and stop the thread."""
        await self.drop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._loop.close()

    async def _with_connection(self, step: Callable[[Connection], Awaitable[T]]) -> T:
        if self._conn is None or self._conn.closed:
            self._conn = await self._connect()
        return await step(self._conn)

    async def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        await close_quietly(conn)


async def within(seconds: float, work: Awaitable[T]) -> T:
    """Await ``work`` for at most ``seconds``; past that it is cancelled and :class:`TimeoutError` raised.

    psycopg answers the cancellation by asking the server to cancel the statement, for a few seconds at most with
    the libpq of its binary package (17 or later, which bounds that request too), so the error comes a little
    after ``seconds`` when the server does not answer at all.
    """
    try:
        return await asyncio.wait_for(work, seconds)
    except TimeoutError as exc:
        raise TimeoutError(f"the database did not answer within {seconds:g} s") from exc


async def close_quietly(conn: Connection | None) -> None:
    """Close ``conn`` if there is one; a connection already broken is only logged (at debug level)."""
    if conn is None:
        return
    try:
        await conn.close()
    except psycopg.Error:
        log.debug("closing a broken database connection failed", exc_info=True)
