"""CSV text as Vietnamese offices save it: UTF-8 (with or without BOM), UTF-16 ("Unicode text") or Windows-1258.

The separator is ``;`` (Excel with Vietnamese regional settings), ``,`` or a tab; title rows above the header
often hold a comma or two, so the separator is the one that splits the most rows into the same number of
columns (or the one under which the expected header appears as a cell), not what :class:`csv.Sniffer` guesses
from the first lines.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from typing import Final

from connectors.units import fold

SEPARATORS: Final = (";", "\t", ",")
SAMPLE_LINES: Final = 50


class TextDecodeError(ValueError):
    """The bytes are not text in any encoding Vietnamese offices use."""


def _utf16_without_bom(data: bytes) -> str | None:
    # UTF-16 text of mostly Latin letters has a zero byte in every other position.
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    half = len(data) // 2
    # A few zero bytes on the other side are letters like U+0100 (Ā); many mean it is not UTF-16 at all.
    if odd > half * 0.3 and even <= half * 0.02:
        codec = "utf-16-le"
    elif even > half * 0.3 and odd <= half * 0.02:
        codec = "utf-16-be"
    else:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def decode(data: bytes) -> tuple[str, str]:
    """The text of a file (NFC) and the name of its encoding (``UTF-8``, ``UTF-16`` or ``Windows-1258``)."""
    text, encoding = _decode(data)
    # Windows-1258 (and some UTF-8 writers) put tones as combining marks: compose them as every other text.
    return unicodedata.normalize("NFC", text), encoding


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise TextDecodeError(f"the file starts as UTF-16 but byte {exc.start} is not UTF-16") from None
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    wide = _utf16_without_bom(data)
    if wide is not None:
        return wide, "UTF-16"
    if b"\x00" in data:
        raise TextDecodeError("the file holds binary data (zero bytes), not text")
    try:
        return data.decode("cp1258"), "Windows-1258"  # still written by older office software
    except UnicodeDecodeError as exc:
        raise TextDecodeError(
            f"the file is neither UTF-8 nor UTF-16 nor Windows-1258 text (byte 0x{data[exc.start]:02x} at "
            f"position {exc.start}); save it again as CSV UTF-8"
        ) from None


def _split(text: str, separator: str) -> list[list[str]]:
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=separator)]


def _score(rows: list[list[str]]) -> tuple[int, int]:
    widths = Counter(len(r) for r in rows if len(r) > 1)
    if not widths:
        return 0, 0
    width, count = max(widths.items(), key=lambda wc: (wc[1] * wc[0], wc[0]))
    return count * width, width


def separator(text: str, expect: str | tuple[str, ...] | None = None) -> str:
    """The separator of a CSV text; ``expect`` is a header cell (or any of several) the right one shows whole."""
    sample = "\n".join(text.splitlines()[:SAMPLE_LINES])
    splits = {sep: _split(sample, sep) for sep in SEPARATORS}
    if expect is not None:
        wanted = {fold(e) for e in ((expect,) if isinstance(expect, str) else expect)}
        for sep, rows in splits.items():
            if any(fold(cell) in wanted for row in rows for cell in row):
                return sep
    return max(SEPARATORS, key=lambda sep: _score(splits[sep]))


def csv_rows(text: str, expect: str | tuple[str, ...] | None = None) -> list[list[str]]:
    """Every row of a CSV text as a list of cells."""
    return _split(text, separator(text, expect))
