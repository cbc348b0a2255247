"""What every dashboard builder shares: catalog facts, template variables and navigation links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as model

from grafana.queries import Query
from grafana.sql import POSTGRES
from index_engine.catalog import Catalog

PILLAR_NAMES: Final = {
    "CQS": "Chính quyền số",
    "KTS": "Kinh tế số",
    "XHS": "Xã hội số",
    "NT": "Nền tảng chuyển đổi số",
}
"""The four pillars of the index with their Vietnamese names (QN-DTI v1.0)."""


@dataclass(frozen=True)
class Facts:
    """The catalog facts the dashboards need: the province (root unit) and how many indicators there are."""

    province: str
    indicator_total: int
    task_year: int | None = None
    """The newest plan year that has tasks (the task board's default year)."""

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Facts:
        """The facts of a loaded catalog."""
        roots = sorted(code for code, unit in catalog.units.items() if unit.parent is None)
        if len(roots) != 1:
            raise ValueError(f"the catalog must have exactly one root unit (the province), found {roots}")
        years = [year for year, plan in catalog.plans.items() if plan.tasks]
        return cls(province=roots[0], indicator_total=len(catalog.indicators), task_year=max(years, default=None))


def constant(name: str, value: str, label: str) -> dash.ConstantVariable:
    """A hidden constant variable (catalog facts the queries use)."""
    return dash.ConstantVariable(name).label(label).value(value)


def query_variable(name: str, label: str, query: Query, default: str | None = None) -> dash.QueryVariable:
    """A single-value drop-down filled by a SQL query returning ``__value`` and ``__text``."""
    variable = (
        dash.QueryVariable(name)
        .label(label)
        .datasource(POSTGRES)
        .query(query.sql)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)  # units listed are those of the map in force
        .sort(model.VariableSort.ALPHABETICAL_ASC)
        .multi(False)
        .include_all(False)
    )
    if default is not None:
        variable = variable.current(model.VariableOption(selected=True, text=default, value=default))
    return variable


def navigation() -> dash.DashboardLink:
    """A drop-down of every QN-DTI dashboard, keeping the time range."""
    return (
        dash.DashboardLink("Bảng điều khiển QN-DTI")
        .type(model.DashboardLinkType.DASHBOARDS)
        .tags(["qndti"])
        .as_dropdown(True)
        .include_vars(False)
        .keep_time(True)
        .target_blank(False)
    )
