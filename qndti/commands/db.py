"""``qndti db``: the database schema."""

from __future__ import annotations

import typer

from qndti.commands import console, fail, settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def migrate() -> None:
    """Apply pending migrations (idempotent; a no-op when up to date)."""
    import psycopg

    from streams.db import migrate as apply

    try:
        applied = apply(settings().database())
    except psycopg.OperationalError as exc:
        raise fail(f"cannot reach the database: {exc}") from None
    console.print(f"Applied migrations: {', '.join(applied)}" if applied else "Database is up to date.")
