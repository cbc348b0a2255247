"""``qndti tasks``: the key tasks of the plans, and one progress report sent from the command line."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
import typer
from rich.markup import escape

from connectors.producer import ObservationProducer
from connectors.tasks import STATE_WORDS, parse_progress, report_id
from connectors.units import fold
from index_engine.catalog import Catalog
from index_engine.errors import CatalogError, InvalidTaskReport
from index_engine.task_report import TaskReport, TaskState, check_task_report
from qndti.commands import check_kafka_login, console, fail, settings
from qndti.settings import Settings

app = typer.Typer(help="Key tasks of the plans (nhiệm vụ): list them, report their progress.", no_args_is_help=True)

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SOURCE = "cli"
STATES_VI: dict[TaskState, str] = {
    "not_started": "chưa thực hiện / not started",
    "in_progress": "đang thực hiện / in progress",
    "done": "hoàn thành / done",
}


def _catalog(config: Settings) -> Catalog:
    try:
        return config.catalog()
    except CatalogError as exc:
        raise fail(f"{config.catalog_folder()}: {exc}") from None


@app.command("list")
def list_tasks(
    year: int | None = typer.Option(None, help="Only this plan year's tasks (default: every year)."),
) -> None:
    """Print the tasks of the plans: code, lead unit (→ the unit leading it today), deadline, title; (A) = assumed."""
    catalog = _catalog(settings())
    years = [year] if year is not None else sorted(catalog.plans)
    if year is not None and year not in catalog.plans:
        raise fail(f"no plan for {year}; plan years: {', '.join(str(y) for y in sorted(catalog.plans))}", 2)
    today = dt.datetime.now(ZONE).date()
    for plan_year in years:
        plan = catalog.plans[plan_year]
        reference = plan.reference or "không có văn bản / no plan document found"
        typer.echo(f"Kế hoạch / plan {plan_year} ({reference}): {len(plan.tasks)} nhiệm vụ / tasks")
        for task in plan.tasks.values():
            mark = " (A)" if task.assumed else ""
            heir = catalog.task_lead(task, today)
            lead = task.lead_unit if heir == task.lead_unit else f"{task.lead_unit}→{heir}"
            typer.echo(f"  {task.code:8} {lead:15} {task.deadline.isoformat()}  {task.title_vi}{mark}")


def _state(text: str | None, progress: float) -> TaskState:
    if text is None:
        return "not_started" if progress == 0 else "in_progress"
    state = STATE_WORDS.get(fold(text))
    if state is None:
        raise fail(f"--state {text!r} is not one of not_started, in_progress, done (or Hoàn thành, …)", 2)
    return state


def _day(text: str | None) -> dt.date:
    if text is None:
        return dt.datetime.now(ZONE).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise fail(f"--date {text!r} is not a date like 2023-06-30", 2) from None


async def _send(config: Settings, report: TaskReport) -> None:
    topics = config.topics()
    await check_kafka_login(config)
    producer = ObservationProducer(config.kafka_client_options(), topics.observations, topics.task_reports)
    await producer.start()
    try:
        await producer.send_task_reports([report])
    finally:
        await producer.stop()


@app.command("report")
def report(
    code: Annotated[str, typer.Argument(help="Task code, e.g. NV23-02.")],
    progress: Annotated[str, typer.Option(help="Progress in percent: 60, 60,5 or 60%.")],
    state: Annotated[str | None, typer.Option(help="not_started, in_progress or done (default from progress).")] = None,
    evidence: Annotated[str, typer.Option(help="What proves it (a document number, a link); needed for done.")] = "",
    date: Annotated[str | None, typer.Option(help="Report date YYYY-MM-DD (default: today in Vietnam).")] = None,
    note: Annotated[str, typer.Option(help="A note for the steering committee.")] = "",
    report_id_: Annotated[
        str | None, typer.Option("--id", help="Report id (default: derived from the report).")
    ] = None,
) -> None:
    """Send one progress report (TaskReport v1) to the task-report topic; the worker judges it."""
    config = settings()
    catalog = _catalog(config)
    try:
        percent = parse_progress(progress, "vi")
    except ValueError as exc:
        raise fail(f"--progress: {exc}", 2) from None
    task = code.strip().upper()
    draft = TaskReport(
        id="-",
        source=SOURCE,
        task=task,
        date=_day(date),
        progress=percent,
        state=_state(state, percent),
        evidence=evidence.strip(),
        note=note.strip(),
    )
    sent = msgspec.structs.replace(draft, id=report_id_ or report_id(SOURCE, "", draft))
    try:
        check_task_report(sent, catalog, dt.datetime.now(ZONE).date())
    except InvalidTaskReport as exc:
        console.print(
            f"[yellow]cảnh báo / warning:[/yellow] {escape(exc.reason)}: {escape(exc.detail)} "
            "(gửi vẫn được, worker sẽ từ chối / sent anyway: the worker will reject it)",
            soft_wrap=True,
        )
    try:
        asyncio.run(_send(config, sent))
    except Exception as exc:
        raise fail(f"the broker did not acknowledge: {type(exc).__name__}: {exc}") from None
    typer.echo(f"Đã gửi báo cáo tiến độ / progress report sent to {config.topics().task_reports}:")
    typer.echo(f"  nhiệm vụ / task: {sent.task}")
    typer.echo(f"  tiến độ / progress: {sent.progress:g}%")
    typer.echo(f"  trạng thái / state: {STATES_VI[sent.state]}")
    typer.echo(f"  ngày / date: {sent.date.isoformat()}")
    if sent.evidence:
        typer.echo(f"  minh chứng / evidence: {sent.evidence}")
    if sent.note:
        typer.echo(f"  ghi chú / note: {sent.note}")
    typer.echo(f"  mã báo cáo / id: {sent.id}")
