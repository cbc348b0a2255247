from pathlib import Path

import pytest

from connectors.config import DEFAULT_SOURCES, check_against_catalog, load_sources, parse_source
from connectors.errors import ConfigError
from tests.connectors_support import CATALOG, source, write_source


def test_shipped_sources_are_valid() -> None:
    sources = load_sources(DEFAULT_SOURCES)
    assert {"simulator", "dvc-dossiers", "etax", "cashless"} <= set(sources)
    assert [s.name for s in sources.values() if s.enabled] == ["simulator"]
    assert sources["dvc-dossiers"].env_names() == ["DVC_TOKEN"]


@pytest.mark.xfail(
    len(CATALOG.metrics) < 10, reason="the catalog with all 35 indicators is not in this tree yet", strict=True
)
@pytest.mark.parametrize("name", ["dvc-dossiers", "etax", "cashless"])
def test_named_sources_use_catalog_metrics(name: str) -> None:
    check_against_catalog(load_sources(DEFAULT_SOURCES)[name], CATALOG)


@pytest.mark.parametrize(
    ("settings", "field", "message"),
    [
        ({"type": "ftp"}, "type", "Input should be"),
        ({"schedule": {"interval": 5, "cron": "* * * * *"}}, "schedule", "exactly one"),
        ({"schedule": {"cron": "every minute"}}, "schedule", "not a cron expression"),
        ({"auth": {"type": "bearer", "token": "s3cr3t"}}, "auth.bearer", "token_env.*Field required"),
        ({"fields": {"metric": "m"}}, "fields", "go together"),
        ({"timeout": -1}, "timeout", "greater than 0"),
    ],
)
def test_invalid_files_name_file_and_field(
    tmp_path: Path, settings: dict[str, object], field: str, message: str
) -> None:
    path = write_source(tmp_path, "broken", type="http_json", **{k: v for k, v in settings.items() if k != "type"})
    if "type" in settings:
        path = write_source(tmp_path, "broken", **settings)
    with pytest.raises(ConfigError, match=message) as info:
        parse_source(path)
    assert info.value.file == "broken.yaml"
    assert info.value.field is not None
    assert info.value.field.startswith(field)
    assert "s3cr3t" not in str(info.value)


def test_unknown_metric_and_alias_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"bad\.yaml, field 'metrics.x': metric 'no.such'"):
        check_against_catalog(source(tmp_path, "bad", metrics={"x": "no.such"}), CATALOG)
    with pytest.raises(ConfigError, match=r"units\.aliases\.Hoành Bồ"):
        check_against_catalog(source(tmp_path, "bad", units={"aliases": {"Hoành Bồ": "HOANHBO"}}), CATALOG)
    with pytest.raises(ConfigError, match="field 'kind'"):
        check_against_catalog(source(tmp_path, "bad", kind="gauge"), CATALOG)


def test_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("type: [http_json\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^x\.yaml: cannot be read as YAML"):
        load_sources(tmp_path)
