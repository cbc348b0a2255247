"""``qndti grafana``: build the dashboards and provisioning files from code, check them, publish them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from qndti.commands import console, fail, settings

app = typer.Typer(help="Grafana dashboards and alerting as code.", no_args_is_help=True)

REPO = Path(__file__).resolve().parents[2]


@app.command()
def build(
    check: Annotated[
        bool, typer.Option("--check", help="Do not write; exit 1 when committed files differ from the code.")
    ] = False,
    repo: Annotated[Path, typer.Option(help="Repository root that holds grafana/.")] = REPO,
) -> None:
    """Generate grafana/dashboards/*.json and grafana/provisioning/** from the builders."""
    from grafana.errors import GeneratedFilesStale
    from grafana.generate import build_all, write
    from grafana.generate import check as check_files
    from index_engine.catalog import load_catalog

    artefacts = build_all(load_catalog())
    if check:
        try:
            check_files(artefacts, repo)
        except GeneratedFilesStale as exc:
            raise fail(str(exc)) from None
        console.print(f"Grafana files are up to date ({len(artefacts.files)} files).")
        return
    changed = write(artefacts, repo)
    console.print(f"Wrote {len(changed)} of {len(artefacts.files)} files." + "".join(f"\n  {p}" for p in changed))


@app.command()
def publish(
    url: Annotated[str, typer.Option(help="Grafana base URL, e.g. https://grafana.example.org.")],
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each request.")] = 10.0,
) -> None:
    """Push the folder, dashboards, alert rules, contact points, the QN-DTI policy route and templates (idempotent).

    The service-account token comes from QNDTI_GRAFANA_TOKEN (never from the command line, where other users of
    the machine could read it); contact-point addresses from the DTI_ALERT_* variables.
    """
    config = settings()
    if config.grafana_token is None:
        raise fail("set QNDTI_GRAFANA_TOKEN to a service-account token of the Grafana server", code=2)
    from grafana.errors import PublishError
    from grafana.generate import build_all
    from grafana.publish import connect
    from grafana.publish import publish as push
    from index_engine.catalog import load_catalog

    artefacts = build_all(load_catalog())
    try:
        report = push(connect(url, config.grafana_token.get_secret_value(), timeout), artefacts, os.environ)
    except PublishError as exc:
        raise fail(f"publishing to {url} failed: {exc}") from None
    console.print(f"Published to {url}: {len(report.created)} created, {len(report.updated)} updated.")
