"""``qndti db``: the database schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qndti.commands import console, fail, settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def migrate() -> None:
    """Apply pending migrations and policies, then load the catalog's reference data (idempotent)."""
    import psycopg

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
            load_reference(conn, config.catalog())
            kind = flavour(conn)
    except psycopg.OperationalError as exc:
        raise fail(f"cannot reach the database: {exc}") from None
    console.print(f"Applied migrations: {', '.join(applied)}" if applied else "Database is up to date.")
    console.print(f"Flavour: {kind}; reference data loaded from the catalog.")


@app.command("grant-writer")
def grant_writer(
    name: Annotated[str, typer.Argument(help="Login role to create or update, e.g. qndti_worker.")],
    password_file: Annotated[
        Path, typer.Option("--password-file", help="File whose first line is the role's password (never an argument).")
    ],
) -> None:
    """Create or update a login role that may write the worker's tables and nothing else (qndti_writer).

    Run it as the database's superuser or a role with CREATEROLE (QNDTI_DATABASE_URL), after `qndti db migrate`;
    the workers then log in with NAME and that password.
    """
    import psycopg

    from qndti.settings import weak_password
    from streams.roles import RoleRefused, check_name
    from streams.roles import grant_writer as grant

    config = settings()
    try:
        check_name(name)
        lines = password_file.read_text(encoding="utf-8").splitlines()
    except RoleRefused as exc:
        raise fail(str(exc), 2) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read the password file {password_file}: {type(exc).__name__}", 2) from None
    password = lines[0] if lines else ""
    reason = weak_password(password)
    if reason:
        raise fail(f"{password_file}: {reason}; use a random password of at least 12 characters", 2)
    try:
        with psycopg.connect(config.database(), autocommit=True) as conn:
            created = grant(conn, name, password)
    except RoleRefused as exc:
        raise fail(str(exc), 2) from None
    except psycopg.OperationalError as exc:
        raise fail(f"cannot reach the database: {exc}") from None
    done = "đã tạo / created" if created else "đã cập nhật / updated"
    console.print(f"{name}: {done}; member of qndti_writer, may connect and write the worker's tables only.")
