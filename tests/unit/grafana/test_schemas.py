"""Every generated dashboard, panel and alerting object validates against the Grafana 11.6 JSON schemas."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from grafana.generate import Artefacts

PANEL_SCHEMAS = {"stat", "bargauge", "table", "timeseries", "text", "gauge", "statetimeline"}


def _validator(schema: dict[str, Any], definition: str) -> jsonschema.Draft7Validator:
    root = {"$ref": f"#/definitions/{definition}", "definitions": schema["definitions"]}
    return jsonschema.Draft7Validator(root)


def _errors(validator: jsonschema.Draft7Validator, instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def test_every_dashboard_validates(artefacts: Artefacts, schema: Any) -> None:
    validator = _validator(schema("dashboard"), "Dashboard")
    assert len(artefacts.dashboards) == 10 + 4  # and the four status screens of the wall playlist
    for uid, board in artefacts.dashboards.items():
        assert _errors(validator, board) == [], uid


def test_every_panel_validates_against_its_panel_schema(artefacts: Artefacts, schema: Any) -> None:
    checked = 0
    for uid, board in artefacts.dashboards.items():
        for panel in board["panels"]:
            assert panel["type"] in PANEL_SCHEMAS, f"{uid}: no schema for {panel['type']}"
            panel_schema = schema(panel["type"])
            assert _errors(_validator(panel_schema, "Options"), panel["options"]) == [], (uid, panel["title"])
            custom = panel.get("fieldConfig", {}).get("defaults", {}).get("custom")
            if "FieldConfig" in panel_schema["definitions"] and custom is not None:
                assert _errors(_validator(panel_schema, "FieldConfig"), custom) == [], (uid, panel["title"])
            checked += 1
    assert checked > 40


@pytest.mark.parametrize("kind", ["rule_groups", "contact_points", "templates"])
def test_alerting_objects_validate(artefacts: Artefacts, schema: Any, kind: str) -> None:
    definition = {"rule_groups": "RuleGroup", "contact_points": "ContactPoint", "templates": "NotificationTemplate"}
    validator = _validator(schema("alerting"), definition[kind])
    items = getattr(artefacts, kind)
    assert items
    for item in items:
        assert _errors(validator, item) == []


def test_rules_validate_one_by_one_with_their_expressions(artefacts: Artefacts, schema: Any) -> None:
    rule_validator = _validator(schema("alerting"), "Rule")
    expr_validator = _validator(schema("expr"), "TypeThreshold")
    rules = [rule for group in artefacts.rule_groups for rule in group["rules"]]
    assert {r["uid"] for r in rules} >= {"qndti-behind-target", "qndti-stale-data", "qndti-worker-stopped"}
    for rule in rules:
        assert _errors(rule_validator, rule) == [], rule["uid"]
        for query in rule["data"]:
            if query["datasourceUid"] == "__expr__":
                assert _errors(expr_validator, query["model"]) == [], (rule["uid"], query["refId"])


def test_notification_policy_validates(artefacts: Artefacts, schema: Any) -> None:
    assert _errors(_validator(schema("alerting"), "NotificationPolicy"), artefacts.policy) == []
