"""``sql`` against the real PostgreSQL of the test session, producing to the real Kafka broker."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest

from connectors.adapters.sql import SqlConnector
from connectors.config import SourceConfig
from connectors.errors import ConfigError
from connectors.runner import SourceLoop, SourceState
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.connectors_support import CATALOG, KafkaEmitter, read_topic, sample, source

pytestmark = pytest.mark.integration

QUERY = """
SELECT don_vi, cap_nhat, so_ho_so, truc_tuyen FROM bao_cao
 WHERE cap_nhat > %(watermark)s ORDER BY cap_nhat
"""
T0 = dt.datetime(2023, 6, 30, 10, tzinfo=dt.UTC)


@pytest.fixture
def his(database_url: str) -> str:
    """A reporting table in the test's own database."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bao_cao (don_vi text, cap_nhat timestamptz, so_ho_so text, truc_tuyen int)")
    return database_url


def insert(url: str, *rows: tuple[str, dt.datetime, object, int]) -> None:
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany("INSERT INTO bao_cao VALUES (%s, %s, %s, %s)", [(u, t, str(n), o) for u, t, n, o in rows])


def sql_source(tmp_path: Path, **options: Any) -> SourceConfig:
    return source(
        tmp_path / "sources",
        "his",
        type="sql",
        fields={"unit": "don_vi", "ts": "cap_nhat"},
        metrics={"so_ho_so": "dossier.processed", "truc_tuyen": "dossier.processed_online"},
        options={"dsn_env": "HIS_DSN", "query": QUERY, "watermark_column": "cap_nhat", **options},
    )


def test_rows_after_the_watermark_are_produced_once(stack: StackInfo, topics: Topics, tmp_path: Path, his: str) -> None:
    insert(his, ("Hạ Long", T0, 100, 90), ("Cẩm Phả", T0 + dt.timedelta(minutes=1), "1.200", 1000))

    async def scenario() -> list[Any]:
        async with KafkaEmitter(stack.kafka_bootstrap, topics.observations, tmp_path / "state") as kafka:
            connector = SqlConnector(sql_source(tmp_path), CATALOG, {"HIS_DSN": his})
            loop = SourceLoop(connector, kafka.emitter, {}, SourceState("his"))
            await loop.poll_once()
            assert kafka.store.load("his")["watermark"] == (T0 + dt.timedelta(minutes=1)).isoformat()
            insert(his, ("Uông Bí", T0 + dt.timedelta(minutes=2), 50, 45))
            await loop.poll_once()
            await loop.poll_once()  # nothing new
            assert sample(kafka.registry, "qndti_connector_polls_total", source="his", outcome="empty") == 1
            return await read_topic(stack.kafka_bootstrap, topics.observations, 6)

    found = asyncio.run(scenario())
    assert sorted((o.unit, o.metric, o.value) for o in found) == [
        ("CAMPHA", "dossier.processed", 1200.0),
        ("CAMPHA", "dossier.processed_online", 1000.0),
        ("HALONG", "dossier.processed", 100.0),
        ("HALONG", "dossier.processed_online", 90.0),
        ("UONGBI", "dossier.processed", 50.0),
        ("UONGBI", "dossier.processed_online", 45.0),
    ]


