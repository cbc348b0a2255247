"""The 2023 and 2025 task lists as loaded, their lead units across the mergers; 2025 leads the loader refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from index_engine.catalog import DEFAULT_VERSION, Catalog, TaskRules, load_catalog
from index_engine.errors import CatalogError
from tests.unit.index_engine.test_catalog_validation import Copy, append, set_field


def test_the_2023_plan_has_52_tasks_of_which_six_are_sourced(catalog: Catalog) -> None:
    tasks = catalog.plans[2023].tasks
    assert list(tasks) == [f"NV23-{n:02d}" for n in range(1, 53)]
    assert [code for code, task in tasks.items() if not task.assumed] == [f"NV23-0{n}" for n in range(1, 7)]
    assert tasks["NV23-02"].deliverable == "Kế hoạch 111/KH-UBND"
    assert tasks["NV23-02"].deadline == dt.date(2023, 6, 30)  # 2023-Q2
    assert tasks["NV23-06"].co_lead_units == ("SYT", "SGDDT")
    # Every lead unit exists all through 2023, and every pillar has tasks.
    assert {t.pillar for t in tasks.values()} == {"CQS", "KTS", "XHS", "NT"}
    assert all(catalog.units[t.lead_unit].valid_on(dt.date(2023, 1, 1)) for t in tasks.values())
    assert all(t.deadline.year == 2023 for t in tasks.values())


def test_the_2025_plan_has_39_tasks_led_as_on_3_february(catalog: Catalog) -> None:
    plan = catalog.plans[2025]
    assert list(plan.tasks) == [f"NV25-{n:02d}" for n in range(1, 40)]
    assert all(t.assumed for t in plan.tasks.values())
    assert plan.starts_on == dt.date(2025, 2, 3)
    nv01 = plan.tasks["NV25-01"]
    assert nv01.lead_unit == "STTTT"
    assert catalog.task_lead(nv01, dt.date(2025, 2, 28)) == "STTTT"
    assert catalog.task_lead(nv01, dt.date(2025, 3, 1)) == "SKHCN"
    assert catalog.task_lead(plan.tasks["NV25-21"], dt.date(2025, 6, 30)) == "STC"  # Sở KH&ĐT merged into it
    assert catalog.task("NV25-39") is plan.tasks["NV25-39"]
    assert catalog.task("NV24-01") is None


def test_no_source_gives_the_2024_and_2026_tasks(catalog: Catalog) -> None:
    assert catalog.plans[2024].tasks == {}
    assert catalog.plans[2026].tasks == {}
    assert catalog.plans[2024].starts_on == dt.date(2024, 1, 1)  # no plan document: its year


def test_task_rules_of_every_year(catalog: Catalog) -> None:
    assert {year: plan.task_rules for year, plan in catalog.plans.items()} == {
        year: TaskRules(tolerance=20.0, cadence_days=31, reminder_days=14) for year in (2023, 2024, 2025, 2026)
    }


TASK = {"code": "NV25-05"}
CASES = [
    (
        "plans/2025/tasks.csv",
        set_field(TASK, "lead_unit", "HALONG"),
        "plans/2025/tasks.csv, row 6, field 'lead_unit': cannot lead in 2025: unit 'HALONG' ends on 2025-06-30 and "
        "no successor takes over its roles",
    ),
    (
        "plans/2025/tasks.csv",
        set_field(TASK, "lead_unit", "SKHCN"),
        "row 6, field 'lead_unit': cannot lead in 2025: unit 'SKHCN' only exists from 2025-03-01",
    ),
    (
        "plans/2024/tasks.csv",
        append("NV25-01,Lặp lại,Again,NT,SYT,,2024-Q1,,true,"),
        "plans/2025/tasks.csv, field 'code': task 'NV25-01' is also in the 2024 plan",
    ),
]


@pytest.mark.parametrize(("file", "edit", "message"), CASES)
def test_2025_task_leads_and_codes_the_loader_refuses(
    catalog_copy: Copy, file: str, edit: Callable[[str], str], message: str
) -> None:
    root = catalog_copy(file, edit)
    with pytest.raises(CatalogError) as caught:
        load_catalog(DEFAULT_VERSION, root=root)
    assert message in str(caught.value)
