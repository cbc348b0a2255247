"""``qndti stack``: the local Kafka broker and PostgreSQL server."""

from __future__ import annotations

import asyncio
import json

import typer

from qndti.commands import console, fail, settings
from qndti.stack import StackError
from streams.topics import ensure_topics

app = typer.Typer(help="Start, stop and inspect the local stack (Kafka 3.9 KRaft, PostgreSQL).", no_args_is_help=True)


@app.command()
def fetch() -> None:
    """Resolve the Kafka broker jars with Maven (done by `up` too)."""
    try:
        settings().stack().fetch()
    except StackError as exc:
        raise fail(str(exc)) from None
    console.print("Kafka jars are in place.")


@app.command()
def up() -> None:
    """Start Kafka and PostgreSQL (idempotent) and create the service's topics."""
    config = settings()
    try:
        with console.status("Starting the local stack…"):
            status = config.stack().up()
            created = asyncio.run(ensure_topics(status.kafka_bootstrap, config.topics(), config.partitions))
    except StackError as exc:
        raise fail(str(exc)) from None
    console.print(f"Kafka      {status.kafka_bootstrap} (pid {status.kafka_pid})")
    console.print(
        f"PostgreSQL {status.database_url}" + (f" (pid {status.database_pid})" if status.database_pid else "")
    )
    if created:
        console.print(f"Created topics: {', '.join(created)}")


@app.command()
def down(purge: bool = typer.Option(False, "--purge", help="Also delete topics and database files.")) -> None:
    """Stop what `up` started."""
    settings().stack().down(purge=purge)
    console.print("Local stack stopped" + (" and its data deleted." if purge else "."))


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON for other tools.")) -> None:
    """Say what runs where."""
    current = settings().stack().status()
    if as_json:
        typer.echo(json.dumps(current.as_dict(), indent=2))
        return
    kafka = "running" if current.kafka_running else "stopped"
    database = "running" if current.database_running else "stopped"
    typer.echo(f"kafka     {kafka:8} {current.kafka_bootstrap}")
    typer.echo(f"postgres  {database:8} {current.database_url}" + ("" if current.database_embedded else " (external)"))
    typer.echo(f"home      {current.home}")
