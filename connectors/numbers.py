"""Counts as sources write them: numbers, or text in Vietnamese (``1.234``, ``93,4``) or English notation."""

from __future__ import annotations

import math
import re
from typing import Final, Literal

NumberFormat = Literal["vi", "en"]

_SPACES: Final = re.compile(r"[\s\u00a0\u202f]")


def parse_number(raw: object, number_format: NumberFormat = "vi") -> float:
    """A finite float from a JSON/SQL/spreadsheet value; raises ValueError with the raw text if it is not one.

    In ``vi`` notation ``.`` groups thousands and ``,`` marks decimals (``1.234.567`` → 1234567, ``93,4`` → 93.4);
    ``en`` is the reverse. A lone separator not followed by exactly three digits is read as a decimal mark
    whichever it is (``93.4`` → 93.4 in both), since grouping always comes in threes.
    """
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a number")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        value = _parse_text(raw, number_format)
    elif hasattr(raw, "__float__"):  # Decimal from SQL drivers
        value = float(raw)
    else:
        raise ValueError(f"{raw!r} is not a number")
    if not math.isfinite(value):
        raise ValueError(f"{raw!r} is not a finite number")
    return value


def _parse_text(raw: str, number_format: NumberFormat) -> float:
    text = _SPACES.sub("", raw)
    group, decimal = (".", ",") if number_format == "vi" else (",", ".")
    if not text:
        raise ValueError("empty value")
    sign = ""
    if text[0] in "+-":
        sign, text = text[0], text[1:]
    if group in text and decimal in text:
        whole, _, frac = text.rpartition(decimal)
        text = whole.replace(group, "") + "." + frac if _grouped(whole, group) else "x"
    elif group in text:
        text = text.replace(group, "") if _grouped(text, group) else text.replace(group, ".")
    elif decimal in text:
        text = text.replace(decimal, ".")
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise ValueError(f"{raw!r} is not a number")
    return float(sign + text)


def _grouped(text: str, sep: str) -> bool:
    return re.fullmatch(r"\d{1,3}(?:" + re.escape(sep) + r"\d{3})+", text) is not None
