"""``qndti plan``: start next year's plan from this year's files, for a person to edit in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import typer

from index_engine.catalog import Catalog, load_catalog
from index_engine.catalog.plans import PLANS
from index_engine.errors import CatalogError
from qndti.commands import fail, settings

app = typer.Typer(help="Plan years of the catalog (indicators, targets, weights per year).", no_args_is_help=True)


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def copy_plan(catalog: Catalog, folder: Path, source: int, year: int) -> tuple[int, int]:
    """Write ``plans/<year>`` from ``plans/<source>``: every target carried and marked assumed.

    Lead units are replaced by the units that hold their roles on 1 January of ``year``; targets of units that
    do not exist in ``year`` are left out; completions and tasks start empty. Returns (targets carried, targets
    left out).
    """
    src, dst = folder / PLANS / str(source), folder / PLANS / str(year)
    dst.mkdir()
    columns, (head, *_) = _read(src / "plan.csv")
    head = {**head, "year": str(year), "reference": "", "issued_on": "", "assumed": "true"}
    head["name_vi"] = head["name_vi"].replace(str(source), str(year))
    head["name_en"] = head["name_en"].replace(str(source), str(year))
    head["note"] = f"Copied from the {source} plan: edit the targets and say what is sourced"
    _write(dst / "plan.csv", columns, [head])
    first_day = dt.date(year, 1, 1)
    columns, rows = _read(src / "indicators.csv")
    for row in rows:
        row["lead_unit"] = catalog.heir_on(row["lead_unit"], first_day)
        row["note"] = f"carried from {source}"
    _write(dst / "indicators.csv", columns, rows)
    (dst / "weights.csv").write_text((src / "weights.csv").read_text(encoding="utf-8"), encoding="utf-8")
    columns, rows = _read(src / "targets.csv")
    kept = [r for r in rows if _exists_in(catalog, r["unit"], year)]
    for row in kept:
        row.update(period=str(year), baseline_assumed="true", target_assumed="true")
        row["note"] = f"Carried from the {source} plan (assumed)"
    _write(dst / "targets.csv", columns, kept)
    for name in ("completions.csv", "tasks.csv"):
        # A new year's completions and tasks are its own (task codes are unique across years): headers only.
        columns, _ = _read(src / name)
        _write(dst / name, columns, [])
    return len(kept), len(rows) - len(kept)


def _exists_in(catalog: Catalog, unit: str, year: int) -> bool:
    known = catalog.units[unit]
    return known.valid_from.year <= year and (known.valid_to is None or known.valid_to.year >= year)


@app.command("new")
def new(
    year: int = typer.Argument(..., help="The new plan year, e.g. 2027."),
    source: int = typer.Option(..., "--from", help="The plan year to copy, e.g. 2026."),
) -> None:
    """Copy a plan year's files into ``plans/<year>`` of the configured catalog, for editing."""
    config = settings()
    try:
        catalog = config.catalog()
    except CatalogError as exc:
        raise fail(f"the catalog is invalid before copying: {exc}") from None
    folder = config.catalog_folder()
    if source not in catalog.plans:
        raise fail(f"there is no {source} plan in {folder / PLANS}")
    if (folder / PLANS / str(year)).exists():
        raise fail(f"{folder / PLANS / str(year)} already exists: edit it, or delete it to start again")
    carried, dropped = copy_plan(catalog, folder, source, year)
    try:
        load_catalog(catalog.version, root=folder.parent)
    except CatalogError as exc:
        raise fail(f"the copy does not validate: {exc}") from None
    typer.echo(
        f"plan {year}: copied from {source} into {folder / PLANS / str(year)}; {carried} targets carried and "
        f"marked assumed, {dropped} left out (units that do not exist in {year}). Edit the CSV files, then run "
        "`qndti catalog validate`."
    )
