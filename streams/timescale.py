"""TimescaleDB policies (compression, retention, continuous-aggregate refresh) applied from settings.

The migrations create the structure; these policies are re-applied by every ``qndti db migrate`` so their
intervals follow the settings. A policy that already matches is left alone, so a second run changes nothing.
On plain PostgreSQL there is nothing to apply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import psycopg

Flavour = Literal["timescaledb", "postgresql"]

SERIES_TABLES = (
    "indicator_value",
    "metric_value",
    "indicator_status",
    "unit_score",
    "alert",
    "dead_letter",
)
OBSERVATION_TABLE = "observation"
AGGREGATES = (("indicator_value_hourly", dt.timedelta(hours=1)), ("indicator_value_daily", dt.timedelta(days=1)))
SCHEMA = "dti"


@dataclass(frozen=True, slots=True)
class Policies:
    """Intervals of the TimescaleDB policies.

    Attributes:
        late_window: How late data may arrive and still be materialised by the continuous aggregates' refresh
            (real-time aggregation covers the rest); compression must stay well behind it.
        compress_after: Age of chunks compressed to the columnstore.
        retention: Age after which values, statuses, scores, alerts and dead letters are dropped; ``None`` keeps
            them (the continuous aggregates keep their own copy either way).
        observation_retention: Age after which raw observations are dropped; ``None`` keeps them.
    """

    late_window: dt.timedelta = dt.timedelta(days=7)
    compress_after: dt.timedelta = dt.timedelta(days=30)
    retention: dt.timedelta | None = None
    observation_retention: dt.timedelta | None = dt.timedelta(days=400)

    def __post_init__(self) -> None:
        if self.late_window < dt.timedelta(days=2):
            raise ValueError("late_window must be at least 2 days (two daily buckets of the refresh window)")
        if self.compress_after < 2 * self.late_window:
            raise ValueError("compress_after must be at least twice late_window, well behind the largest lateness")
        for name in ("retention", "observation_retention"):
            keep = getattr(self, name)
            if keep is not None and keep <= self.compress_after:
                raise ValueError(f"{name} must be longer than compress_after")


def flavour(conn: psycopg.Connection[tuple[object, ...]]) -> Flavour:
    """Which flavour the schema was built as: ``timescaledb`` when the extension is installed."""
    found = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    return "timescaledb" if found is not None else "postgresql"


def apply_policies(conn: psycopg.Connection[tuple[object, ...]], policies: Policies) -> list[str]:
    """Bring every policy to ``policies``; return what changed (empty when all already matched)."""
    if flavour(conn) != "timescaledb":
        return []
    changes: list[str] = []
    for table in (*SERIES_TABLES, OBSERVATION_TABLE):
        _ensure(conn, changes, "policy_compression", table, {"compress_after": policies.compress_after})
        keep = policies.observation_retention if table == OBSERVATION_TABLE else policies.retention
        _ensure(conn, changes, "policy_retention", table, None if keep is None else {"drop_after": keep})
    for view, width in AGGREGATES:
        offsets = {"start_offset": policies.late_window + width, "end_offset": width}
        _ensure(conn, changes, "policy_refresh_continuous_aggregate", view, offsets)
    return changes


_ADD = {
    "policy_compression": "SELECT add_compression_policy(%s::regclass, compress_after => %s)",
    "policy_retention": "SELECT add_retention_policy(%s::regclass, drop_after => %s)",
    "policy_refresh_continuous_aggregate": (
        "SELECT add_continuous_aggregate_policy(%s::regclass, start_offset => %s, end_offset => %s,"
        " schedule_interval => INTERVAL '30 minutes')"
    ),
}
_REMOVE = {
    "policy_compression": "SELECT remove_compression_policy(%s::regclass, if_exists => true)",
    "policy_retention": "SELECT remove_retention_policy(%s::regclass, if_exists => true)",
    "policy_refresh_continuous_aggregate": "SELECT remove_continuous_aggregate_policy(%s::regclass, if_exists => true)",
}


def _ensure(
    conn: psycopg.Connection[tuple[object, ...]],
    changes: list[str],
    proc: str,
    relation: str,
    wanted: dict[str, dt.timedelta] | None,
) -> None:
    """Make one policy of ``relation`` match ``wanted`` (``None``: no policy)."""
    name = f"{SCHEMA}.{relation}"
    row = conn.execute(
        "SELECT config FROM timescaledb_information.jobs"
        " WHERE proc_name = %s AND hypertable_schema = %s AND hypertable_name = %s",
        (proc, SCHEMA, relation),
    ).fetchone()
    if row is None and wanted is None:
        return
    if row is not None and wanted is not None and _matches(conn, row[0], wanted):
        return
    if row is not None:
        conn.execute(_REMOVE[proc], (name,))
    if wanted is not None:
        conn.execute(_ADD[proc], (name, *wanted.values()))
    changes.append(f"{proc} {name}: {_describe(wanted)}")


def _matches(conn: psycopg.Connection[tuple[object, ...]], config: object, wanted: dict[str, dt.timedelta]) -> bool:
    """Whether a job's JSON config holds exactly the wanted intervals (compared as intervals by the server)."""
    if not isinstance(config, dict):
        return False
    for key, interval in wanted.items():
        current = config.get(key)
        if current is None:
            return False
        same = conn.execute("SELECT %s::interval = %s::interval", (str(current), interval)).fetchone()
        if same is None or not same[0]:
            return False
    return True


def _describe(wanted: dict[str, dt.timedelta] | None) -> str:
    if wanted is None:
        return "removed"
    return ", ".join(f"{key}={value}" for key, value in wanted.items())
