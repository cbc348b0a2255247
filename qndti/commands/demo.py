"""``qndti demo``: the whole slice live in the terminal, shown by ``qndti watch``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from qndti.commands import console, fail, settings
from qndti.stack import StackError


def early_exit(children: Sequence[tuple[str, subprocess.Popen[bytes]]], logs: Path) -> str | None:
    """A message naming the first demo process that stopped, or ``None`` while all run."""
    for name, child in children:
        code = child.poll()
        if code is not None:
            return f"the demo's {name} exited early (code {code}); see {logs / (name + '.log')}"
    return None


def run(
    indicator: str = typer.Option("CQS-04", help="Indicator of the indicator screen."),
    interval: float = typer.Option(2.0, min=0.5, help="Seconds between refreshes of the screen."),
    keep_stack: bool = typer.Option(False, help="Leave the stack running after Ctrl-C."),
) -> None:
    """Start the stack, migrate, run the simulator and a worker, and show ``qndti watch`` until Ctrl-C (or q)."""
    import psycopg

    from qndti.watch.app import WatchApp, root_unit
    from qndti.watch.data import WatchSource
    from streams.db import migrate
    from streams.reference import load_reference

    config = settings()
    catalog = config.catalog()
    if indicator not in catalog.indicators:
        raise fail(f"unknown indicator {indicator!r}: not in catalog {catalog.version}")
    stack = config.stack()
    try:
        with console.status("Starting Kafka and PostgreSQL…"):
            stack.up()
            migrate(config.database())
            # Names, targets and peer groups for the screen, as `qndti db migrate` loads them.
            with psycopg.connect(config.database(), prepare_threshold=None) as conn:
                load_reference(conn, catalog)
    except (StackError, psycopg.OperationalError) as exc:
        raise fail(str(exc)) from None
    python = [sys.executable, "-m", "qndti"]
    logs = config.stack_dir.resolve() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    children = [
        (
            name,
            subprocess.Popen(  # noqa: S603 - our own entry point
                [*python, *args], stdout=(logs / f"{name}.log").open("ab"), stderr=subprocess.STDOUT
            ),
        )
        for name, args in (("worker", ["worker"]), ("simulator", ["connectors", "run"]))
    ]
    console.print(f"Worker and simulator started; logs in {logs}")
    app = WatchApp(
        WatchSource(config.database(), root_unit(catalog)),
        catalog,
        interval=interval,
        indicator=indicator,
        guard=lambda: early_exit(children, logs),
    )
    message: str | None = None
    try:
        message = app.run()
    except KeyboardInterrupt:
        pass  # Ctrl-C outside the screen (while it starts or stops): stop everything below all the same.
    finally:
        console.print("Stopping…")
        for _, child in children:
            child.terminate()
        for _, child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        if not keep_stack:
            stack.down()
    if message:
        raise fail(message)
