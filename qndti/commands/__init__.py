"""Sub-commands of ``qndti``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from qndti.settings import Settings

console = Console(stderr=True)


def settings() -> Settings:
    """Build and validate this process's settings, or exit with a clear message."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        console.print(f"[red]Invalid QNDTI_ settings:[/red]\n{exc}")
        raise typer.Exit(2) from None


async def check_kafka_login(config: Settings) -> None:
    """Exit 2 when the broker refuses this process's SASL credentials or its certificate is not trusted."""
    from qndti.kafka_login import KafkaLoginRefused, check_login

    try:
        await check_login(config.kafka_client_options())
    except KafkaLoginRefused as exc:
        raise fail(str(exc), 2) from None


def check_database_login(config: Settings) -> None:
    """Exit 2 when PostgreSQL refuses this process's login (password, role, database, certificate)."""
    from qndti.db_login import DatabaseLoginRefused, check_login

    try:
        check_login(config.database())
    except DatabaseLoginRefused as exc:
        raise fail(str(exc), 2) from None


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error (on one line, never wrapped) and return the exit to raise."""
    console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(code)
