"""The QN-DTI catalog: the map, metrics, indicators and the plan years, loaded from versioned CSV files.

Every file is validated on load; an invalid row raises :class:`~index_engine.errors.CatalogError` naming the
file, row and field. Units carry validity dates and successions: the administrative map is data, never code.
Each plan year (``plans/<year>/``) holds its indicators with lead units, targets, weights and completions. The
files and their columns are described in ``qndti-1.0/README.md``.
"""

from __future__ import annotations

from pathlib import Path

from index_engine.catalog.loader import load_folder
from index_engine.catalog.model import (
    Aggregation,
    Catalog,
    Completion,
    Direction,
    Indicator,
    Metric,
    MetricKind,
    PeerGroup,
    Pillar,
    Plan,
    PlanIndicator,
    Plausibility,
    Share,
    Succession,
    Target,
    TargetKey,
    Task,
    TaskRules,
    Unit,
)
from index_engine.errors import CatalogError

__all__ = [
    "CATALOG_ROOT",
    "DEFAULT_VERSION",
    "Aggregation",
    "Catalog",
    "Completion",
    "Direction",
    "Indicator",
    "Metric",
    "MetricKind",
    "PeerGroup",
    "Pillar",
    "Plan",
    "PlanIndicator",
    "Plausibility",
    "Share",
    "Succession",
    "Target",
    "TargetKey",
    "Task",
    "TaskRules",
    "Unit",
    "load_catalog",
]

DEFAULT_VERSION = "qndti-1.0"
CATALOG_ROOT = Path(__file__).parent


def load_catalog(version: str = DEFAULT_VERSION, root: Path = CATALOG_ROOT) -> Catalog:
    """Load and validate one catalog version from ``root/version``."""
    folder = root / version
    if not folder.is_dir():
        raise CatalogError(str(folder), "catalog version folder is missing")
    return load_folder(folder, version)
