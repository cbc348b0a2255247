"""``qndti dlq``: inspect and replay dead letters (streaming: memory does not grow with the topic)."""

from __future__ import annotations

import asyncio

import typer
from rich.table import Table

from qndti.commands import check_kafka_login, console, settings
from streams.deadletters import DeadLetterRecord, count_dead_letters, read_dead_letters, replay_dead_letters

app = typer.Typer(help="Dead letters: observations the worker rejected, with the reason.", no_args_is_help=True)


@app.command()
def show(
    limit: int = typer.Option(50, min=1, help="Show at most this many (oldest first)."),
    reason: str | None = typer.Option(None, help="Only this reason code."),
) -> None:
    """List dead letters with their reasons."""
    config = settings()
    asyncio.run(check_kafka_login(config))
    client = config.kafka_client_options()
    letters = asyncio.run(read_dead_letters(client, config.topics(), limit=limit, reason=reason))
    total = asyncio.run(count_dead_letters(client, config.topics(), reason=reason))
    table = Table(title=f"{len(letters)} of {total} dead letters on {config.topics().dead_letters}")
    for column in ("rejected at", "reason", "detail", "origin", "payload"):
        table.add_column(column, overflow="fold")
    for letter in letters:
        preview = letter.value[:80].decode("utf-8", "replace")
        table.add_row(letter.rejected_at, letter.reason, letter.detail, letter.origin, preview)
    console.print(table)


@app.command()
def replay(reason: str | None = typer.Option(None, help="Only dead letters with this reason code.")) -> None:
    """Re-send dead letters not replayed before to the observations topic.

    Letters of other reasons stay replayable: the replay commits, per partition, only up to the first letter it
    passed over.
    """
    config = settings()
    asyncio.run(check_kafka_login(config))

    def select(letter: DeadLetterRecord) -> bool:
        return reason is None or letter.reason == reason

    report = asyncio.run(
        replay_dead_letters(config.kafka_client_options(), config.topics(), f"{config.topic_prefix}.dlq-replay", select)
    )
    console.print(
        f"Đã gửi lại / replayed {report.replayed} dead letters; {report.skipped} of other reasons were passed over"
        " and stay replayable."
    )
