"""``qndti import FILE``: load a historical CSV/XLSX report (backfill) with a progress bar and a summary."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from connectors.adapters.file_drop import FileDropOptions
from connectors.base import parse_options
from connectors.config import SourceConfig, check_against_catalog
from connectors.errors import ConnectorError, RecordRejected
from connectors.producer import ObservationProducer
from connectors.reports import ReportReader
from index_engine.observation import Observation
from qndti.commands import check_kafka_login, console, fail, settings
from qndti.commands.connectors import load_configs

CHUNK = 200


def _source(configs: dict[str, SourceConfig], name: str | None) -> SourceConfig:
    if name is not None:
        if name not in configs:
            raise fail(f"unknown source {name!r}; available: {', '.join(configs)}", 2)
        if configs[name].produces == "task_reports":
            raise fail(f"source {name!r} reads task progress files: drop the file in its folder", 2)
        return configs[name]
    drops = [c for c in configs.values() if c.type == "file_drop" and c.produces == "observations"]
    if len(drops) != 1:
        raise fail(f"name the report's source with --source (file sources: {', '.join(c.name for c in drops)})", 2)
    return drops[0]


async def _produce(client: dict[str, Any], topic: str, chunks: list[list[Observation]], progress: Progress) -> int:
    producer = ObservationProducer(client, topic)
    await producer.start()
    task = progress.add_task("producing", total=sum(len(c) for c in chunks))
    sent = 0
    try:
        for chunk in chunks:
            sent += await producer.send(chunk)
            progress.advance(task, len(chunk))
    finally:
        await producer.stop()
    return sent


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise fail(f"--date {text!r} is not a date like 2023-06-30", 2) from None


def run(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX report.")],
    source: str = typer.Option(None, help="Source whose YAML describes the report's layout and mapping."),
    dry_run: bool = typer.Option(False, help="Read and check only; produce nothing."),
    partial: bool = typer.Option(False, help="Produce the good rows even when some are rejected."),
    date: str = typer.Option(None, help="Report date (2023-06-30) when the file name has none."),
) -> None:
    """Load a historical report, all or nothing (or its good rows with --partial); ids make re-imports harmless."""
    config = settings()
    catalog = config.catalog()
    source_config = _source(load_configs(config), source)
    day = _day(date)
    try:
        check_against_catalog(source_config, catalog)
        options = parse_options(source_config, FileDropOptions)
        reader = ReportReader(source_config, catalog, options)
        now = dt.datetime.now(dt.UTC)
        report = reader.prepare(file, now, day)
    except ConnectorError as exc:
        raise fail(str(exc), 2) from None
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}", soft_wrap=True)
    numbered = report.rows
    produced_rows = 0
    rejected: list[RecordRejected] = []
    chunks: list[list[Observation]] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"reading {file.name}", total=len(numbered))
        for start in range(0, len(numbered), CHUNK):
            part = numbered[start : start + CHUNK]
            mapped = reader.map(report, part, now)
            chunks.append(mapped.observations)
            rejected.extend(mapped.rejected)
            produced_rows += len(part) - len(mapped.rejected)  # a record is rejected whole, at its first bad field
            progress.advance(task, len(part))
        observations = sum(len(c) for c in chunks)
        produce = not dry_run and observations > 0 and (partial or not rejected)
        sent = 0
        if produce:
            asyncio.run(check_kafka_login(config))
            try:
                sent = asyncio.run(
                    _produce(config.kafka_client_options(), config.topics().observations, chunks, progress)
                )
            except Exception as exc:
                raise fail(f"the broker did not acknowledge: {type(exc).__name__}: {exc}") from None
    console.print(_summary(file.name, len(numbered), produced_rows, observations, sent, len(rejected), dry_run))
    if report.footer_row is not None:
        console.print(f"{file.name}: rows from {report.footer_row} on are the notes and signature block: skipped")
    for error in rejected[:20]:
        console.print(f"[yellow]rejected[/yellow] {escape(error.where)}: {escape(error.detail)}", soft_wrap=True)
    if len(rejected) > 20:
        console.print(f"… and {len(rejected) - 20} more")
    if rejected and not partial:
        done = "an import would produce nothing" if dry_run else "nothing was produced"
        console.print(
            f"{file.name}: {done} (a report is all or nothing); fix the rows above and import it again, or import "
            "the good rows alone with --partial",
            soft_wrap=True,
        )
    if rejected:
        raise typer.Exit(1)


def _summary(name: str, rows: int, good: int, observations: int, sent: int, rejected: int, dry_run: bool) -> str:
    if dry_run:
        return f"{name}: {rows} rows; {good} rows would produce {observations} observations; {rejected} rows rejected"
    return f"{name}: {rows} rows; {good} good rows, {sent} observations produced; {rejected} rows rejected"
