"""``qndti catalog``: inspect and validate the indicator catalog."""

from __future__ import annotations

import dataclasses
import json

import typer

from index_engine.catalog import load_catalog
from index_engine.errors import CatalogError
from qndti.commands import fail

app = typer.Typer(help="The QN-DTI catalog (indicators, metrics, units).", no_args_is_help=True)


@app.command()
def validate() -> None:
    """Load and validate the catalog files; exit non-zero with the file, row and field on error."""
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        raise fail(str(exc)) from None
    typer.echo(
        f"catalog {catalog.version}: {len(catalog.indicators)} indicators, {len(catalog.metrics)} metrics, "
        f"{len(catalog.units)} units: valid"
    )


@app.command()
def show(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List indicators and metrics."""
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        raise fail(str(exc)) from None
    if as_json:
        payload = {
            "version": catalog.version,
            "indicators": [dataclasses.asdict(i) for i in catalog.indicators.values()],
            "metrics": [dataclasses.asdict(m) for m in catalog.metrics.values()],
            "units": [dataclasses.asdict(u) for u in catalog.units.values()],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        return
    for indicator in catalog.indicators.values():
        typer.echo(f"{indicator.code:8} {indicator.pillar:4} {indicator.name_vi}")
