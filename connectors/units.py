"""Unit names as sources write them → catalog unit codes, with and without Vietnamese diacritics.

``"Hạ Long"``, ``"Ha Long"``, ``"TP. Hạ Long"``, ``"UBND thành phố Hạ Long"`` and ``"HA LONG"`` all resolve to
``HALONG``: names are folded (diacritics removed, ``đ`` → ``d``, lower case, punctuation dropped) and the
administrative prefixes that sources add or leave out (thành phố, thị xã, huyện, UBND, …) are stripped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Final

from index_engine.catalog import Catalog

# Longest first, so "thanh pho" is stripped before "tp" could match a part of it.
_PREFIXES: Final = (
    "uy ban nhan dan",
    "ubnd",
    "thanh pho",
    "thi xa",
    "thi tran",
    "huyen",
    "quan",
    "tinh",
    "tp",
    "tx",
    "h",
)
_PUNCT: Final = re.compile(r"[^\w\s]")
_SPACES: Final = re.compile(r"\s+")


def fold(name: str) -> str:
    """Lower-case ASCII form of a name: no diacritics, no punctuation, single spaces."""
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return _SPACES.sub(" ", _PUNCT.sub(" ", text)).strip()


def unit_key(name: str) -> str:
    """The matching key of a unit name: folded, administrative prefixes removed, spaces dropped."""
    words = fold(name)
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if words.startswith(prefix + " ") and len(words) > len(prefix) + 1:
                words = words[len(prefix) + 1 :]
                changed = True
    return words.replace(" ", "")


class UnitResolver:
    """Resolves source unit names to catalog codes; built from the catalog's names plus a source's aliases."""

    def __init__(self, catalog: Catalog, aliases: Mapping[str, str] | None = None) -> None:
        self._codes = frozenset(catalog.units)
        keys: dict[str, set[str]] = {}
        for unit in catalog.units.values():
            for name in (unit.code, unit.name_vi, unit.name_en):
                keys.setdefault(unit_key(name), set()).add(unit.code)
        # A key shared by two units would be a guess: leave it out, an alias must say which.
        self._by_key = {key: next(iter(codes)) for key, codes in keys.items() if len(codes) == 1}
        for alias, code in (aliases or {}).items():
            self._by_key[unit_key(alias)] = code

    def resolve(self, name: object) -> str | None:
        """The unit code for ``name``, or None when it is not a unit of the catalog."""
        if name is None:
            return None
        text = str(name).strip()
        if text in self._codes:
            return text
        return self._by_key.get(unit_key(text))

    def unknown_aliases(self, aliases: Iterable[str]) -> list[str]:
        """Alias targets that are not unit codes of the catalog."""
        return [code for code in aliases if code not in self._codes]
