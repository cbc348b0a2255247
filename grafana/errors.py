"""Errors of the Grafana package.

Hierarchy::

    GrafanaError
    ├── QueryExpansionError   a query uses a macro or variable that cannot be expanded
    ├── GeneratedFilesStale   committed JSON/YAML differs from what the builders produce
    └── PublishError          the Grafana HTTP API refused a request (never carries the token)
"""


class GrafanaError(Exception):
    """Base class of the errors of the Grafana package."""


class QueryExpansionError(GrafanaError):
    """A query uses a macro or template variable that cannot be expanded."""


class GeneratedFilesStale(GrafanaError):
    """Committed generated files differ from what the builders produce."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__("generated files differ from the code; run `qndti grafana build`: " + ", ".join(paths))
        self.paths = paths


class PublishError(GrafanaError):
    """The Grafana HTTP API refused a request."""
