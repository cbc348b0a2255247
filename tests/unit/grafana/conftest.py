"""Fixtures of the Grafana tests: the generated artefacts and the Grafana 11.6 JSON schemas kept beside the repo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grafana.generate import Artefacts, build_all
from index_engine.catalog import load_catalog

REPO = Path(__file__).resolve().parents[3]
SCHEMAS = REPO.parent / "shared" / "schemas" / "grafana-11.6"


@pytest.fixture(scope="session")
def artefacts() -> Artefacts:
    """Everything the builders produce from the current catalog."""
    return build_all(load_catalog())


@pytest.fixture(scope="session")
def schema() -> Any:
    """Load one schema file by name; fail (never skip) when the schemas are not beside the repository."""

    def load(name: str) -> Any:
        path = SCHEMAS / f"{name}.jsonschema.json"
        if not path.exists():
            pytest.fail(f"Grafana 11.6 schema {path} is missing: CI must place shared/ beside the clone")
        return json.loads(path.read_text(encoding="utf-8"))

    return load
