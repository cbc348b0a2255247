"""``file_drop`` and ``qndti import`` on real CSV and XLSX files on disk, producing to the real Kafka broker."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from connectors.adapters.file_drop import FileDropConnector
from connectors.config import SourceConfig
from connectors.runner import SourceLoop, SourceState
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.connectors_support import CATALOG, KafkaEmitter, read_topic, sample, source, write_source
from tests.integration.conftest import service_env

pytestmark = pytest.mark.integration

METRICS = {"Hồ sơ Đã xử lý": "dossier.processed", "Hồ sơ Trực tuyến": "dossier.processed_online"}


def drop_source(tmp_path: Path, folder: Path) -> SourceConfig:
    return source(
        tmp_path / "sources",
        "reports",
        type="file_drop",
        fields={"unit": "Đơn vị"},
        metrics=METRICS,
        options={"folder": str(folder), "header_rows": 2, "settle_seconds": 0},
    )


def xlsx_report(path: Path, rows: list[list[Any]]) -> Path:
    """A report as an agency makes it: a title, a two-row header with merged cells, a total row."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ 6 THÁNG ĐẦU NĂM 2023"])
    ws.append(["STT", "Đơn vị", "Hồ sơ", None])
    ws.append([None, None, "Đã xử lý", "Trực tuyến"])
    for row in rows:
        ws.append(row)
    ws.append([None, "Tổng cộng", None, None])
    ws.merge_cells("A1:D1")
    ws.merge_cells("C2:D2")
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:B3")
    book.save(path)
    return path


def csv_report(path: Path, rows: list[list[Any]]) -> Path:
    lines = ["STT;Đơn vị;Hồ sơ;", ";;Đã xử lý;Trực tuyến", *(";".join(str(c) for c in r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def test_reports_are_produced_once_and_bad_ones_set_aside(stack: StackInfo, topics: Topics, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    xlsx_report(drop / "ho-so-2023-06-30.xlsx", [[1, "TP. Hạ Long", "12.345", "11.530"], [2, "Cam Pha", 8000, 7500]])
    csv_report(drop / "uong-bi-30.06.2023.csv", [[1, "Uông Bí", "4.000", "3.800"]])
    # Dated 30 June 2023, when Vân Đồn and Cô Tô were districts (a report of today would name their successors).
    csv_report(
        drop / "bad-30.06.2023.csv",
        [[1, "Vân Đồn", "100", "90"], [2, "Huyện Hoành Bồ", "5", "4"], [3, "Cô Tô", "-1", "0"]],
    )
    (drop / "notes.txt").write_text("not a report", encoding="utf-8")

    async def scenario() -> list[Any]:
        async with KafkaEmitter(stack.kafka_bootstrap, topics.observations, tmp_path / "state") as kafka:
            loop = SourceLoop(
                FileDropConnector(drop_source(tmp_path, drop), CATALOG), kafka.emitter, {}, SourceState("reports")
            )
            await loop.poll_once()
            # The same content dropped again under another name is not produced twice.
            shutil.copy(drop / "processed" / "ho-so-2023-06-30.xlsx", drop / "ho-so-copy.xlsx")
            await loop.poll_once()
            assert sample(kafka.registry, "qndti_connector_observations_total", source="reports") == 6
            assert (
                sample(kafka.registry, "qndti_connector_failures_total", source="reports", error_class="bad_record")
                == 2
            )
            assert len(kafka.store.load("reports")["files"]) == 2
            return await read_topic(stack.kafka_bootstrap, topics.observations, 6)

    found = asyncio.run(scenario())
    assert sorted((o.unit, o.metric, o.value, o.ts.isoformat()) for o in found) == [
        ("CAMPHA", "dossier.processed", 8000.0, "2023-06-30T23:59:59+07:00"),
        ("CAMPHA", "dossier.processed_online", 7500.0, "2023-06-30T23:59:59+07:00"),
        ("HALONG", "dossier.processed", 12345.0, "2023-06-30T23:59:59+07:00"),
        ("HALONG", "dossier.processed_online", 11530.0, "2023-06-30T23:59:59+07:00"),
        ("UONGBI", "dossier.processed", 4000.0, "2023-06-30T23:59:59+07:00"),
        ("UONGBI", "dossier.processed_online", 3800.0, "2023-06-30T23:59:59+07:00"),
    ]
    assert sorted(p.name for p in (drop / "processed").iterdir()) == [
        "ho-so-2023-06-30.xlsx",
        "ho-so-copy.xlsx",
        "ho-so-copy.xlsx.reason.txt",
        "uong-bi-30.06.2023.csv",
    ]
    reason = (drop / "failed" / "bad-30.06.2023.csv.reason.txt").read_text(encoding="utf-8")
    assert "row 4" in reason
    assert "Hoành Bồ" in reason
    assert "row 5" in reason
    assert "negative" in reason
    assert (drop / "notes.txt").exists()


def test_unreadable_file_goes_to_failed_with_the_reason(stack: StackInfo, topics: Topics, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    csv_report(drop / "changed.csv", [])
    (drop / "changed.csv").write_text("Unit,Processed\nHa Long,1\n", encoding="utf-8")

    async def scenario() -> None:
        async with KafkaEmitter(stack.kafka_bootstrap, topics.observations, tmp_path / "state") as kafka:
            loop = SourceLoop(
                FileDropConnector(drop_source(tmp_path, drop), CATALOG), kafka.emitter, {}, SourceState("reports")
            )
            await loop.poll_once()
            assert sample(kafka.registry, "qndti_connector_observations_total", source="reports") == 0

    asyncio.run(scenario())
    assert "not a readable XLSX" in (drop / "failed" / "broken.xlsx.reason.txt").read_text(encoding="utf-8")
    assert "no header row" in (drop / "failed" / "changed.csv.reason.txt").read_text(encoding="utf-8")


def test_import_backfills_a_report_with_a_summary(stack: StackInfo, topics: Topics, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    write_source(
        sources,
        "reports",
        type="file_drop",
        enabled=False,
        fields={"unit": "Đơn vị"},
        metrics=METRICS,
        options={"header_rows": 2},
    )
    report = csv_report(
        tmp_path / "2023-03-31.csv",
        [[1, "Hạ Long", "5.000", "4.600"], [2, "Móng Cái", "abc", "3"], [3, "Quảng Yên", "2.100", "2.000"]],
    )
    env = service_env(stack, "postgresql://unused", topics, tmp_path, QNDTI_CONNECTOR_SOURCES=str(sources))
    result = subprocess.run(
        [sys.executable, "-m", "qndti", "import", str(report)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stderr
    said = " ".join(result.stderr.split())  # the console wraps long lines
    assert "3 rows; 2 rows produced 4 observations; 1 rows rejected" in said
    assert "row 4, field 'ho so da xu ly': count 'abc' is not a number" in said
    found = asyncio.run(read_topic(stack.kafka_bootstrap, topics.observations, 4))
    assert sorted((o.unit, o.value) for o in found) == [
        ("HALONG", 4600.0),
        ("HALONG", 5000.0),
        ("QUANGYEN", 2000.0),
        ("QUANGYEN", 2100.0),
    ]
