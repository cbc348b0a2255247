"""One palette for every dashboard: status codes, their Vietnamese labels and colours, and value mappings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as model


@dataclass(frozen=True)
class StatusStyle:
    """How one status code looks on every dashboard."""

    code: str
    label: str
    color: str


STATUSES: Final = (
    StatusStyle("achieved", "Đạt", "green"),
    StatusStyle("completed", "Hoàn thành", "dark-green"),
    StatusStyle("on_track", "Đúng tiến độ", "blue"),
    StatusStyle("at_risk", "Có nguy cơ", "orange"),
    StatusStyle("off_track", "Chậm tiến độ", "red"),
    StatusStyle("deteriorating", "Suy giảm", "dark-red"),
    StatusStyle("stale", "Thiếu dữ liệu", "purple"),
    StatusStyle("no_target", "Chưa có chỉ tiêu", "text"),
)
"""The status codes written by the index engine, in order from best to neutral."""

BEHIND: Final = ("at_risk", "off_track", "deteriorating")
"""Statuses that call for action: the indicator is behind its target or trajectory."""


def status_mappings() -> list[model.ValueMapping]:
    """Value mappings that show each status code as its Vietnamese label in its colour."""
    options = {s.code: model.ValueMappingResult(text=s.label, color=s.color, index=i) for i, s in enumerate(STATUSES)}
    return [model.ValueMap(options=options)]


def thresholds(*steps: tuple[float, str]) -> dash.ThresholdsConfig:
    """Absolute thresholds from (lower bound, colour) pairs.

    Grafana treats the first step as the base (it reads its value as -Infinity); the schema wants a number there,
    so the base is written as 0.
    """
    return (
        dash.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=value, color=color) for value, color in steps])
    )


def score_thresholds() -> dash.ThresholdsConfig:
    """Colours of a 0–1 score: red below 0.6, orange below 0.95, green above (the progress classes)."""
    return thresholds((0, "red"), (0.6, "orange"), (0.95, "green"))


def fixed_color(color: str) -> dash.FieldColor:
    """A fixed colour for a field."""
    return dash.FieldColor().mode(model.FieldColorModeId.FIXED).fixed_color(color)
