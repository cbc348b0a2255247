"""Report files as Vietnamese agencies make them, built in the tests.

Title rows, merged headers, a total row, notes and a signature block at the bottom; CSV in Windows-1258 or UTF-16
as older office software saves it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

TITLE: list[list[Any]] = [
    ["CỤC THUẾ TỈNH QUẢNG NINH", None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
    [None, None, None, None, "Độc lập - Tự do - Hạnh phúc"],
    ["BÁO CÁO TÌNH HÌNH NỘP THUẾ ĐIỆN TỬ, 6 THÁNG ĐẦU NĂM 2023"],
]
HEADER = ["STT", "Địa bàn", "DN đang hoạt động", "DN nộp thuế điện tử", "Hộ KD kê khai", "Hộ KD nộp thuế điện tử"]
DATA: list[list[Any]] = [
    [1, "TP. Hạ Long", "3.412", "3.391", "6.870", "2.402"],
    [2, "Cẩm Phả", 2105, 2090, 3120, 1001],
    [3, "Thị xã Quảng Yên", "1.020", "1.011", "2.004", "650"],
]
TOTAL: list[Any] = [None, "Tổng cộng", 6537, 6492, 11994, 4053]
FOOTER: list[list[Any]] = [
    [],
    ["Ghi chú: số liệu tính đến hết ngày 30/6/2023, theo hệ thống quản lý thuế tập trung TMS."],
    [None, None, None, None, "Quảng Ninh, ngày 05 tháng 7 năm 2023"],
    [None, "NGƯỜI LẬP BIỂU", None, None, "CỤC TRƯỞNG"],
    [None, "(Ký, ghi rõ họ tên)", None, None, "(Ký tên, đóng dấu)"],
    [],
    [],
    [None, "Nguyễn Thị Lan", None, None, "Trần Văn Hùng"],
]
ETAX = {
    "DN đang hoạt động": "enterprise.active",
    "DN nộp thuế điện tử": "enterprise.tax_epaying",
    "Hộ KD kê khai": "household_business.declaring",
    "Hộ KD nộp thuế điện tử": "household_business.tax_epaying",
}


def xlsx(path: Path, rows: Sequence[Any], merges: Sequence[str] = (), sheet: str = "Báo cáo") -> Path:
    """Write ``rows`` to a workbook with the given merged ranges."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    for cells in merges:
        ws.merge_cells(cells)
    book.save(path)
    return path


def etax_report(
    path: Path,
    data: Sequence[Any] = DATA,
    header: Sequence[str] = HEADER,
    footer: Sequence[Any] = FOOTER,
) -> Path:
    """The Tax Department's report: title block, header on row 4, data, a total row, notes and signatures."""
    return xlsx(path, [*TITLE, header, *data, TOTAL, *footer], merges=["A3:F3"])


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258(text: str) -> bytes:
    """Windows-1258 as office software writes it: a letter the code page has, then its tone as a combining mark."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += base.encode("cp1258") + "".join(c for c in parts if c in _TONES).encode("cp1258")
    return bytes(out)


def csv_text(rows: Sequence[Any], separator: str = ";") -> str:
    """CSV lines as Excel writes them (no quoting needed for these cells)."""
    return "\r\n".join(separator.join("" if c is None else str(c) for c in row) for row in rows) + "\r\n"
