"""``qndti tasks list`` prints the plans' tasks; ``qndti tasks report`` refuses what it cannot send."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from qndti.cli import app

REFERENCE = Path(__file__).resolve().parents[3] / "connectors" / "data" / "tasks" / "tien-do-nhiem-vu-2023-06-30.csv"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["tasks", *args], env={"QNDTI_KAFKA_BOOTSTRAP": "127.0.0.1:1"})
    return result.exit_code, result.output


def test_the_tasks_of_2023() -> None:
    code, output = run("list", "--year", "2023")
    assert code == 0
    lines = output.splitlines()
    assert lines[0] == "Kế hoạch / plan 2023 (Kế hoạch 37/KH-UBND): 52 nhiệm vụ / tasks"
    assert len(lines) == 53
    assert lines[2].split()[:3] == ["NV23-02", "SKHDT→STC", "2023-06-30"]
    assert lines[2].endswith("Ban hành Kế hoạch hỗ trợ doanh nghiệp nhỏ và vừa chuyển đổi số")
    assert lines[7].endswith("(A)")  # NV23-07 onwards are assumed


def test_every_year_and_the_empty_ones() -> None:
    code, output = run("list")
    assert code == 0
    heads = [line for line in output.splitlines() if line.startswith("Kế hoạch")]
    assert heads == [
        "Kế hoạch / plan 2023 (Kế hoạch 37/KH-UBND): 52 nhiệm vụ / tasks",
        "Kế hoạch / plan 2024 (không có văn bản / no plan document found): 0 nhiệm vụ / tasks",
        "Kế hoạch / plan 2025 (Kế hoạch 34/KH-UBND): 39 nhiệm vụ / tasks",
        "Kế hoạch / plan 2026 (không có văn bản / no plan document found): 0 nhiệm vụ / tasks",
    ]


def test_a_year_without_a_plan() -> None:
    code, output = run("list", "--year", "2019")
    assert code == 2
    assert "no plan for 2019" in output


def test_what_cannot_be_a_report_is_refused_before_sending() -> None:
    assert run("report", "NV23-07", "--progress", "sáu mươi")[0] == 2
    assert run("report", "NV23-07", "--progress", "60", "--state", "tạm dừng")[0] == 2
    code, output = run("report", "NV23-07", "--progress", "60", "--date", "30/06/2023")
    assert code == 2
    assert "not a date like 2023-06-30" in output


def test_a_broker_that_does_not_answer_is_one_error() -> None:
    code, output = run("report", "NV23-07", "--progress", "60", "--date", "2023-06-30")
    assert code == 1
    assert "the broker did not acknowledge" in output


def test_a_progress_file_is_checked_without_producing(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(REFERENCE, drop / REFERENCE.name)
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "tien-do.yaml").write_text(
        f"type: file_drop\nproduces: task_reports\noptions: {{folder: {drop}, settle_seconds: 0}}\n", encoding="utf-8"
    )
    env = {"QNDTI_CONNECTOR_SOURCES": str(sources), "QNDTI_CONNECTOR_STATE_DIR": str(tmp_path / "state")}
    result = CliRunner().invoke(app, ["connectors", "check", "tien-do", "--limit", "2"], env=env)
    assert result.exit_code == 0, result.output
    assert "tien-do: 52 task reports (dry run: nothing produced)" in result.output
    assert "NV23-01" in result.output
    assert "NV23-03" not in result.output
    assert (drop / REFERENCE.name).exists()  # a dry run moves nothing


def test_import_refuses_a_source_of_task_reports(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import", str(REFERENCE), "--source", "task-progress", "--dry-run"])
    assert result.exit_code == 2
    assert "source 'task-progress' reads task progress files: drop the file in its folder" in result.output
