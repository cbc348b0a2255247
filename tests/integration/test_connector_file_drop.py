"""``file_drop`` and ``qndti import`` on real CSV and XLSX files on disk, producing to the real Kafka broker."""

from __future__ import annotations

import asyncio
import os
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
    path.parent.mkdir(parents=True, exist_ok=True)
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
            # One failure for the poll that set bad.csv aside, however many of its rows were bad.
            assert (
                sample(kafka.registry, "qndti_connector_failures_total", source="reports", error_class="bad_record")
                == 1
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
    assert (drop / "failed" / "changed.csv.reason.txt").read_text(encoding="utf-8") == (
        "changed.csv: column 'Đơn vị' not found; the header seems to be row 1, which has 'Unit', 'Processed' "
        "(read as UTF-8 text) (has the report format changed?)\n"
    )


def test_a_corrected_report_for_the_same_date_is_a_higher_revision(
    stack: StackInfo, topics: Topics, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    original = xlsx_report(drop / "ho-so-2023-06-30.xlsx", [[1, "Hạ Long", "12.345", "11.530"], [2, "Cô Tô", 80, 75]])
    os.utime(original, (1_688_300_000, 1_688_300_000))

    async def scenario() -> list[Any]:
        async with KafkaEmitter(stack.kafka_bootstrap, topics.observations, tmp_path / "state") as kafka:
            loop = SourceLoop(
                FileDropConnector(drop_source(tmp_path, drop), CATALOG), kafka.emitter, {}, SourceState("reports")
            )
            await loop.poll_once()
            # The agency fixes Hạ Long's online count and sends the file again, with the same name.
            fixed = xlsx_report(
                drop / "ho-so-2023-06-30.xlsx", [[1, "Hạ Long", "12.345", "11.630"], [2, "Cô Tô", 80, 75]]
            )
            os.utime(fixed, (1_688_400_000, 1_688_400_000))
            await loop.poll_once()
            return await read_topic(stack.kafka_bootstrap, topics.observations, 8)

    found = asyncio.run(scenario())
    online = sorted(
        (o for o in found if o.unit == "HALONG" and o.metric == "dossier.processed_online"), key=lambda o: o.revision
    )
    assert [(o.value, o.revision) for o in online] == [(11530.0, 1_688_300_000_000), (11630.0, 1_688_400_000_000)]
    assert online[0].ts == online[1].ts
    assert online[1].id == "reports:HALONG:dossier.processed_online:2023-06-30T16:59:59Z@1688400000000"
    assert len({o.id for o in found}) == 8  # every observation of the corrected file has ids of its own
    assert len([p for p in (drop / "processed").iterdir() if p.suffix == ".xlsx"]) == 2  # both kept, none failed


def _import(stack: StackInfo, topics: Topics, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
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
    env = service_env(stack, "postgresql://unused", topics, tmp_path, QNDTI_CONNECTOR_SOURCES=str(sources))
    return subprocess.run(
        [sys.executable, "-m", "qndti", "import", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_import_is_all_or_nothing_unless_partial(stack: StackInfo, topics: Topics, tmp_path: Path) -> None:
    report = csv_report(
        tmp_path / "2023-03-31.csv",
        [[1, "Hạ Long", "5.000", "4.600"], [2, "Móng Cái", "abc", "3"], [3, "Quảng Yên", "2.100", "2.000"]],
    )
    result = _import(stack, topics, tmp_path, str(report))
    assert result.returncode == 1, result.stderr
    said = " ".join(result.stderr.split())  # the console wraps long lines
    assert "3 rows; 2 good rows, 0 observations produced; 1 rows rejected" in said
    assert "row 4, column 'Hồ sơ Đã xử lý': count 'abc' is not a number" in said
    assert "nothing was produced (a report is all or nothing)" in said
    assert asyncio.run(read_topic(stack.kafka_bootstrap, topics.observations, 0, timeout=1)) == []

    result = _import(stack, topics, tmp_path, str(report), "--partial")
    assert result.returncode == 1, result.stderr
    assert "3 rows; 2 good rows, 4 observations produced; 1 rows rejected" in " ".join(result.stderr.split())
    found = asyncio.run(read_topic(stack.kafka_bootstrap, topics.observations, 4))
    assert sorted((o.unit, o.value) for o in found) == [
        ("HALONG", 4600.0),
        ("HALONG", 5000.0),
        ("QUANGYEN", 2000.0),
        ("QUANGYEN", 2100.0),
    ]


def test_import_of_an_undated_agency_file_with_a_signature_block_and_a_correction(
    stack: StackInfo, topics: Topics, tmp_path: Path
) -> None:
    footer = [[], [None, None, "Hạ Long, ngày 02 tháng 4 năm 2023"], [None, "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ"]]
    # Undated, it is dated with the time it is read: today, so a unit of today's map (Hạ Long city ended in 2025).
    today = xlsx_report(
        tmp_path / "undated" / "bao-cao-ho-so.xlsx", [[1, "Phường Bãi Cháy", "5.000", "4.600"], *footer]
    )
    result = _import(stack, topics, tmp_path, str(today), "--dry-run")
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert "warning: bao-cao-ho-so.xlsx: no report date in the file name" in said
    assert "give it with qndti import --date" in said
    assert "bao-cao-ho-so.xlsx: rows from 6 on are the notes and signature block: skipped" in said

    report = xlsx_report(tmp_path / "bao-cao-ho-so.xlsx", [[1, "Hạ Long", "5.000", "4.600"], *footer])
    os.utime(report, (1_680_000_000, 1_680_000_000))
    result = _import(stack, topics, tmp_path, str(report), "--date", "2023-03-31")
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    corrected = xlsx_report(tmp_path / "bao-cao-ho-so.xlsx", [[1, "Hạ Long", "5.000", "4.700"], *footer])
    os.utime(corrected, (1_680_100_000, 1_680_100_000))
    result = _import(stack, topics, tmp_path, str(corrected), "--date", "2023-03-31")
    assert result.returncode == 0, result.stderr
    found = asyncio.run(read_topic(stack.kafka_bootstrap, topics.observations, 4))
    assert sorted((o.metric, o.revision, o.value, o.ts.isoformat()) for o in found) == [
        ("dossier.processed", 1_680_000_000_000, 5000.0, "2023-03-31T23:59:59+07:00"),
        ("dossier.processed", 1_680_100_000_000, 5000.0, "2023-03-31T23:59:59+07:00"),
        ("dossier.processed_online", 1_680_000_000_000, 4600.0, "2023-03-31T23:59:59+07:00"),
        ("dossier.processed_online", 1_680_100_000_000, 4700.0, "2023-03-31T23:59:59+07:00"),
    ]
    result = _import(stack, topics, tmp_path, str(corrected), "--date", "31/03/2023")
    assert result.returncode == 2
    assert "--date '31/03/2023' is not a date like 2023-06-30" in result.stderr
