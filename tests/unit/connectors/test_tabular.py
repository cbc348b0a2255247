import unicodedata
from pathlib import Path

import pytest
from openpyxl import Workbook

from connectors.tabular import TableError, TableLayout, read_grid, rows


def test_xlsx_with_title_rows_merged_header_and_total(tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Báo cáo"
    ws.append(["BÁO CÁO THANH TOÁN KHÔNG DÙNG TIỀN MẶT"])
    ws.append(["Địa bàn", "Dịch vụ thiết yếu", None, "Thôn, bản", None])
    ws.append([None, "Tổng số", "Chấp nhận TTKDTM", "Tổng số", "Có điểm TTKDTM"])
    ws.append(["Hạ Long", 12, 12, "221", "220"])
    ws.append(["Tổng cộng", 12, 12, 221, 220])
    ws.merge_cells("A1:E1")
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:C2")
    ws.merge_cells("D2:E2")
    book.create_sheet("Khác")
    path = tmp_path / "r.xlsx"
    book.save(path)
    layout = TableLayout(unit_header="Địa bàn", header_rows=2, sheet="bao cao")
    assert list(rows(read_grid(path, "bao cao"), layout)) == [
        (
            4,
            {
                "dia ban": "Hạ Long",
                "dich vu thiet yeu tong so": 12,
                "dich vu thiet yeu chap nhan ttkdtm": 12,
                "thon ban tong so": "221",
                "thon ban co diem ttkdtm": "220",
            },
        )
    ]
    with pytest.raises(TableError, match="no sheet 'Tháng 7'"):
        read_grid(path, "Tháng 7")


def cp1258(text: str) -> bytes:
    """Windows-1258 as office software writes it: a base letter, then the tone as a combining mark."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            out += unicodedata.normalize("NFC", parts[:-1]).encode("cp1258") + parts[-1].encode("cp1258")
    return bytes(out)


def test_windows_1258_csv_with_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(cp1258("Đơn vị;Số hồ sơ\nCô Tô;1.234\n;\n"))
    assert list(rows(read_grid(path), TableLayout(unit_header="Đơn vị"))) == [
        (2, {"don vi": "Cô Tô", "so ho so": "1.234"})
    ]


def test_missing_header_says_the_format_changed(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Unit,Count\nHa Long,1\n", encoding="utf-8")
    with pytest.raises(TableError, match="no header row with a column 'Địa bàn'"):
        list(rows(read_grid(path), TableLayout(unit_header="Địa bàn")))
