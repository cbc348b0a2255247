"""``qndti grafana``: build the dashboards and provisioning files from code, check them, publish them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qndti.commands import console, fail

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
    token: Annotated[
        str,
        typer.Option(
            envvar="QNDTI_GRAFANA_TOKEN",
            help="Service-account token (or set QNDTI_GRAFANA_TOKEN).",
            show_default=False,
        ),
    ],
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each request.")] = 10.0,
) -> None:
    """Push the folder, dashboards, alert rules, contact points, policies and templates (idempotent)."""
    from grafana.errors import PublishError
    from grafana.generate import build_all
    from grafana.publish import connect
    from grafana.publish import publish as push
    from index_engine.catalog import load_catalog

    artefacts = build_all(load_catalog())
    try:
        report = push(connect(url, token, timeout), artefacts)
    except PublishError as exc:
        raise fail(f"publishing to {url} failed: {exc}") from None
    console.print(f"Published to {url}: {len(report.created)} created, {len(report.updated)} updated.")
