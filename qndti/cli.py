"""The ``qndti`` command: one sub-command group per part of the service."""

from __future__ import annotations

import os

import typer

from qndti import commands
from qndti.commands import (
    bench,
    catalog,
    connectors,
    db,
    demo,
    dlq,
    grafana,
    importer,
    plan,
    quarantine,
    stack,
    tasks,
    watch,
    why,
    worker,
)

app = typer.Typer(
    help="QN-DTI Monitor: real-time monitoring of Quảng Ninh's digital-transformation index.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _start() -> None:
    """Stop at start when the environment holds a ``QNDTI_`` variable that no setting reads."""
    from qndti.settings import UnknownSettingError, check_environment

    try:
        check_environment(os.environ)
    except UnknownSettingError as exc:
        raise commands.fail(str(exc), code=2) from None


app.add_typer(stack.app, name="stack")
app.add_typer(db.app, name="db")
app.add_typer(catalog.app, name="catalog")
app.add_typer(plan.app, name="plan")
app.add_typer(tasks.app, name="tasks")
app.add_typer(connectors.app, name="connectors")
app.add_typer(dlq.app, name="dlq")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(grafana.app, name="grafana")
app.command("worker")(worker.run)
app.command("demo")(demo.run)
app.command("watch")(watch.run)
app.command("why")(why.run)
app.command("import")(importer.run)
app.command("bench", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(bench.run)


def main() -> None:
    """Entry point of the ``qndti`` script."""
    app()
