"""Data sources and the SQL query target of the PostgreSQL/TimescaleDB data source (absent from the SDK)."""

from __future__ import annotations

import typing
from typing import Final, Literal

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import dashboard as model

POSTGRES_TYPE: Final = "grafana-postgresql-datasource"
PROMETHEUS_TYPE: Final = "prometheus"
POSTGRES_UID: Final = "qndti-timescaledb"
PROMETHEUS_UID: Final = "qndti-prometheus"

POSTGRES: Final = model.DataSourceRef(type_val=POSTGRES_TYPE, uid=POSTGRES_UID)
PROMETHEUS: Final = model.DataSourceRef(type_val=PROMETHEUS_TYPE, uid=PROMETHEUS_UID)

Format = Literal["table", "time_series"]


class SqlQuery(cogvariants.Dataquery):
    """A raw SQL target of the PostgreSQL data source, as Grafana 11 stores it in a panel or alert rule."""

    def __init__(self, ref_id: str, raw_sql: str, fmt: Format = "table") -> None:
        self.ref_id = ref_id
        self.raw_sql = raw_sql
        self.format = fmt

    def to_json(self) -> dict[str, object]:
        """The target as JSON."""
        return {
            "refId": self.ref_id,
            "datasource": {"type": POSTGRES_TYPE, "uid": POSTGRES_UID},
            "editorMode": "code",
            "format": self.format,
            "rawQuery": True,
            "rawSql": self.raw_sql,
        }


class Sql(cogbuilder.Builder[cogvariants.Dataquery]):
    """Builder of :class:`SqlQuery` for the SDK's ``with_target``."""

    def __init__(self, raw_sql: str, ref_id: str = "A", fmt: Format = "table") -> None:
        self._query = SqlQuery(ref_id, raw_sql, fmt)

    def build(self) -> SqlQuery:
        """The query."""
        return self._query

    @property
    def raw_sql(self) -> str:
        """The SQL text (with Grafana macros)."""
        return self._query.raw_sql

    def ref_id(self, ref_id: str) -> typing.Self:
        """Set the reference id."""
        self._query.ref_id = ref_id
        return self
