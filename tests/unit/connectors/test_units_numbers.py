import pytest

from connectors.numbers import parse_number
from connectors.units import UnitResolver, fold, unit_key
from index_engine.catalog import load_catalog

CATALOG = load_catalog()


@pytest.mark.parametrize(
    "name",
    ["Hạ Long", "Ha Long", "TP. Hạ Long", "HA LONG", "Thành phố Hạ Long", "UBND TP Hạ Long", "  ha   long ", "HALONG"],
)
def test_ha_long_in_every_spelling_is_halong(name: str) -> None:
    assert UnitResolver(CATALOG).resolve(name) == "HALONG"


@pytest.mark.parametrize(
    ("name", "code"),
    [("Thị xã Đông Triều", "DONGTRIEU"), ("Dong Trieu", "DONGTRIEU"), ("H. Cô Tô", "COTO"), ("Ba Che", "BACHE")],
)
def test_other_localities(name: str, code: str) -> None:
    assert UnitResolver(CATALOG).resolve(name) == code


def test_unknown_unit_is_none_and_an_alias_resolves() -> None:
    resolver = UnitResolver(CATALOG, {"TT PVHCC": "TTPVHCC"})
    assert resolver.resolve("Huyện Hoành Bồ") is None
    assert resolver.resolve("tt pvhcc") == "TTPVHCC"


def test_fold_removes_diacritics_and_d_bar() -> None:
    assert fold("Đầm Hà, Quảng Ninh!") == "dam ha quang ninh"
    assert unit_key("Thị xã Quảng Yên") == "quangyen"


@pytest.mark.parametrize(
    ("raw", "fmt", "value"),
    [
        ("1.234", "vi", 1234.0),
        ("1.234.567", "vi", 1234567.0),
        ("93,4", "vi", 93.4),
        ("1.234,5", "vi", 1234.5),
        ("93.4", "vi", 93.4),
        ("1,234", "en", 1234.0),
        ("1,234.5", "en", 1234.5),
        (" 12 345 ", "vi", 12345.0),
        (42, "vi", 42.0),
        (3.5, "en", 3.5),
        ("-7", "vi", -7.0),
    ],
)
def test_numbers_as_agencies_write_them(raw: object, fmt: str, value: float) -> None:
    assert parse_number(raw, fmt) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["", "abc", "1.2.3,4,5", "12a", None, True, "nan", float("inf")])
def test_not_numbers_raise(raw: object) -> None:
    with pytest.raises(ValueError, match=r"number|empty"):
        parse_number(raw)
