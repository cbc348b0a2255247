"""``qndti dlq``: inspect and replay dead letters."""

from __future__ import annotations

import asyncio

import typer
from rich.table import Table

from qndti.commands import console, settings
from streams.deadletters import DeadLetterRecord, read_dead_letters, replay_dead_letters

app = typer.Typer(help="Dead letters: observations the worker rejected, with the reason.", no_args_is_help=True)


@app.command()
def show(
    limit: int = typer.Option(50, help="Show at most this many (oldest first)."),
    reason: str | None = typer.Option(None, help="Only this reason code."),
) -> None:
    """List dead letters with their reasons."""
    config = settings()
    letters = asyncio.run(read_dead_letters(config.bootstrap(), config.topics()))
    if reason is not None:
        letters = [d for d in letters if d.reason == reason]
    table = Table(title=f"{len(letters)} dead letters on {config.topics().dead_letters}")
    for column in ("rejected at", "reason", "detail", "origin", "payload"):
        table.add_column(column, overflow="fold")
    for letter in letters[:limit]:
        preview = letter.value[:80].decode("utf-8", "replace")
        table.add_row(letter.rejected_at, letter.reason, letter.detail, letter.origin, preview)
    console.print(table)


@app.command()
def replay(reason: str | None = typer.Option(None, help="Only dead letters with this reason code.")) -> None:
    """Re-send dead letters not replayed before to the observations topic."""
    config = settings()

    def select(letter: DeadLetterRecord) -> bool:
        return reason is None or letter.reason == reason

    replayed, skipped = asyncio.run(
        replay_dead_letters(config.bootstrap(), config.topics(), f"{config.topic_prefix}.dlq-replay", select)
    )
    console.print(f"Replayed {replayed} dead letters; {skipped} did not match and were passed over.")
