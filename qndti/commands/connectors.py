"""``qndti connectors``: run, check and list the configured sources."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
from pathlib import Path
from typing import Annotated

import typer
from prometheus_client import CollectorRegistry
from rich.markup import escape
from rich.table import Table

from connectors.base import Batch, Connector, PushConnector, is_polled
from connectors.checkpoint import CheckpointStore
from connectors.config import DEFAULT_SOURCES, SourceConfig, load_sources
from connectors.errors import ConnectorError, PortInUse
from connectors.metrics import ConnectorMetrics
from connectors.producer import ObservationProducer
from connectors.registry import build_connector
from connectors.runner import Emitter, SourceLoop, SourceState
from connectors.service import HealthServer, run_sources
from index_engine.catalog import Catalog
from qndti.commands import check_kafka_login, console, fail, settings
from qndti.settings import Settings

app = typer.Typer(help="Source connectors.", no_args_is_help=True)


def sources_folder(config: Settings) -> Path:
    """The folder of source YAML files."""
    return config.connector_sources or DEFAULT_SOURCES


def load_configs(config: Settings) -> dict[str, SourceConfig]:
    """Every source configuration, with the simulator settings applied; exit 2 on an invalid file."""
    try:
        sources = load_sources(sources_folder(config))
    except ConnectorError as exc:
        raise fail(str(exc), 2) from None
    for name, source in sources.items():
        if source.type != "simulator":
            continue
        update: dict[str, object] = {}
        if "simulator_seed" in config.model_fields_set:
            update["options"] = {**source.options, "seed": config.simulator_seed}
        if "simulator_interval" in config.model_fields_set:
            update["schedule"] = source.schedule.model_copy(
                update={"interval": config.simulator_interval, "cron": None}
            )
        sources[name] = source.model_copy(update=update)
    return sources


def build(sources: list[SourceConfig], catalog: Catalog) -> list[Connector | PushConnector]:
    """Build connectors; exit 2 naming the file and field of the first invalid one."""
    env = dict(os.environ)  # credentials are read by the variable names the YAML files give
    try:
        return [build_connector(source, catalog, env) for source in sources]
    except ConnectorError as exc:
        raise fail(str(exc), 2) from None


def _select(sources: dict[str, SourceConfig], names: list[str] | None) -> list[SourceConfig]:
    if names:
        unknown = [n for n in names if n not in sources]
        if unknown:
            raise fail(f"unknown source {', '.join(unknown)}; available: {', '.join(sources)}", 2)
        return [sources[n] for n in names]
    enabled = [s for s in sources.values() if s.enabled]
    if not enabled:
        raise fail("no enabled source; enable one in its YAML file or name it with --source", 2)
    return enabled


async def _run(config: Settings, connectors: list[Connector | PushConnector], catalog: Catalog, once: bool) -> None:
    registry = CollectorRegistry()
    metrics = ConnectorMetrics(registry)
    metrics.known(c.config.name for c in connectors)
    store = CheckpointStore(config.connector_state())
    states: list[SourceState] = []
    health = HealthServer(registry, states, config.connectors_host, config.connectors_port)
    # Take the port first: a second instance stops here, before it touches the broker or any source.
    port = 0 if once else await health.start()
    topics = config.topics()
    producer = ObservationProducer(config.kafka_client_options(), topics.observations, topics.task_reports)
    emitter = Emitter(producer, catalog, store, metrics, task_sink=producer)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await check_kafka_login(config)
        await producer.start()
        if once:
            for connector in connectors:
                if is_polled(connector):
                    state = SourceState(connector.config.name)
                    source_loop = SourceLoop(connector, emitter, store.load(connector.config.name), state)
                    await source_loop.poll_once()
                    await connector.aclose()
                    if state.last_error:
                        raise fail(state.last_error)
            return
        logging.getLogger("connectors").info(
            "running %s; /metrics and /healthz on %s:%d",
            ", ".join(c.config.name for c in connectors),
            config.connectors_host,
            port,
        )
        await run_sources(connectors, emitter, store, stop, states)
    finally:
        await health.stop()
        with contextlib.suppress(Exception):
            await producer.stop()


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


@app.command("run")
def run(
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Source to run (repeatable); default: every enabled one.")
    ] = None,
    once: bool = typer.Option(False, help="Poll each source once and exit."),
) -> None:
    """Run the configured sources until interrupted (the simulator is the one enabled by default)."""
    _logging()
    config = settings()
    catalog = config.catalog()
    selected = _select(load_configs(config), source)
    try:
        asyncio.run(_run(config, build(selected, catalog), catalog, once))
    except PortInUse as exc:
        raise fail(str(exc), 2) from None


@app.command("check")
def check(
    name: str = typer.Argument(..., help="Source to poll once."),
    limit: int = typer.Option(20, help="Observations to print."),
) -> None:
    """Poll one source once without producing or saving anything, and print what it would produce."""
    config = settings()
    catalog = config.catalog()
    selected = _select(load_configs(config), [name])
    [connector] = build(selected, catalog)
    if not is_polled(connector):
        raise fail(f"source {name!r} is pushed to us ({selected[0].type}); there is nothing to poll", 2)
    checkpoint = CheckpointStore(config.connector_state()).load(name)

    polled = connector

    async def poll() -> Batch:
        try:
            return await asyncio.wait_for(polled.poll(checkpoint, dt.datetime.now(dt.UTC)), selected[0].timeout)
        finally:
            await polled.aclose()

    try:
        batch = asyncio.run(poll())
    except TimeoutError:
        raise fail(f"source {name!r}: no answer within {selected[0].timeout:g} s") from None
    except ConnectorError as exc:
        raise fail(f"{exc} [{exc.error_class}]") from None
    if batch.produces == "task_reports":
        table = Table(title=f"{name}: {len(batch.task_reports)} task reports (dry run: nothing produced)")
        for column in ("task", "date", "progress", "state", "evidence", "id"):
            table.add_column(column)
        for report in batch.task_reports[:limit]:
            table.add_row(
                report.task, report.date.isoformat(), f"{report.progress:g}", report.state, report.evidence, report.id
            )
    else:
        table = Table(title=f"{name}: {len(batch.observations)} observations (dry run: nothing produced)")
        for column in ("unit", "metric", "kind", "value", "ts"):
            table.add_column(column)
        for obs in batch.observations[:limit]:
            table.add_row(obs.unit, obs.metric, obs.kind, f"{obs.value:,.0f}", obs.ts.isoformat())
    console.print(table)
    if batch.not_modified:
        console.print("The source answered 'not modified' since the last checkpoint.")
    for rejected in batch.rejected:
        console.print(f"[yellow]rejected:[/yellow] {escape(str(rejected))}")
    for warning in batch.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")


@app.command("list")
def list_sources() -> None:
    """List the configured sources."""
    config = settings()
    table = Table(title=f"Sources in {sources_folder(config)}")
    for column in ("name", "type", "enabled", "schedule", "metrics"):
        table.add_column(column)
    for source in load_configs(config).values():
        schedule = source.schedule.cron or f"every {source.schedule.interval:g} s"
        table.add_row(source.name, source.type, "yes" if source.enabled else "no", schedule, str(len(source.metrics)))
    console.print(table)