def test_a_corrected_row_read_again_after_its_update_time_is_a_higher_revision(
    stack: StackInfo, topics: Topics, tmp_path: Path, database_url: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE so_lieu (don_vi text, ngay date, so_ho_so int, cap_nhat timestamptz)")
        conn.execute("INSERT INTO so_lieu VALUES ('Hạ Long', '2023-06-30', 1000, '2023-07-01T08:00Z')")
        conn.execute("INSERT INTO so_lieu VALUES ('Cô Tô', '2023-06-30', 40, '2023-07-01T08:00Z')")
    query = "SELECT * FROM so_lieu WHERE cap_nhat > %(watermark)s ORDER BY cap_nhat"
    config = source(
        tmp_path / "sources",
        "his",
        type="sql",
        fields={"unit": "don_vi", "ts": "ngay"},
        metrics={"so_ho_so": "dossier.processed"},
        options={"dsn_env": "HIS_DSN", "query": query, "watermark_column": "cap_nhat"},
    )

    async def scenario() -> list[Any]:
        async with KafkaEmitter(stack.kafka_bootstrap, topics.observations, tmp_path / "state") as kafka:
            loop = SourceLoop(
                SqlConnector(config, CATALOG, {"HIS_DSN": database_url}), kafka.emitter, {}, SourceState("his")
            )
            await loop.poll_once()
            with psycopg.connect(database_url, autocommit=True) as conn:  # the system fixes Hạ Long's figure
                conn.execute(
                    "UPDATE so_lieu SET so_ho_so = 1010, cap_nhat = '2023-07-02T08:00Z' WHERE don_vi = 'Hạ Long'"
                )
            await loop.poll_once()
            return await read_topic(stack.kafka_bootstrap, topics.observations, 3)

    found = sorted(asyncio.run(scenario()), key=lambda o: (o.unit, o.revision))
    assert [(o.unit, o.value) for o in found] == [("COTO", 40.0), ("HALONG", 1000.0), ("HALONG", 1010.0)]
    first, corrected = found[1], found[2]
    assert corrected.ts == first.ts
    assert corrected.revision > first.revision
    assert corrected.id != first.id


@pytest.mark.parametrize(
    ("setup", "query", "error_class", "message"),
    [
        ("INSERT INTO bao_cao VALUES ('Hạ Long', '2023-06-30T10:00Z', '-3', 1)", QUERY, "bad_record", "negative"),
        ("INSERT INTO bao_cao VALUES ('Hạ Long', '2023-06-30T10:00Z', 'mười', 1)", QUERY, "bad_record", "not a number"),
        (
            "INSERT INTO bao_cao VALUES ('Hoành Bồ', '2023-06-30T10:00Z', '3', 1)",
            QUERY,
            "bad_record",
            "not in the catalog",
        ),
        ("ALTER TABLE bao_cao RENAME COLUMN so_ho_so TO tong_so", QUERY, "invalid_response", "schema changed"),
        (
            "SELECT 1",
            "WITH w AS (INSERT INTO bao_cao VALUES ('x', now(), '1', 1) RETURNING *) "
            "SELECT * FROM w WHERE cap_nhat > %(watermark)s",
            "invalid_response",
            "read-only",
        ),
    ],
    ids=["negative", "non-numeric", "unknown-unit", "schema-change", "write-attempt"],
)
def test_bad_rows_produce_nothing_and_keep_the_watermark(
    stack: StackInfo, topics: Topics, tmp_path: Path, his: str, setup: str, query: str, error_class: str, message: str
) -> None:
    insert(his, ("Hạ Long", T0 - dt.timedelta(days=1), 10, 9))
    with psycopg.connect(his, autocommit=True) as conn:
        conn.execute(setup)  # type: ignore[arg-type]

    async def scenario() -> list[Any]:
        async with KafkaEmitter(stack.kafka_bootstrap, topics.observations, tmp_path / "state") as kafka:
            start = {"watermark": (T0 - dt.timedelta(hours=1)).isoformat()}
            kafka.store.save("his", start)
            state = SourceState("his")
            connector = SqlConnector(sql_source(tmp_path, query=query), CATALOG, {"HIS_DSN": his})
            await SourceLoop(connector, kafka.emitter, start, state).poll_once()
            assert state.last_error is not None
            assert message in state.last_error
            assert sample(kafka.registry, "qndti_connector_failures_total", source="his", error_class=error_class) == 1
            assert kafka.store.load("his") == start
            return await read_topic(stack.kafka_bootstrap, topics.observations, 0, timeout=1)

    assert asyncio.run(scenario()) == []
    with psycopg.connect(his) as conn:
        assert conn.execute("SELECT count(*) FROM bao_cao WHERE don_vi = 'x'").fetchone() == (0,)


def test_the_watermark_is_bound_never_formatted(tmp_path: Path, his: str) -> None:
    insert(his, ("Hạ Long", T0, 10, 9))
    hostile = {"watermark": "2023-01-01'; DROP TABLE bao_cao; --"}
    connector = SqlConnector(sql_source(tmp_path), CATALOG, {"HIS_DSN": his})
    with pytest.raises(Exception, match="query failed"):
        asyncio.run(connector.poll(hostile, dt.datetime.now(dt.UTC)))
    with psycopg.connect(his) as conn:
        assert conn.execute("SELECT count(*) FROM bao_cao").fetchone() == (1,)


def test_refused_credential_and_missing_parameter(tmp_path: Path, his: str) -> None:
    base, _, rest = his.partition("://")
    _userinfo, _, host = rest.partition("@")
    wrong = f"{base}://nobody:wrong@{host}"
    connector = SqlConnector(sql_source(tmp_path), CATALOG, {"HIS_DSN": wrong})
    with pytest.raises(Exception, match=r"refused the credential|cannot connect") as info:
        asyncio.run(connector.poll({}, dt.datetime.now(dt.UTC)))
    assert "wrong" not in str(info.value)
    with pytest.raises(ConfigError, match=r"field 'options.query'.*%\(watermark\)s"):
        SqlConnector(sql_source(tmp_path, query="SELECT * FROM bao_cao"), CATALOG, {"HIS_DSN": his})
    with pytest.raises(ConfigError, match="environment variable HIS_DSN is not set"):
        SqlConnector(sql_source(tmp_path), CATALOG, {})


def test_any_dbapi_driver_with_its_parameter_style(tmp_path: Path) -> None:
    path = tmp_path / "report.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE bao_cao (don_vi text, cap_nhat text, so_ho_so text, truc_tuyen int)")
        conn.executemany(
            "INSERT INTO bao_cao VALUES (?, ?, ?, ?)",
            [("Hạ Long", "2023-06-30T10:00:00+00:00", "1.000", 900), ("Cô Tô", "2023-06-30T11:00:00+00:00", "50", 40)],
        )
    config = sql_source(tmp_path, driver="sqlite3", initial_watermark="2023-06-30T10:30:00+00:00")
    connector = SqlConnector(config, CATALOG, {"HIS_DSN": str(path)})
    batch = asyncio.run(connector.poll({}, dt.datetime.now(dt.UTC)))
    assert sorted((o.unit, o.value) for o in batch.observations) == [("COTO", 40.0), ("COTO", 50.0)]
    assert batch.checkpoint["watermark"] == "2023-06-30T11:00:00+00:00"
    writer = sql_source(tmp_path, driver="sqlite3", query="DELETE FROM bao_cao WHERE cap_nhat > %(watermark)s")
    asyncio.run(SqlConnector(writer, CATALOG, {"HIS_DSN": str(path)}).poll({}, dt.datetime.now(dt.UTC)))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM bao_cao").fetchone() == (2,)  # rolled back
