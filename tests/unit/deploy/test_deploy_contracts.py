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
# Settings the deployment sets before qndti/settings.py has them (docs/operations.md, "Settings contract").
PENDING_SETTINGS = {
    "QNDTI_WORKER_WEB_HOST",
    "QNDTI_CONNECTORS_WEB_HOST",
    "QNDTI_CONNECTORS_WEB_PORT",
    "QNDTI_KAFKA_SECURITY_PROTOCOL",
    "QNDTI_KAFKA_SASL_MECHANISM",
    "QNDTI_KAFKA_SASL_USERNAME",
    "QNDTI_KAFKA_SASL_PASSWORD",
    "QNDTI_KAFKA_SSL_CAFILE",
}


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


def test_deployment_sets_only_known_settings() -> None:
    known = {f"QNDTI_{name.upper()}" for name in Settings.model_fields} | PENDING_SETTINGS
    texts = [
        (DEPLOY / "compose.yaml").read_text(),
        (REPO / ".env.example").read_text(),
        (REPO / "Dockerfile").read_text(),
    ]
    texts += [p.read_text() for p in (DEPLOY / "k8s").rglob("*.yaml")]
    used = {n for t in texts for n in re.findall(r"\b(QNDTI_[A-Z_]+)\b", t)}
    # Variables of the deployment itself (.env only), not settings of a qndti process.
    deployment_only = {"QNDTI_IMAGE", "QNDTI_DB_PASSWORD", "QNDTI_DB_SSLMODE", "QNDTI_DB_PASSWORD_FILE"}
    grafana = {n for n in used if n.startswith(("QNDTI_GRAFANA_", "QNDTI_PROMETHEUS_"))}
    assert used - known - deployment_only - grafana == set()


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
