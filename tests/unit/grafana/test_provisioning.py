"""The provisioning files, expanded as Grafana expands them with the environment Compose gives its container.

Grafana (pkg/services/provisioning/values) splits each value on ``$$`` (a literal ``$``), expands
``$__file{path}`` (the file's content, trimmed) and ``$__env{NAME}``, then ``$NAME`` / ``${NAME}`` from the
environment, where an unset variable becomes empty. Compose gives the container the ``environment`` of its service
(``${VAR:-default}`` and ``${VAR:?message}`` filled from ``deploy/.env``) and each secret as a file under
``/run/secrets/``. The expansion here is written from that description, not taken from the code under test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from grafana.generate import Artefacts

REPO = Path(__file__).resolve().parents[3]
PROVISIONING = REPO / "grafana" / "provisioning"
COMPOSE_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}")
GRAFANA_EXPANDER = re.compile(r"\$(|__\w+)\{([^}]+)\}")
ENV_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def dotenv() -> dict[str, str]:
    """deploy/.env as an operator makes it from .env.example, each change-me replaced by a distinct password."""
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = f"pw-{key.lower()}-7f3a" if value == "change-me" else value
    return values


def compose_interpolate(text: str, env: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, op, arg = match.groups()
        if env.get(name):
            return env[name]
        if op == "?":
            pytest.fail(f"Compose stops: {arg}")
        return arg if op == "-" else ""

    return COMPOSE_VARIABLE.sub(one, text)


def grafana_container() -> tuple[dict[str, str], dict[str, str]]:
    """The Grafana container's environment and secret files (path → content), as Compose makes them."""
    env = dotenv()
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    service = compose["services"]["grafana"]
    environment = {k: compose_interpolate(str(v), env) for k, v in service["environment"].items()}
    files = {
        f"/run/secrets/{name}": env[compose["secrets"][name]["environment"]] for name in service.get("secrets", [])
    }
    return environment, files


def grafana_expand(value: str, environ: Mapping[str, str], read: Callable[[str], str]) -> str:
    """One provisioning value as Grafana expands it."""

    def expander(match: re.Match[str]) -> str:
        provider, argument = match.groups()
        if provider == "__file":
            return read(argument).strip()
        if provider in ("__env", ""):
            return environ.get(argument, "")
        pytest.fail(f"expander {provider} is not in Grafana OSS")

    def env_reference(match: re.Match[str]) -> str:
        return environ.get(match.group(1) or match.group(2), "")

    parts = [ENV_REFERENCE.sub(env_reference, GRAFANA_EXPANDER.sub(expander, part)) for part in value.split("$$")]
    return "$".join(parts)


def render(data: Any, environ: Mapping[str, str], read: Callable[[str], str]) -> Any:
    if isinstance(data, str):
        return grafana_expand(data, environ, read)
    if isinstance(data, list):
        return [render(v, environ, read) for v in data]
    if isinstance(data, dict):
        return {k: render(v, environ, read) for k, v in data.items()}
    return data


def provisioned(relative: str) -> Any:
    environ, files = grafana_container()

    def read(path: str) -> str:
        if path not in files:
            pytest.fail(f"Grafana would fail to read {path}: Compose mounts no secret there")
        return files[path]

    return render(yaml.safe_load((PROVISIONING / relative).read_text()), environ, read)


def leaves(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [leaf for v in data.values() for leaf in leaves(v)]
    if isinstance(data, list):
        return [leaf for v in data for leaf in leaves(v)]
    return [data] if isinstance(data, str) else []


def test_the_datasources_get_real_values() -> None:
    sources = {s["uid"]: s for s in provisioned("datasources/qndti.yaml")["datasources"]}
    database = sources["qndti-timescaledb"]
    assert database["url"] == "timescaledb:5432"
    assert database["user"] == "grafana_reader"
    assert database["jsonData"]["database"] == "qndti"
    assert database["jsonData"]["sslmode"] == "disable"
    assert database["secureJsonData"]["password"] == "pw-grafana_reader_password-7f3a"  # noqa: S105
    assert sources["qndti-prometheus"]["url"] == "http://prometheus:9090"


def test_every_contact_point_gets_its_address() -> None:
    points = provisioned("alerting/contact-points.yaml")["contactPoints"]
    settings = {r["uid"]: r["settings"] for p in points for r in p["receivers"]}
    assert settings["qndti-email-ban-chi-dao"]["addresses"] == "ban-chi-dao@example.invalid"
    assert settings["qndti-webhook-ban-chi-dao"]["url"] == "https://ioc.example.invalid/hooks/qndti"
    assert settings["qndti-email-ttpvhcc"]["addresses"] == "ttpvhcc@example.invalid"
    addresses = [s.get("addresses") or s["url"] for s in settings.values()]
    assert all(a and "$" not in a for a in addresses)


@pytest.mark.parametrize("relative", sorted(str(p.relative_to(PROVISIONING)) for p in PROVISIONING.rglob("*.yaml")))
def test_no_provisioned_value_is_left_empty_by_the_expansion(relative: str) -> None:
    raw = leaves(yaml.safe_load((PROVISIONING / relative).read_text()))
    expanded = leaves(provisioned(relative))
    emptied = [r for r, e in zip(raw, expanded, strict=True) if r.strip() and not e.strip()]
    assert emptied == []


def test_rule_annotations_reach_grafana_as_the_api_form(artefacts: Artefacts) -> None:
    groups = provisioned("alerting/rules.yaml")["groups"]
    files = {r["uid"]: r for g in groups for r in g["rules"]}
    api = {r["uid"]: r for g in artefacts.rule_groups for r in g["rules"]}
    assert set(files) == set(api)
    for uid, rule in files.items():
        assert rule["annotations"] == api[uid]["annotations"], uid
        assert rule["labels"] == api[uid]["labels"], uid
        assert [q["model"] for q in rule["data"]] == [q["model"] for q in api[uid]["data"]], uid
