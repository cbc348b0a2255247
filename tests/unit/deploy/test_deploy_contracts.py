"""Consistency of deploy/ and docs/ with each other and with the code: names, bounds, secrets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

from qndti.settings import Settings
from streams.metrics import WorkerMetrics

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
RULES = DEPLOY / "prometheus" / "rules"
METRICS_DOC = (REPO / "docs" / "metrics.md").read_text()
OPERATIONS_DOC = (REPO / "docs" / "operations.md").read_text()
# Every file that names environment variables for people or for the deployment.
NAMING_FILES = sorted(
    {
        REPO / "README.md",
        REPO / ".env.example",
        REPO / "Dockerfile",
        DEPLOY / "compose.yaml",
        *(REPO / "docs").glob("*.md"),
        *(DEPLOY / "k8s").rglob("*.yaml"),
        *(REPO / "connectors" / "sources").iterdir(),
        *(REPO / "grafana" / "provisioning").rglob("*.yaml"),
    }
)
# A name, or a family written NAME_* (then at least one setting must start with NAME_).
QNDTI_NAME = re.compile(r"\b(QNDTI_[A-Z0-9_]*)(\*)?")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def alert_rules() -> list[dict[str, Any]]:
    return [r for g in load(RULES / "alerts.yml")["groups"] for r in g["rules"]]


def duration_seconds(text: str) -> int:
    return sum(int(n) * {"s": 1, "m": 60, "h": 3600}[u] for n, u in re.findall(r"(\d+)([smh])", text))


def test_every_worker_metric_is_documented() -> None:
    registry = CollectorRegistry()
    WorkerMetrics(registry)
    names = {m.name + ("_total" if m.type == "counter" else "") for m in registry.collect()}
    assert names
    assert {n for n in names if f"`{n}`" not in METRICS_DOC} == set()


def test_every_metric_the_rules_use_is_documented() -> None:
    text = "".join(p.read_text() for p in RULES.glob("*.yml"))
    used = set(re.findall(r"\b(qndti_[a-z_]+?)(?:_bucket|_count|_sum)?\b", text))
    recorded = set(re.findall(r"\b(qndti:[a-z_0-9:]+)", text))
    assert used
    assert {n for n in used | recorded if f"`{n}`" not in METRICS_DOC} == set()


def test_every_alert_is_bilingual_with_severity_realistic_for_and_a_runbook() -> None:
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", OPERATIONS_DOC, re.MULTILINE)
    }
    for rule in alert_rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert 60 <= duration_seconds(rule["for"]) <= 3600, name
        assert " / " in rule["annotations"]["summary"], name
        assert " / " in rule["annotations"]["description"], name
        assert rule["annotations"]["runbook"].split("#")[1] in anchors, name


def test_every_alert_has_a_firing_unit_test() -> None:
    tests = load(DEPLOY / "prometheus" / "tests" / "alerts_test.yml")["tests"]
    fired = {c["alertname"] for t in tests for c in t.get("alert_rule_test", []) if c.get("exp_alerts")}
    silent = {c["alertname"] for t in tests for c in t.get("alert_rule_test", []) if not c.get("exp_alerts")}
    names = {r["alert"] for r in alert_rules()}
    assert names - fired == set()
    assert names - silent == set()


def config_literals(kustomization: Path) -> dict[str, str]:
    generators = load(kustomization).get("configMapGenerator", [])
    return dict(item.split("=", 1) for g in generators if g["name"] == "qndti-config" for item in g["literals"])


def test_worker_replicas_never_exceed_the_partitions() -> None:
    base = config_literals(DEPLOY / "k8s" / "base" / "kustomization.yaml")
    production = base | config_literals(DEPLOY / "k8s" / "overlays" / "production" / "kustomization.yaml")
    base_workers = next(d for d in yaml.safe_load_all((DEPLOY / "k8s" / "base" / "worker.yaml").read_text()))
    assert base_workers["spec"]["replicas"] <= int(base["QNDTI_PARTITIONS"])
    patch = load(DEPLOY / "k8s" / "overlays" / "production" / "worker-patch.yaml")
    hpa = load(DEPLOY / "k8s" / "overlays" / "production" / "worker-hpa.yaml")
    assert patch["spec"]["replicas"] <= hpa["spec"]["maxReplicas"] <= int(production["QNDTI_PARTITIONS"])
    compose = load(DEPLOY / "compose.yaml")
    workers = [s for s in compose["services"] if s.startswith("worker-")]
    env = dict(line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines() if "=" in line)
    assert len(workers) <= int(env["QNDTI_PARTITIONS"])


def named_settings() -> dict[str, set[str]]:
    """Each QNDTI_ name (or family prefix ending in ``_``) in the naming files, with the files that name it."""
    names: dict[str, set[str]] = {}
    for path in NAMING_FILES:
        for name, family in QNDTI_NAME.findall(path.read_text()):
            key = name if family or name == "QNDTI_" else name.rstrip("_")
            names.setdefault(key, set()).add(str(path.relative_to(REPO)))
    return names


def test_every_named_qndti_variable_is_a_setting() -> None:
    known = {f"QNDTI_{field.upper()}" for field in Settings.model_fields}
    names = named_settings()
    assert "QNDTI_KAFKA_BOOTSTRAP" in names  # the scan reads the files
    # QNDTI_ alone is the prefix, in sentences about it; any other family must hold a setting.
    families = {n for n in names if n.endswith("_") and n != "QNDTI_"}
    unknown = {n: sorted(f) for n, f in names.items() if n not in known | families | {"QNDTI_"}}
    empty = {n: sorted(names[n]) for n in families if not any(k.startswith(n) for k in known)}
    assert unknown == {}
    assert empty == {}


def test_example_env_has_no_secret_values() -> None:
    for line in (REPO / ".env.example").read_text().splitlines():
        key, _, value = line.partition("=")
        if re.search(r"PASSWORD|TOKEN|CLUSTER_ID", key) and not key.startswith("#"):
            assert value == "change-me", key


def test_compose_passes_secrets_as_files_not_values() -> None:
    compose = load(DEPLOY / "compose.yaml")
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        for key, value in env.items():
            if re.search(r"PASSWORD|TOKEN", key):
                assert key.endswith("_FILE"), f"{name}: {key}"
                assert str(value).startswith("/run/secrets/"), f"{name}: {key}"
