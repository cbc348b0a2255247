"""``qndti catalog``: inspect and validate the indicator catalog."""

from __future__ import annotations

import dataclasses
import json

import typer

from index_engine.errors import CatalogError
from qndti.commands import fail, settings

app = typer.Typer(help="The QN-DTI catalog (indicators, metrics, units).", no_args_is_help=True)


@app.command()
def validate() -> None:
    """Load and validate the catalog the worker runs with; exit non-zero with the file, row and field on error."""
    config = settings()
    try:
        catalog = config.catalog()
    except CatalogError as exc:
        raise fail(f"{config.catalog_folder()}: {exc}") from None
    typer.echo(
        f"catalog {catalog.version}: {len(catalog.indicators)} indicators, {len(catalog.metrics)} metrics, "
        f"{len(catalog.units)} units, {len(catalog.successions)} successions: valid"
    )
    for year, plan in catalog.plans.items():
        targets = [t for t in catalog.targets.values() if t.period == year]
        assumed = sum(t.target_assumed for t in targets)
        source = plan.reference or "no plan document found"
        typer.echo(
            f"  plan {year} ({source}{', assumed' if plan.assumed else ''}): {len(plan.indicators)} indicators, "
            f"{len(targets)} targets ({assumed} assumed)"
        )


@app.command()
def show(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List indicators and metrics."""
    try:
        catalog = settings().catalog()
    except CatalogError as exc:
        raise fail(str(exc)) from None
    if as_json:
        province = next(u.code for u in catalog.units.values() if u.parent is None)

        def describe(code: str) -> dict[str, object]:
            targets = sorted(
                (t for t in catalog.targets.values() if t.indicator == code and t.unit == province),
                key=lambda t: t.period,
            )
            return {
                **dataclasses.asdict(catalog.indicators[code]),
                "province_target": targets[-1].target if targets else None,
                "province_targets": [dataclasses.asdict(t) for t in targets],
            }

        payload = {
            "version": catalog.version,
            "province": province,
            "indicators": [describe(code) for code in catalog.indicators],
            "metrics": [dataclasses.asdict(m) for m in catalog.metrics.values()],
            "units": [dataclasses.asdict(u) for u in catalog.units.values()],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        return
    for indicator in catalog.indicators.values():
        typer.echo(f"{indicator.code:8} {indicator.pillar:4} {indicator.name_vi}")
