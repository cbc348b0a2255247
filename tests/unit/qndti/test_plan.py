"""``qndti plan new`` copies a plan year for editing; ``qndti catalog validate`` checks the edited files."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from index_engine.catalog import CATALOG_ROOT, DEFAULT_VERSION, load_catalog
from qndti.cli import app


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(CATALOG_ROOT / DEFAULT_VERSION, tmp_path / DEFAULT_VERSION)
    return tmp_path


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"QNDTI_CATALOG_ROOT": str(root)})
    return result.exit_code, result.output


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_new_plan_from_2026_then_edit_and_validate(root: Path) -> None:
    plans = root / DEFAULT_VERSION / "plans"
    code, output = run(root, "plan", "new", "2027", "--from", "2026")
    assert code == 0, output
    source, copied = rows(plans / "2026" / "targets.csv"), rows(plans / "2027" / "targets.csv")
    assert len(copied) == len(source)
    assert {r["period"] for r in copied} == {"2027"}
    assert {(r["target_assumed"], r["baseline_assumed"]) for r in copied} == {("true", "true")}
    assert rows(plans / "2027" / "completions.csv") == []
    assert rows(plans / "2027" / "plan.csv")[0]["assumed"] == "true"
    # A person edits one target in a spreadsheet: a sourced 85% for the province's CQS-04.
    edited = [
        {**r, "target": "85", "target_assumed": "false"} if (r["indicator"], r["unit"]) == ("CQS-04", "QN") else r
        for r in copied
    ]
    write(plans / "2027" / "targets.csv", edited)
    code, output = run(root, "catalog", "validate")
    assert code == 0, output
    assert "plan 2027" in output
    target = load_catalog(DEFAULT_VERSION, root=root).target("CQS-04", "QN", 2027)
    assert target is not None
    assert (target.target, target.target_assumed) == (85.0, False)
    # A typo names the file, the row and the field.
    row = next(i for i, r in enumerate(edited, start=2) if (r["indicator"], r["unit"]) == ("CQS-04", "QN"))
    edited[row - 2] = {**edited[row - 2], "target": "85%"}
    write(plans / "2027" / "targets.csv", edited)
    code, output = run(root, "catalog", "validate")
    assert code == 1
    assert f"plans/2027/targets.csv, row {row}, field 'target'" in " ".join(output.split())


def write(path: Path, data: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(data[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(data)


def test_copying_an_old_plan_follows_the_map(root: Path) -> None:
    code, output = run(root, "plan", "new", "2028", "--from", "2024")
    assert code == 0, output
    copied = rows(root / DEFAULT_VERSION / "plans" / "2028" / "targets.csv")
    # The 2024 plan has CQS-04 targets for the 13 localities, which ended in 2025.
    assert len(copied) == 49 - 13
    assert "13 left out" in output
    catalog = load_catalog(DEFAULT_VERSION, root=root)
    assert catalog.plans[2028].indicators["XHS-01"].lead_unit == "SKHCN"
    assert catalog.plans[2028].indicators["KTS-05"].lead_unit == "STC"


def test_refuses_a_missing_source_or_an_existing_year(root: Path) -> None:
    code, output = run(root, "plan", "new", "2031", "--from", "2030")
    assert code == 1
    assert "there is no 2030 plan" in output
    code, output = run(root, "plan", "new", "2026", "--from", "2025")
    assert code == 1
    assert "already exists" in output


def test_refuses_to_copy_from_an_invalid_catalog(root: Path) -> None:
    (root / DEFAULT_VERSION / "successions.csv").unlink()
    code, output = run(root, "plan", "new", "2027", "--from", "2026")
    assert code == 1
    assert "successions.csv: file is missing" in output
