"""Schema migrations (yoyo-migrations, SQL files in ``streams/migrations``), recorded in the database."""

from __future__ import annotations

from pathlib import Path

from yoyo import get_backend, read_migrations

MIGRATIONS = Path(__file__).parent / "migrations"


def yoyo_url(database_url: str) -> str:
    """Yoyo's URL for psycopg 3 from a libpq-style ``postgresql://`` URL."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def migrate(database_url: str) -> list[str]:
    """Apply pending migrations in order under yoyo's lock; return the ids applied (empty when up to date)."""
    backend = get_backend(yoyo_url(database_url))
    migrations = read_migrations(str(MIGRATIONS))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [m.id for m in pending]
