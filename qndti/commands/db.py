"""``qndti db``: the database schema."""

from __future__ import annotations

import typer

from qndti.commands import console, fail, settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def migrate() -> None:
    """Apply pending migrations and policies, then load the catalog's reference data (idempotent)."""
    import psycopg

    from index_engine.catalog import load_catalog
    from streams.db import migrate as apply
    from streams.reference import load_reference
    from streams.timescale import flavour

    config = settings()
    url = config.database()
    try:
        policies = config.policies()
    except ValueError as exc:
        raise fail(f"invalid database policy settings: {exc}") from None
    try:
        applied = apply(url, policies)
        with psycopg.connect(url, prepare_threshold=None) as conn:
            load_reference(conn, load_catalog())
            kind = flavour(conn)
    except psycopg.OperationalError as exc:
        raise fail(f"cannot reach the database: {exc}") from None
    console.print(f"Applied migrations: {', '.join(applied)}" if applied else "Database is up to date.")
    console.print(f"Flavour: {kind}; reference data loaded from the catalog.")
