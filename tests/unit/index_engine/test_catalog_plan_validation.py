"""Invalid plan-year and succession files give errors that name the file, the row and the field."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from index_engine.catalog import CATALOG_ROOT, DEFAULT_VERSION, load_catalog
from index_engine.errors import CatalogError
from tests.unit.index_engine.test_catalog_validation import Copy, append, drop, set_field

SKHCN_FROM_STTTT = {"unit": "SKHCN", "predecessor": "STTTT"}

CASES = [
    (
        "plans/2024/plan.csv",
        set_field({"year": "2024"}, "year", "2023"),
        "plans/2024/plan.csv, row 2, field 'year': 2023 is not the year of its folder (2024)",
    ),
    ("plans/2024/plan.csv", drop(lambda line: line.startswith("2024")), "plans/2024/plan.csv: has 0 rows"),
    ("plans/2024/plan.csv", set_field({"year": "2024"}, "assumed", "maybe"), "row 2, field 'assumed'"),
    (
        "plans/2025/indicators.csv",
        set_field({"code": "XHS-01"}, "lead_unit", "SKHCN"),
        "plans/2025/indicators.csv, row 18, field 'lead_unit': cannot lead in 2025: unit 'SKHCN' only exists "
        "from 2025-03-01",
    ),
    (
        "plans/2026/indicators.csv",
        set_field({"code": "CQS-04"}, "lead_unit", "HALONG"),
        "row 5, field 'lead_unit': cannot lead in 2026: unit 'HALONG' ends on 2025-06-30 and no successor",
    ),
    (
        "plans/2026/indicators.csv",
        set_field({"code": "CQS-04"}, "co_lead_units", "QN; MARS"),
        "row 5, field 'co_lead_units': unknown unit 'MARS'",
    ),
    ("plans/2026/indicators.csv", set_field({"code": "CQS-04"}, "code", "ZZ-1"), "field 'code': unknown indicator"),
    (
        "plans/2024/targets.csv",
        set_field({"indicator": "CQS-01", "unit": "QN"}, "period", "2023"),
        "plans/2024/targets.csv, row 2, field 'period': 2023 is not the plan's year (2024)",
    ),
    (
        "plans/2024/indicators.csv",
        drop(lambda line: line.startswith("NT-06")),
        "plans/2024/targets.csv, row 36, field 'indicator': indicator 'NT-06' is not in the 2024 plan",
    ),
    (
        "plans/2026/targets.csv",
        append("CQS-04,HALONG,2026,70,80,5,true,true,"),
        "plans/2026/targets.csv, row 92, field 'unit': unit 'HALONG' does not exist in 2026",
    ),
    (
        "plans/2026/completions.csv",
        append("CQS-04,QN,2025,2025-12-01,CV 1,"),
        "plans/2026/completions.csv, row 2, field 'period': 2025 is not the plan's year",
    ),
    (
        "plans/2026/weights.csv",
        set_field({"level": "pillar", "code": "NT"}, "weight", "0.2"),
        "plans/2026/weights.csv, field 'weight': pillar weights sum to 1.05",
    ),
    (
        "successions.csv",
        set_field(SKHCN_FROM_STTTT, "predecessor", "SYT"),
        "successions.csv, row 2, field 'predecessor': unit 'SYT' has no valid_to",
    ),
    (
        "successions.csv",
        set_field(SKHCN_FROM_STTTT, "unit", "P_TUANCHAU"),
        "successions.csv, row 2, field 'unit': unit 'P_TUANCHAU' does not exist on 2025-03-01",
    ),
    (
        "successions.csv",
        set_field({"unit": "SVHTTDL"}, "takes_over", "true"),
        "successions.csv, row 3, field 'takes_over': unit 'STTTT' already has a successor that takes over",
    ),
    ("successions.csv", set_field(SKHCN_FROM_STTTT, "share", "half"), "row 2, field 'share': 'half' is not one"),
    ("successions.csv", set_field(SKHCN_FROM_STTTT, "unit", "MARS"), "row 2, field 'unit': unknown unit 'MARS'"),
]


@pytest.mark.parametrize(("file", "edit", "message"), CASES)
def test_invalid_plan_row_names_file_row_and_field(
    catalog_copy: Copy, file: str, edit: Callable[[str], str], message: str
) -> None:
    root = catalog_copy(file, edit)
    with pytest.raises(CatalogError) as caught:
        load_catalog(DEFAULT_VERSION, root=root)
    assert message in str(caught.value)


def copied(tmp_path: Path) -> Path:
    shutil.copytree(CATALOG_ROOT / DEFAULT_VERSION, tmp_path / DEFAULT_VERSION)
    return tmp_path / DEFAULT_VERSION / "plans"


def test_plans_folder_is_required(tmp_path: Path) -> None:
    shutil.rmtree(copied(tmp_path))
    with pytest.raises(CatalogError, match=r"^plans: folder is missing"):
        load_catalog(DEFAULT_VERSION, root=tmp_path)


def test_a_plan_folder_is_named_by_its_year(tmp_path: Path) -> None:
    (copied(tmp_path) / "next").mkdir()
    with pytest.raises(CatalogError, match=r"^plans/next: a plan folder is named by its year"):
        load_catalog(DEFAULT_VERSION, root=tmp_path)


def test_at_least_one_plan_year(tmp_path: Path) -> None:
    plans = copied(tmp_path)
    for year in plans.iterdir():
        shutil.rmtree(year)
    (plans / "README.txt").write_text("files beside the year folders are ignored", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"^plans: has no plan year"):
        load_catalog(DEFAULT_VERSION, root=tmp_path)


def test_a_missing_plan_file_is_named_with_its_year(tmp_path: Path) -> None:
    (copied(tmp_path) / "2025" / "indicators.csv").unlink()
    with pytest.raises(CatalogError, match=r"^plans/2025/indicators.csv: file is missing$"):
        load_catalog(DEFAULT_VERSION, root=tmp_path)
