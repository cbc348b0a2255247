"""Schema migrations (yoyo-migrations, files in ``streams/migrations``), recorded in the database.

``migrate`` applies the pending migrations in order under yoyo's lock, then brings the TimescaleDB policies to
the given intervals. The flavour (TimescaleDB or plain PostgreSQL) is chosen once, by the migration that builds
the time-series tables, from whether the server offers the ``timescaledb`` extension.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from yoyo import get_backend, read_migrations

from streams.timescale import Policies, apply_policies

MIGRATIONS = Path(__file__).parent / "migrations"


def yoyo_url(database_url: str) -> str:
    """Yoyo's URL for psycopg 3 from a libpq-style ``postgresql://`` URL."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def migrate(database_url: str, policies: Policies | None = None) -> list[str]:
    """Apply pending migrations and the TimescaleDB policies; return the migration ids applied (empty when none)."""
    backend = get_backend(yoyo_url(database_url))
    migrations = read_migrations(str(MIGRATIONS))
    # Migrations run each statement once: server-side prepared statements buy nothing here, and test engines
    # that share one backend between clients (PGlite) lose or mix them up.
    backend.connection.prepare_threshold = None
    try:
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
    finally:
        backend.connection.close()
    with psycopg.connect(database_url, autocommit=True, prepare_threshold=None) as conn:
        apply_policies(conn, policies or Policies())
    return [m.id for m in pending]
