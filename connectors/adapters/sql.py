"""``sql``: run a query with a watermark parameter against PostgreSQL (psycopg), in a read-only transaction.

Options::

    dsn_env: HIS_DSN           # name of the environment variable holding the connection string
    query: >
      SELECT don_vi, cap_nhat, so_ho_so FROM bao_cao
       WHERE cap_nhat > %(watermark)s ORDER BY cap_nhat
    watermark_column: cap_nhat       # its largest value read becomes the next %(watermark)s
    initial_watermark: "2023-01-01T00:00:00+07:00"

The watermark is always a bound parameter (``%(watermark)s``), never formatted into the text, and the
transaction is read-only: a query that tries to write fails.

``driver: psycopg`` (the default) is PostgreSQL. Any other DB-API 2.0 module can be named (``driver: sqlite3``,
``driver: oracledb``, …): ``dsn_env`` then holds what its ``connect()`` takes, ``%(watermark)s`` is rewritten to
the driver's parameter style, and the transaction is always rolled back; give such a source a read-only account.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict

from connectors.base import Batch, parse_options, secret
from connectors.checkpoint import Checkpoint
from connectors.config import SourceConfig
from connectors.errors import ConfigError, SourceAuthFailed, SourceResponseInvalid, SourceUnavailable
from connectors.mapping import Mapper, parse_time
from connectors.revisions import remember
from index_engine.catalog import Catalog

_AUTH_STATES = ("28000", "28P01")


class SqlOptions(BaseModel):
    """Options of a ``sql`` source."""

    model_config = ConfigDict(extra="forbid")

    dsn_env: str
    query: str
    watermark_column: str
    initial_watermark: str | float = "1970-01-01T00:00:00+00:00"
    driver: str = "psycopg"


def _restyle(query: str, paramstyle: str, watermark: object) -> tuple[str, Any]:
    """The query and its parameters in a DB-API driver's parameter style."""
    styles: dict[str, tuple[str, Any]] = {
        "pyformat": ("%(watermark)s", {"watermark": watermark}),
        "named": (":watermark", {"watermark": watermark}),
        "qmark": ("?", (watermark,)),
        "numeric": (":1", (watermark,)),
        "format": ("%s", (watermark,)),
    }
    marker, params = styles.get(paramstyle, styles["pyformat"])
    if paramstyle in ("qmark", "numeric", "format") and query.count("%(watermark)s") > 1:
        params = (watermark,) * query.count("%(watermark)s")
    return query.replace("%(watermark)s", marker), params


def _encode(value: Any) -> str | float:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hasattr(value, "__float__"):
        return float(value)
    return str(value)


class SqlConnector:
    """Polls one SQL query."""

    def __init__(self, config: SourceConfig, catalog: Catalog, env: Mapping[str, str]) -> None:
        self.config = config
        self.options = parse_options(config, SqlOptions)
        if "%(watermark)s" not in self.options.query:
            raise ConfigError(config.file.rsplit("/", 1)[-1], "must use the parameter %(watermark)s", "options.query")
        self.dsn = secret(config, env, self.options.dsn_env)
        self.mapper = Mapper(config, catalog)

    async def aclose(self) -> None:
        """Nothing stays open between polls."""

    def _watermark(self, checkpoint: Checkpoint) -> object:
        raw = checkpoint.get("watermark", self.options.initial_watermark)
        if isinstance(raw, str):
            try:
                return parse_time(raw, self.mapper.zone)
            except ValueError:
                return raw
        return raw

    async def poll(self, checkpoint: Checkpoint, now: dt.datetime) -> Batch:
        """Run the query for rows newer than the watermark."""
        if self.options.driver == "psycopg":
            rows = await self._postgres(checkpoint)
        else:
            rows = await asyncio.to_thread(self._dbapi, checkpoint)
        return self._batch(rows, checkpoint, now)

    def _dbapi(self, checkpoint: Checkpoint) -> list[dict[str, Any]]:
        name = self.config.name
        try:
            module = importlib.import_module(self.options.driver)
        except ImportError:
            raise SourceUnavailable(name, f"the DB-API driver {self.options.driver!r} is not installed") from None
        # Other drivers get the watermark as it was read (text or number): their own types are unknown here.
        raw = checkpoint.get("watermark", self.options.initial_watermark)
        query, params = _restyle(self.options.query, getattr(module, "paramstyle", "pyformat"), raw)
        try:
            conn = module.connect(self.dsn)
        except Exception:
            raise SourceUnavailable(name, "cannot connect to the database") from None
        try:
            cursor = conn.cursor()
            cursor.execute(query, params)
            columns = [d[0] for d in cursor.description or ()]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        except Exception as exc:
            raise SourceResponseInvalid(name, f"query failed: {type(exc).__name__}: {exc}") from None
        finally:
            conn.rollback()
            conn.close()

    async def _postgres(self, checkpoint: Checkpoint) -> list[dict[str, Any]]:
        name = self.config.name
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.dsn, connect_timeout=max(1, int(self.config.timeout)), row_factory=dict_row
            )
        except psycopg.OperationalError as exc:
            state = getattr(exc, "sqlstate", None)
            if state in _AUTH_STATES or "authentication failed" in str(exc):
                raise SourceAuthFailed(name, "the database refused the credential") from None
            raise SourceUnavailable(name, "cannot connect to the database") from None
        try:
            await conn.set_read_only(True)
            async with conn.transaction(), conn.cursor() as cursor:
                await cursor.execute(self.options.query, {"watermark": self._watermark(checkpoint)})
                rows = await cursor.fetchall()
        except psycopg.errors.ReadOnlySqlTransaction:
            raise SourceResponseInvalid(name, "the query tried to write; sql sources are read-only") from None
        except (psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedTable) as exc:
            raise SourceResponseInvalid(name, f"the schema changed: {exc.diag.message_primary}") from None
        except psycopg.OperationalError:
            raise SourceUnavailable(name, "the database connection failed during the query") from None
        except psycopg.Error as exc:
            raise SourceResponseInvalid(
                name, f"query failed: {exc.diag.message_primary or type(exc).__name__}"
            ) from None
        finally:
            await conn.close()
        return rows

    def _batch(self, rows: list[dict[str, Any]], checkpoint: Checkpoint, now: dt.datetime) -> Batch:
        name = self.config.name
        column = self.options.watermark_column
        if rows and column not in rows[0]:
            raise SourceResponseInvalid(name, f"the result has no column {column!r} (has the query changed?)")
        batch = Batch.of(self.mapper.map(rows, now, label="row"), dict(checkpoint))
        batch.observations, batch.checkpoint = remember(batch.observations, checkpoint, now)
        values = [r[column] for r in rows if r[column] is not None]
        if values:
            batch.checkpoint["watermark"] = _encode(max(values))
        return batch


def build(config: SourceConfig, catalog: Catalog, env: Mapping[str, str]) -> SqlConnector:
    """A ``sql`` connector for ``config``."""
    return SqlConnector(config, catalog, env)
