"""``qndti connectors``: source connectors."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal

import typer

from connectors import simulator
from connectors.producer import ObservationProducer
from qndti.commands import console, settings

app = typer.Typer(help="Source connectors.", no_args_is_help=True)


async def _simulate(bootstrap: str, topic: str, seed: int, interval: float, once: bool) -> None:
    units = simulator.load_units(seed)
    producer = ObservationProducer(bootstrap, topic)
    await producer.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            sent = await producer.send(simulator.observations(units, dt.datetime.now(dt.UTC)))
            console.log(f"simulator: produced {sent} observations")
            if once:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        await producer.stop()


@app.command("run")
def run(
    source: str = typer.Option("simulator", help="Source to run."),
    once: bool = typer.Option(False, help="Poll once and exit."),
) -> None:
    """Run a connector until interrupted."""
    config = settings()
    if source != "simulator":
        console.print(f"[red]error:[/red] unknown source {source!r}; available: simulator")
        raise typer.Exit(2)
    asyncio.run(
        _simulate(
            config.bootstrap(),
            config.topics().observations,
            config.simulator_seed,
            config.simulator_interval,
            once,
        )
    )
