import asyncio
import threading
from typing import Any

import pytest

from streams.committer import Committer


class Connection:
    """Stands for the writer connection: the committer only opens, hands over and closes it."""

    def __init__(self) -> None:
        self.closed = False
        self.thread = threading.get_ident()

    async def close(self) -> None:
        self.closed = True


class Opener:
    """The committer's ``connect``: opens a new :class:`Connection` each time and keeps them all."""

    def __init__(self) -> None:
        self.opened: list[Connection] = []

    async def __call__(self) -> Any:
        self.opened.append(Connection())
        return self.opened[-1]


def test_a_write_runs_on_the_committer_thread_with_one_connection_and_returns_its_result() -> None:
    connect = Opener()
    opened = connect.opened

    async def step(conn: Any) -> tuple[int, int]:
        await asyncio.sleep(0)
        return threading.get_ident(), id(conn)

    async def scenario() -> None:
        committer = Committer(connect)
        try:
            first = await committer.run(step, 5)
            second = await committer.run(step, 5)
            assert first == second  # the same thread and the same connection for both writes
            assert first[0] != threading.get_ident()
            assert len(opened) == 1
            assert opened[0].thread == first[0]  # opened on the committer's thread
        finally:
            await committer.close()
        assert opened[0].closed

    asyncio.run(scenario())


def test_an_error_of_a_write_reaches_the_caller_and_a_dropped_connection_is_opened_again() -> None:
    connect = Opener()
    opened = connect.opened

    async def refuse(conn: Any) -> None:
        raise ValueError("refused")

    async def noop(conn: Any) -> None:
        return None

    async def scenario() -> None:
        committer = Committer(connect)
        try:
            with pytest.raises(ValueError, match="refused"):
                await committer.run(refuse, 5)
            await committer.drop()
            assert opened[0].closed
            await committer.run(noop, 5)
            assert len(opened) == 2
        finally:
            await committer.close()

    asyncio.run(scenario())


def test_a_write_the_database_never_answers_fails_with_a_timeout_and_the_next_one_runs() -> None:
    connect = Opener()
    opened = connect.opened

    async def hang(conn: Any) -> None:
        await asyncio.Event().wait()  # a server that took the statement and never answers

    async def noop(conn: Any) -> str:
        return "written"

    async def scenario() -> None:
        committer = Committer(connect)
        try:
            with pytest.raises(TimeoutError, match=r"did not answer within 0\.2 s"):
                await committer.run(hang, 0.2)
            await committer.drop()
            assert await committer.run(noop, 5) == "written"
            assert len(opened) == 2
        finally:
            await committer.close()

    asyncio.run(scenario())
