"""Static checks of deploy/: Prometheus rules and configs, Alertmanager, Compose, Kubernetes, Dockerfile.

The tools come from ``deploy/ci/install-tools.sh``; a missing tool fails the test with that hint, never skips it.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

DEPLOY = REPO / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
COMPOSE_SCHEMA = REPO / ".tools" / "compose-spec" / "compose-spec.json"
# The oldest Kubernetes the manifests support, and the newest schema the validator bundles.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
INSTALL_HINT = "run `bash deploy/ci/install-tools.sh` first"


def tool(name: str) -> str:
    """Path of a command-line tool: the virtual environment's, .tools/bin's, then PATH's."""
    for folder in (Path(sys.executable).parent, REPO / ".tools" / "bin"):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: {INSTALL_HINT}")
    return found


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run a tool; fail the test with its output when it exits non-zero."""
    result = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


# Prometheus and Alertmanager


def test_promtool_checks_every_rule_file() -> None:
    files = sorted(str(p) for p in (PROMETHEUS / "rules").glob("*.yml"))
    assert files
    out = run(tool("promtool"), "check", "rules", *files).stdout
    assert out.count("SUCCESS") == len(files)


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-k8s.yml"])
def test_promtool_checks_scrape_config_and_its_rules(config: str) -> None:
    out = run(tool("promtool"), "check", "config", config, cwd=PROMETHEUS).stdout
    assert "SUCCESS: 2 rule files found" in out


def test_promtool_rule_unit_tests_pass() -> None:
    tests = sorted(str(p.relative_to(PROMETHEUS)) for p in (PROMETHEUS / "tests").glob("*.yml"))
    assert tests
    out = run(tool("promtool"), "test", "rules", *tests, cwd=PROMETHEUS).stdout
    assert out.count("SUCCESS") == len(tests)


def test_promtool_rule_tests_catch_a_broken_rule(tmp_path: Path) -> None:
    # The unit tests must be able to fail: with a threshold that can never be crossed, they do.
    shutil.copytree(PROMETHEUS / "rules", tmp_path / "rules")
    shutil.copytree(PROMETHEUS / "tests", tmp_path / "tests")
    alerts = tmp_path / "rules" / "alerts.yml"
    alerts.write_text(
        alerts.read_text().replace("qndti:dead_letter_ratio:rate15m > 0.05", "qndti:dead_letter_ratio:rate15m > 5")
    )
    result = subprocess.run(
        [tool("promtool"), "test", "rules", "tests/alerts_test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "QndtiDeadLetterRate" in result.stdout + result.stderr


def test_amtool_checks_alertmanager_config() -> None:
    out = run(tool("amtool"), "check-config", str(DEPLOY / "alertmanager" / "alertmanager.yml")).stdout
    assert "SUCCESS" in out


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [(["severity=critical", "alertname=QndtiAllWorkersDown"], "ioc-oncall"), (["severity=warning"], "ioc-email")],
)
def test_alertmanager_routes_by_severity(labels: list[str], receiver: str) -> None:
    config = f"--config.file={DEPLOY / 'alertmanager' / 'alertmanager.yml'}"
    out = run(tool("amtool"), "config", "routes", "test", config, *labels).stdout
    assert out.strip() == receiver


# Compose


def env_example() -> dict[str, str]:
    """Variables of .env.example."""
    pairs = (line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs if not k.lstrip().startswith("#")}


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable interpolation (${VAR}, ${VAR:-default}, ${VAR:?error}) with the given values."""

    def value(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        if name in env and env[name] != "":
            return env[name]
        if op == ":-":
            return arg
        raise AssertionError(f"compose.yaml needs ${{{name}}}, which .env.example does not set")

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", value, text)


def compose_schema() -> dict[str, Any]:
    if not COMPOSE_SCHEMA.exists():
        pytest.fail(f"the Compose JSON Schema is missing at {COMPOSE_SCHEMA}: {INSTALL_HINT}")
    schema: dict[str, Any] = json.loads(COMPOSE_SCHEMA.read_text())
    return schema


def compose_errors(document: dict[str, Any]) -> list[str]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(compose_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def compose_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(interpolate((DEPLOY / "compose.yaml").read_text(), env_example()))
    return document


def test_compose_file_matches_the_compose_specification() -> None:
    assert compose_errors(compose_document()) == []


def test_compose_schema_check_rejects_a_wrong_file() -> None:
    broken = copy.deepcopy(compose_document())
    broken["services"]["worker-1"]["healthcheck"]["interval"] = ["30s"]
    broken["services"]["kafka"]["restart_policy"] = "always"
    errors = compose_errors(broken)
    assert any("restart_policy" in e for e in errors), errors
    assert any("healthcheck/interval" in e for e in errors), errors


def test_compose_mounts_exist() -> None:
    for name, service in compose_document()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                # grafana/ provisioning and dashboards are built by the project's grafana package.
                if source.startswith("../grafana/"):
                    continue
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which does not exist"


# Kubernetes


def kustomize(folder: Path) -> list[dict[str, Any]]:
    """Render a Kustomize folder with kustomize, or kubectl's built-in copy of it."""
    local = REPO / ".tools" / "bin" / "kustomize"
    if local.exists() or shutil.which("kustomize"):
        out = run(tool("kustomize"), "build", str(folder)).stdout
    else:
        out = run(tool("kubectl"), "kustomize", str(folder)).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def kubernetes_errors(document: dict[str, Any], version: str) -> str | None:
    import kubernetes_validate

    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("overlay", ["base", "overlays/production"])
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kubernetes_manifests_match_their_schemas(overlay: str, version: str) -> None:
    documents = kustomize(DEPLOY / "k8s" / overlay)
    kinds = {d["kind"] for d in documents}
    assert {"Deployment", "Job", "PodDisruptionBudget", "NetworkPolicy", "ConfigMap", "Service"} <= kinds
    errors = {f"{d['kind']}/{d['metadata']['name']}": kubernetes_errors(d, version) for d in documents}
    assert {k: v for k, v in errors.items() if v} == {}


def test_kubernetes_schema_check_rejects_a_wrong_manifest() -> None:
    deployment = next(d for d in kustomize(DEPLOY / "k8s" / "base") if d["kind"] == "Deployment")
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["pathh"] = "/healthz"
    assert kubernetes_errors(broken, KUBERNETES_VERSIONS[0]) is not None
    broken = copy.deepcopy(deployment)
    broken["spec"]["replicas"] = "two"
    assert kubernetes_errors(broken, KUBERNETES_VERSIONS[0]) is not None


def test_production_overlay_keeps_no_secret_values() -> None:
    documents = kustomize(DEPLOY / "k8s" / "overlays" / "production")
    assert [d["metadata"]["name"] for d in documents if d["kind"] == "Secret"] == []
    config = next(d for d in documents if d["kind"] == "ConfigMap")
    assert not any(re.search(r"password|secret|://[^/@]+:[^/@]+@", f"{k}={v}", re.I) for k, v in config["data"].items())


# Dockerfile


def test_hadolint_passes_on_the_dockerfile() -> None:
    run(tool("hadolint"), "--failure-threshold", "info", str(REPO / "Dockerfile"))


def test_hadolint_flags_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nUSER root\n")
    result = subprocess.run([tool("hadolint"), str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # the tag "latest"


def test_dockerfile_runs_as_non_root() -> None:
    users = re.findall(r"^USER\s+(\S+)", (REPO / "Dockerfile").read_text(), re.MULTILINE)
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}
