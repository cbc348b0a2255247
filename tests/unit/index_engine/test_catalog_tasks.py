"""Tasks are plan data: tasks.csv of each plan year, checked row by row, with the plan's task rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from index_engine.catalog import DEFAULT_VERSION, TaskRules, load_catalog
from index_engine.errors import CatalogError
from tests.unit.index_engine.test_catalog_validation import Copy, append, set_field

TASKS_2026 = "plans/2026/tasks.csv"
ROW = "NV26-01,Tiêu đề,Title,CQS,{lead},{co},{deadline},Sản phẩm,true,"


def task_row(lead: str = "SKHCN", co: str = "", deadline: str = "2026-Q2", pillar: str = "CQS") -> str:
    return ROW.format(lead=lead, co=co, deadline=deadline).replace(",CQS,", f",{pillar},")


CASES = [
    (
        append(task_row(deadline="2026-Q5")),
        "row 2, field 'deadline': '2026-Q5' is not a date (YYYY-MM-DD) or a quarter",
    ),
    (append(task_row(deadline="x-Q1")), "row 2, field 'deadline': 'x-Q1' is not a date"),
    (append(task_row(deadline="30/6/2026")), "row 2, field 'deadline': '30/6/2026' is not a date (YYYY-MM-DD)"),
    (append(task_row(deadline="2025-12-31")), "row 2, field 'deadline': 2025-12-31 is before the plan's year (2026)"),
    (
        append(task_row(lead="HALONG")),
        "row 2, field 'lead_unit': cannot lead in 2026: unit 'HALONG' ends on 2025-06-30 and no successor",
    ),
    (append(task_row(lead="MARS")), "row 2, field 'lead_unit': unknown unit 'MARS'"),
    (append(task_row(co="SYT; MARS")), "row 2, field 'co_lead_units': unknown unit 'MARS'"),
    (append(task_row(pillar="XX")), "row 2, field 'pillar': unknown pillar 'XX'"),
    (append(task_row() + "\n" + task_row()), "plans/2026/tasks.csv, row 3, field 'code': duplicate 'NV26-01'"),
    (
        append(task_row().replace("NV26-01", "NV23-01")),
        "plans/2026/tasks.csv, field 'code': task 'NV23-01' is also in the 2023 plan",
    ),
]


@pytest.mark.parametrize(("edit", "message"), CASES)
def test_invalid_task_row_names_file_row_and_field(
    catalog_copy: Copy, edit: Callable[[str], str], message: str
) -> None:
    root = catalog_copy(TASKS_2026, edit)
    with pytest.raises(CatalogError) as caught:
        load_catalog(DEFAULT_VERSION, root=root)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("task_cadence_days", "0", "field 'task_cadence_days': 0 must be at least 1 day"),
        ("task_reminder_days", "-3", "field 'task_reminder_days': -3 must be at least 1 day"),
        ("task_tolerance", "-1", "field 'task_tolerance': -1 must be at least 0"),
        ("task_tolerance", "", "field 'task_tolerance': is required"),
    ],
)
def test_invalid_task_rules(catalog_copy: Copy, field: str, value: str, message: str) -> None:
    root = catalog_copy("plans/2026/plan.csv", set_field({"year": "2026"}, field, value))
    with pytest.raises(CatalogError) as caught:
        load_catalog(DEFAULT_VERSION, root=root)
    assert f"plans/2026/plan.csv, row 2, {message}" in str(caught.value)


@pytest.mark.parametrize(
    ("deadline", "day"),
    [
        ("2026-Q1", dt.date(2026, 3, 31)),
        ("2026-Q2", dt.date(2026, 6, 30)),
        ("2026-Q3", dt.date(2026, 9, 30)),
        ("2026-Q4", dt.date(2026, 12, 31)),
        ("2027-02-15", dt.date(2027, 2, 15)),
    ],
)
def test_deadline_is_a_date_or_a_quarter_end(catalog_copy: Copy, deadline: str, day: dt.date) -> None:
    root = catalog_copy(TASKS_2026, append(task_row(deadline=deadline, co="SYT;STC")))
    task = load_catalog(DEFAULT_VERSION, root=root).plans[2026].tasks["NV26-01"]
    assert (task.deadline, task.lead_unit, task.co_lead_units, task.year) == (day, "SKHCN", ("SYT", "STC"), 2026)


def test_tasks_of_2023_with_their_rules_and_lead_after_the_merger() -> None:
    catalog = load_catalog()
    plan = catalog.plans[2023]
    assert plan.task_rules == TaskRules(tolerance=20, cadence_days=31, reminder_days=14)
    assert plan.starts_on == dt.date(2023, 2, 20)
    task = catalog.task("NV23-02")
    assert task is not None
    assert (task.lead_unit, task.co_lead_units, task.deadline) == ("SKHDT", ("STTTT",), dt.date(2023, 6, 30))
    # Sở KH&ĐT merged into Sở Tài chính on 1 March 2025.
    assert catalog.task_lead(task, dt.date(2025, 3, 1)) == "STC"
    assert catalog.task("NV99-99") is None


def test_a_plan_without_an_issue_date_starts_on_1_january() -> None:
    assert load_catalog().plans[2024].starts_on == dt.date(2024, 1, 1)
